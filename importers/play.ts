// A play read from another tool's history, in one shape whatever the source, and the two
// playback events (start, stop) it becomes in the warehouse. Event ids are built from the
// source's own ids, so importing the same history again finds them and adds nothing.
import type { MediaType, NetworkLocation, PlaybackEvent, ServerType, StreamDecision } from '../schemas/index.ts';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { AppError } from '../core/errors.ts';
import { isPrivateAddress, normalizeIp } from '../core/network.ts';

export interface ImportedPlay {
  /** e.g. "tautulli", "jellystat": part of the event ids. */
  source: string;
  /** The source's id of this play. */
  sourceId: string;
  serverId: string;
  serverType: ServerType;
  userId: string;
  userName: string;
  startedAt: number;
  stoppedAt: number;
  pausedMs: number;
  /**
   * Time spent playing when the source says so; otherwise stoppedAt - startedAt - pausedMs. A play
   * the source made of several sessions (a resume) has gaps that are neither played nor paused.
   */
  playedMs?: number;
  positionMs: number;
  durationMs: number | null;
  media: PlaybackEvent['media'];
  device: PlaybackEvent['device'];
  clientIp: string;
  networkLocation: NetworkLocation;
  quality: PlaybackEvent['quality'];
}

export class ImportFormatError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

/**
 * What became of the source's rows, for the import summary: how many were read, how many joined
 * an earlier row's play (a resumed session, as the source tool itself groups them), and how many
 * could not become a play, by reason.
 */
export interface SourceRows {
  read: number;
  grouped: number;
  unreadable: Partial<Record<UnreadableReason, number>>;
}

/** Why a source row is not a play: no start or end time, or no id to know it by on a re-import. */
export type UnreadableReason = 'no-times' | 'no-id';

export const newSourceRows = (): SourceRows => ({ read: 0, grouped: 0, unreadable: {} });

export function countUnreadable(rows: SourceRows, reason: UnreadableReason, n = 1): void {
  if (n > 0) rows.unreadable[reason] = (rows.unreadable[reason] ?? 0) + n;
}

/**
 * The two events of a play, as the warehouse stores them. The writer stages only the stop event
 * and the warehouse derives the start from it (warehouse/queries/imports.ts START_COLUMNS), so a
 * change here must be made there too: importers/writer.test.ts compares them.
 */
export function playEvents(play: ImportedPlay): [PlaybackEvent, PlaybackEvent] {
  const stop = stopEvent(play);
  const start: PlaybackEvent = {
    ...stop,
    eventId: `${stop.sessionKey}:start`,
    eventType: 'STARTED',
    observedAt: play.startedAt,
    playState: 'PLAYING',
    positionMs: Math.max(0, play.positionMs - (stop.playedMs ?? 0)),
    playedMs: 0,
    pausedMs: 0,
  };
  return [start, stop];
}

/** A play's last event: where it stopped, how long it played. Its session key names the play. */
export function stopEvent(play: ImportedPlay): PlaybackEvent {
  const base = `${play.source}:${play.serverId}:${play.sourceId}`;
  return {
    eventId: `${base}:stop`,
    eventType: 'STOPPED',
    observedAt: play.stoppedAt,
    serverId: play.serverId,
    serverType: play.serverType,
    accountKey: `${play.serverId}:${play.userId}`,
    userId: play.userId,
    userName: play.userName,
    sessionKey: base,
    media: play.media,
    device: play.device,
    clientIp: play.clientIp,
    networkLocation: play.networkLocation,
    durationMs: play.durationMs,
    quality: play.quality,
    playStartedAt: play.startedAt,
    playState: 'STOPPED',
    positionMs: play.positionMs,
    playedMs: Math.max(0, play.playedMs ?? play.stoppedAt - play.startedAt - play.pausedMs),
    pausedMs: play.pausedMs,
    // Placed by the writer, once, as they are stored.
    location: null,
    geoSource: null,
    personId: null,
  };
}

export function mediaType(value: string | null | undefined): MediaType {
  switch ((value ?? '').toLowerCase()) {
    case 'movie':
      return 'MOVIE';
    case 'episode':
      return 'EPISODE';
    case 'track':
    case 'audio':
      return 'TRACK';
    case 'tvchannel':
    case 'live':
      return 'LIVE_TV';
    case 'photo':
      return 'PHOTO';
    case 'clip':
    case 'video':
      return 'VIDEO';
    default:
      return 'OTHER';
  }
}

export function decision(value: string | null | undefined): StreamDecision {
  const v = (value ?? '').toLowerCase().replace(/[\s_-]/g, '');
  if (v === 'transcode') return 'TRANSCODE';
  if (v === 'copy' || v === 'directstream') return 'DIRECT_STREAM';
  if (v === 'directplay') return 'DIRECT_PLAY';
  return 'UNKNOWN';
}

/** Plex-style resolution label from a height or a label ("1080", "4k", "sd"). */
export function resolutionLabel(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number')
    return value >= 2000 ? '4k' : value >= 1000 ? '1080' : value >= 700 ? '720' : value >= 470 ? '480' : 'sd';
  return String(value).toLowerCase();
}

/**
 * The client address as stored, and LAN/WAN from it: ports stripped only where an address has
 * one (a.b.c.d:port, [v6]:port), never the last group of a bare IPv6 address; ::ffff:a.b.c.d read
 * as a.b.c.d; one private-range rule for the whole product (core/network.ts).
 */
export function clientAddress(raw: string): { clientIp: string; networkLocation: NetworkLocation } {
  const ip = normalizeIp(raw);
  return { clientIp: ip || raw.trim(), networkLocation: ip ? (isPrivateAddress(ip) ? 'LAN' : 'WAN') : 'UNKNOWN' };
}

/** Refuses a file that is missing or no SQLite database, saying where the right one is (`hint`). */
export function checkSqliteFile(path: string, name: string, hint: string): void {
  if (!existsSync(path)) throw new ImportFormatError(`no such file: ${name}`);
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  readSync(fd, header, 0, 16, 0);
  closeSync(fd);
  if (header.toString('latin1') !== 'SQLite format 3\0')
    throw new ImportFormatError(`${name} is not a SQLite database (${hint})`);
}
