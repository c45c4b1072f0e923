// The media servers to watch, edited in the dashboard and kept in the warehouse's config
// documents with their tokens sealed. When STREAMWARDEN_SERVERS_FILE is set the file is the
// source instead and the list is read-only here.
import type { SecretBox } from '../core/secret-box.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { ServerQueries } from '../warehouse/queries/servers.ts';
import { ServerRequestError } from './http.ts';
import {
  loadServerConfigs,
  parseServerConfig,
  ServerConfigError,
  UnknownServerError,
  type ServerConfig,
} from './config.ts';
import { BlockedAddressError, checkServerAddress } from './address-guard.ts';
import { createClient } from './runner.ts';
import { AppError } from '../core/errors.ts';

export const SERVERS_DOCUMENT = 'media-servers';

/** A server as the API shows it: everything but the token. */
export type PublicServerConfig = Omit<ServerConfig, 'token'> & { tokenSet: boolean };

export class ReadOnlyServersError extends AppError {
  constructor(file: string) {
    super(
      'conflict',
      `the server list comes from STREAMWARDEN_SERVERS_FILE (${file}); edit that file and send SIGHUP, or unset it to manage servers here`,
    );
  }
}

class ServerExistsError extends AppError {
  constructor(id: string) {
    super('conflict', `a server with id "${id}" exists already`);
  }
}

export class ServerRegistry {
  constructor(
    private readonly deps: { documents: ConfigDocuments; secrets: SecretBox; warehouse: Warehouse; file?: string },
  ) {}

  get readOnlySource(): string | undefined {
    return this.deps.file;
  }

  /** Every server with its token in clear, for the connectors. */
  async list(): Promise<ServerConfig[]> {
    if (this.deps.file) return loadServerConfigs(this.deps.file);
    const doc = await this.deps.documents.get<ServerConfig[]>(SERVERS_DOCUMENT);
    return (doc?.body ?? []).map((s) => ({ ...s, token: this.deps.secrets.open(s.token) }));
  }

  async listPublic(): Promise<PublicServerConfig[]> {
    return (await this.list()).map(toPublic);
  }

  /**
   * Adds a server (`add`: its id must be new) or changes one (`change`: it must exist; the token
   * may be left out to keep the stored one). Validation is the server file's, so both sources
   * refuse the same mistakes.
   */
  async save(input: Record<string, unknown>, updatedBy: string, intent: 'add' | 'change'): Promise<PublicServerConfig> {
    if (this.deps.file) throw new ReadOnlyServersError(this.deps.file);
    const current = await this.list();
    const existing = current.find((s) => s.id === input.id);
    if (intent === 'add' && existing) throw new ServerExistsError(String(input.id));
    if (intent === 'change' && !existing) throw new UnknownServerError(String(input.id));
    const merged = { ...existing, ...input, token: input.token ?? existing?.token };
    const config = parseServerConfig(merged, 'server');
    await checkServerAddress(config.url).catch((err: unknown) => {
      throw err instanceof BlockedAddressError ? new ServerConfigError(`server url: ${err.message}`) : err;
    });
    const next = existing ? current.map((s) => (s.id === config.id ? config : s)) : [...current, config];
    await this.write(next, updatedBy, [config]);
    return toPublic(config);
  }

  async remove(id: string, updatedBy: string): Promise<void> {
    if (this.deps.file) throw new ReadOnlyServersError(this.deps.file);
    const current = await this.list();
    const gone = current.find((s) => s.id === id);
    if (!gone) throw new UnknownServerError(id);
    await this.write(
      current.filter((s) => s.id !== id),
      updatedBy,
      [],
      [gone],
    );
  }

  private async write(
    servers: ServerConfig[],
    updatedBy: string,
    changed: ServerConfig[],
    removed: ServerConfig[] = [],
  ): Promise<void> {
    await this.deps.documents.put(
      SERVERS_DOCUMENT,
      servers.map((s) => ({ ...s, token: this.deps.secrets.seal(s.token) })),
      updatedBy,
    );
    // The non-secret part is mirrored into `servers`, the table analysts join against.
    const mirror = (s: ServerConfig) => ({
      serverId: s.id,
      name: s.name,
      type: s.type,
      url: s.url,
      enabled: s.enabled,
    });
    await new ServerQueries(this.deps.warehouse).mirror(changed.map(mirror), removed.map(mirror), Date.now());
  }
}

function toPublic({ token, ...rest }: ServerConfig): PublicServerConfig {
  return { ...rest, tokenSet: token.length > 0 };
}

/**
 * What a connection test found, classified. Nothing the far end sent is echoed: the test must not
 * be a way to read arbitrary internal pages through the server.
 */
type ConnectionOutcome =
  'REACHABLE' | 'AUTH_FAILED' | 'NOT_A_MEDIA_SERVER' | 'TIMEOUT' | 'UNREACHABLE' | 'REFUSED_ADDRESS';

export interface ConnectionTest {
  ok: boolean;
  outcome: ConnectionOutcome;
  latencyMs: number;
  server?: { name: string; version: string; machineId: string };
  error?: { kind: ConnectionOutcome; message: string };
}

const OUTCOME_MESSAGES: Record<Exclude<ConnectionOutcome, 'REACHABLE'>, (type: string) => string> = {
  AUTH_FAILED: (type) =>
    `the server answered but refused the token: check the ${type === 'plex' ? 'X-Plex-Token' : 'API key'}`,
  NOT_A_MEDIA_SERVER: (type) =>
    `something answered at this address, but not as a ${type === 'plex' ? 'Plex' : type === 'emby' ? 'Emby' : 'Jellyfin'} server: check the address and port`,
  TIMEOUT: () => 'no answer in time: check the address, the port and any firewall',
  UNREACHABLE: () => 'could not connect: check the address and port, and that the server is running',
  REFUSED_ADDRESS: () =>
    'this is a link-local or cloud metadata address, refused for media servers (STREAMWARDEN_ALLOW_LINK_LOCAL_SERVERS=true lifts it)',
};

function classify(err: unknown): Exclude<ConnectionOutcome, 'REACHABLE'> {
  if (err instanceof BlockedAddressError) return 'REFUSED_ADDRESS';
  if (!(err instanceof ServerRequestError)) return 'NOT_A_MEDIA_SERVER';
  if (err.reason === 'AUTH') return 'AUTH_FAILED';
  if (err.reason === 'TIMEOUT') return 'TIMEOUT';
  if (err.reason === 'NETWORK') return 'UNREACHABLE';
  return 'NOT_A_MEDIA_SERVER';
}

/** Reads the server's identity with the given address and token, as the connector would. */
export async function testConnection(input: Record<string, unknown>, clientId: string): Promise<ConnectionTest> {
  const config = parseServerConfig({ id: 'connection-test', ...input }, 'server');
  const started = Date.now();
  const failed = (err: unknown): ConnectionTest => {
    const kind = classify(err);
    return {
      ok: false,
      outcome: kind,
      latencyMs: Date.now() - started,
      error: { kind, message: OUTCOME_MESSAGES[kind](config.type) },
    };
  };
  try {
    await checkServerAddress(config.url);
  } catch (err) {
    return failed(err);
  }
  const { client, feed } = createClient({ ...config, limits: { timeoutMs: 8000, ...config.limits } }, clientId);
  try {
    const identity = await client.identity();
    return { ok: true, outcome: 'REACHABLE', latencyMs: Date.now() - started, server: identity };
  } catch (err) {
    return failed(err);
  } finally {
    feed?.close();
    client.close();
  }
}
