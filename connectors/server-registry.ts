// The media servers to watch, edited in the dashboard and kept in the warehouse's config
// documents with their tokens sealed. When STREAMWARDEN_SERVERS_FILE is set the file is the
// source instead and the list is read-only here.
import type { SecretBox } from '../runtime/secret-box.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { chTime } from '../warehouse/rows.ts';
import { ServerRequestError } from './http.ts';
import { loadServerConfigs, parseServerConfigs, UnknownServerError, type ServerConfig } from './config.ts';
import { createClient } from './runner.ts';

export const SERVERS_DOCUMENT = 'media-servers';

/** A server as the API shows it: everything but the token. */
export type PublicServerConfig = Omit<ServerConfig, 'token'> & { tokenSet: boolean };

export class ReadOnlyServersError extends Error {
  constructor(file: string) {
    super(`the server list comes from STREAMWARDEN_SERVERS_FILE (${file}); edit that file and send SIGHUP, or unset it to manage servers here`);
    this.name = 'ReadOnlyServersError';
  }
}

export class ServerExistsError extends Error {
  constructor(id: string) {
    super(`a server with id "${id}" exists already`);
    this.name = 'ServerExistsError';
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
    const [config] = parseServerConfigs([merged], 'server');
    const next = existing ? current.map((s) => (s.id === config!.id ? config! : s)) : [...current, config!];
    await this.write(next, updatedBy, [config!]);
    return toPublic(config!);
  }

  async remove(id: string, updatedBy: string): Promise<void> {
    if (this.deps.file) throw new ReadOnlyServersError(this.deps.file);
    const current = await this.list();
    const gone = current.find((s) => s.id === id);
    if (!gone) throw new UnknownServerError(id);
    await this.write(current.filter((s) => s.id !== id), updatedBy, [], [gone]);
  }

  private async write(servers: ServerConfig[], updatedBy: string, changed: ServerConfig[], removed: ServerConfig[] = []): Promise<void> {
    await this.deps.documents.put(SERVERS_DOCUMENT, servers.map((s) => ({ ...s, token: this.deps.secrets.seal(s.token) })), updatedBy);
    // The non-secret part is mirrored into `servers`, the table analysts join against.
    const now = chTime(Date.now());
    const row = (s: ServerConfig, deleted: boolean) => ({ server_id: s.id, name: s.name, server_type: s.type, url: s.url, enabled: s.enabled, deleted, updated_at: now });
    await this.deps.warehouse.client.insert({
      table: this.deps.warehouse.table('servers'),
      values: [...changed.map((s) => row(s, false)), ...removed.map((s) => row(s, true))],
      format: 'JSONEachRow',
    });
  }
}

function toPublic({ token, ...rest }: ServerConfig): PublicServerConfig {
  return { ...rest, tokenSet: token.length > 0 };
}

export interface ConnectionTest {
  ok: boolean;
  latencyMs: number;
  server?: { name: string; version: string; machineId: string };
  error?: { kind: string; message: string };
}

/** Reads the server's identity with the given address and token, as the connector would. */
export async function testConnection(input: Record<string, unknown>, clientId: string): Promise<ConnectionTest> {
  const [config] = parseServerConfigs([{ id: 'connection-test', ...input }], 'server');
  const { client, feed } = createClient({ ...config!, limits: { timeoutMs: 8000, ...config!.limits } }, clientId);
  const started = Date.now();
  try {
    const identity = await client.identity();
    return { ok: true, latencyMs: Date.now() - started, server: identity };
  } catch (err) {
    const kind = err instanceof ServerRequestError ? err.kind : 'ERROR';
    return { ok: false, latencyMs: Date.now() - started, error: { kind, message: (err as Error).message } };
  } finally {
    feed?.close();
    client.close();
  }
}

