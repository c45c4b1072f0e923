// Media servers to watch, as JSON: a list of {id, name, type, url, token} (see README).
import { readFileSync } from 'node:fs';
import type { HttpLimits } from './http.ts';
import { AppError } from '../core/errors.ts';

type ServerKind = 'plex' | 'jellyfin' | 'emby';

export interface ServerConfig {
  /** Stable id used in account keys and the warehouse: lowercase letters, digits, '-' and '_'. */
  id: string;
  name: string;
  type: ServerKind;
  url: string;
  token: string;
  enabled: boolean;
  pollIntervalMs?: number;
  /** How long a session the server leaves out of its list stays open (default 60 s or two polls). */
  stopGraceMs?: number;
  limits?: HttpLimits;
  /** Where the server stands, for the map's viewer-to-server arcs (optional). */
  latitude?: number;
  longitude?: number;
}

export class ServerConfigError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

/** A server id nothing is configured for (API lookups, stopping a stream). */
export class UnknownServerError extends AppError {
  constructor(id: string) {
    super('not-found', `no media server with id "${id}"`);
  }
}

const KINDS: ServerKind[] = ['plex', 'jellyfin', 'emby'];

export function parseServerConfigs(input: unknown, source = 'server list'): ServerConfig[] {
  if (!Array.isArray(input)) throw new ServerConfigError(`${source}: expected a JSON list of servers`);
  const seen = new Set<string>();
  return input.map((raw: unknown, index) => {
    const where = `${source}, server ${index + 1}`;
    const config = parseServerConfig(raw, where);
    if (seen.has(config.id)) throw new ServerConfigError(`${where}: id "${config.id}" is used twice`);
    seen.add(config.id);
    return config;
  });
}

/** One server's settings, checked; `where` starts every message ("server", "servers.json, server 2"). */
export function parseServerConfig(raw: unknown, where: string): ServerConfig {
  if (!raw || typeof raw !== 'object') throw new ServerConfigError(`${where}: expected an object`);
  const entry = raw as Record<string, unknown>;
  const id = entry.id;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) {
    throw new ServerConfigError(
      `${where}: "id" must be 1-64 lowercase letters, digits, '-' or '_', got ${JSON.stringify(id)}`,
    );
  }
  const type = typeof entry.type === 'string' ? entry.type.toLowerCase() : entry.type;
  if (!KINDS.includes(type as ServerKind))
    throw new ServerConfigError(
      `${where} (${id}): "type" must be one of ${KINDS.join(', ')}, got ${JSON.stringify(entry.type)}`,
    );
  let url: URL;
  try {
    url = new URL(String(entry.url));
  } catch {
    throw new ServerConfigError(
      `${where} (${id}): "url" must be an http(s) URL such as http://192.168.1.10:32400, got ${JSON.stringify(entry.url)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ServerConfigError(`${where} (${id}): "url" must use http or https`);
  if (typeof entry.token !== 'string' || entry.token.trim() === '')
    throw new ServerConfigError(`${where} (${id}): "token" (the server's API key or X-Plex-Token) is required`);
  const poll = entry.pollIntervalMs;
  if (poll !== undefined && (typeof poll !== 'number' || !Number.isInteger(poll) || poll < 1000 || poll > 600_000)) {
    throw new ServerConfigError(
      `${where} (${id}): "pollIntervalMs" must be a whole number of milliseconds from 1000 to 600000`,
    );
  }
  const grace = entry.stopGraceMs;
  if (
    grace !== undefined &&
    (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > 3_600_000)
  ) {
    throw new ServerConfigError(
      `${where} (${id}): "stopGraceMs" must be a whole number of milliseconds from 0 to 3600000`,
    );
  }
  const lat = entry.latitude;
  const lon = entry.longitude;
  if ((lat === undefined) !== (lon === undefined))
    throw new ServerConfigError(`${where} (${id}): give both "latitude" and "longitude", or neither`);
  if (
    lat !== undefined &&
    (typeof lat !== 'number' || lat < -90 || lat > 90 || typeof lon !== 'number' || lon < -180 || lon > 180)
  ) {
    throw new ServerConfigError(`${where} (${id}): "latitude" must be -90 to 90 and "longitude" -180 to 180`);
  }
  return {
    id,
    name: typeof entry.name === 'string' && entry.name.trim() ? entry.name.trim() : id,
    type: type as ServerKind,
    url: url.toString().replace(/\/+$/, ''),
    token: entry.token.trim(),
    enabled: entry.enabled !== false,
    pollIntervalMs: poll as number | undefined,
    stopGraceMs: grace as number | undefined,
    limits: entry.limits as HttpLimits | undefined,
    ...(lat !== undefined ? { latitude: lat as number, longitude: lon as number } : {}),
  };
}

export function loadServerConfigs(path: string): ServerConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ServerConfigError(`cannot read the server list ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ServerConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseServerConfigs(json, path);
}
