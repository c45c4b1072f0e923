// One way to reach ClickHouse for every process: a ClickHouse server over HTTP when
// CLICKHOUSE_URL is set, otherwise the ClickHouse engine embedded through chdb, behind the same
// @clickhouse/client API. Every statement names its tables fully (database.table) because the
// embedded connection has no notion of a default database.
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Session } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import type { Logger } from '../core/logger.ts';

export interface WarehouseSettings {
  /** ClickHouse HTTP(S) endpoint; empty means embedded chdb. */
  url?: string;
  username?: string;
  password?: string;
  /** Database holding Streamwarden's tables (default 'streamwarden'). */
  database?: string;
  /** Folder of the embedded engine's data (e.g. ./data/clickhouse). */
  embeddedPath?: string;
  /** Most memory the embedded engine may take, in MiB (default 1024): beyond it a query fails. */
  embeddedMemoryMiB?: number;
  requestTimeoutMs?: number;
}

export interface Warehouse {
  readonly kind: 'server' | 'embedded';
  readonly description: string;
  readonly database: string;
  readonly client: ClickHouseClient;
  /** `database`.`name`, quoted, for building statements. */
  table(name: string): string;
  /**
   * Writes many positional rows (`columns` in order) in one insert, for bulk writers. The embedded
   * engine takes them as one buffer that its own parser reads (chdb's raw insert): 10,000 playback
   * events in 140 ms instead of 300 ms through the client's insert. A server gets them through
   * the client.
   */
  insertCompact(
    name: string,
    columns: [string, ...string[]],
    rows: unknown[][],
    settings?: Record<string, string | number>,
  ): Promise<void>;
  /**
   * The same insert with its rows already written as JSONCompactEachRow lines (as an import's
   * reading thread writes them), taken as they are.
   */
  insertEncoded(
    name: string,
    columns: [string, ...string[]],
    lines: Uint8Array,
    settings?: Record<string, string | number>,
  ): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Settings both modes share, so a query returns the same JSON from either: the embedded engine
 * would otherwise print 64-bit integers as bare numbers where a server quotes them. Times come
 * out as ISO 8601 in UTC with their zone ("2026-11-26T20:00:00.000Z"), which the API passes on
 * and every reader parses without guessing the zone; they go in in any common layout.
 */
const SHARED_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  date_time_input_format: 'best_effort',
  date_time_output_format: 'iso',
} as const;

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Validates an identifier that is spliced into SQL text (everything else is a query parameter). */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a valid ClickHouse identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

export async function openWarehouse(settings: WarehouseSettings, logger: Logger): Promise<Warehouse> {
  const database = settings.database ?? 'streamwarden';
  const quotedDb = identifier(database);
  let client: ClickHouseClient;
  let kind: Warehouse['kind'];
  let description: string;
  let insertCompact: Warehouse['insertCompact'];
  let insertEncoded: Warehouse['insertEncoded'];
  let closeEngine: () => Promise<void> | void = () => {};
  if (settings.url) {
    kind = 'server';
    const url = new URL(settings.url);
    description = `clickhouse ${url.protocol}//${url.host}/${database}`;
    client = createClient({
      url: settings.url,
      username: settings.username ?? (decodeURIComponent(url.username) || 'default'),
      password: settings.password ?? decodeURIComponent(url.password),
      request_timeout: settings.requestTimeoutMs ?? 60_000,
      clickhouse_settings: SHARED_SETTINGS,
    });
    insertCompact = async (name, columns, rows, settings) => {
      await client.insert({
        table: `${quotedDb}.${identifier(name)}`,
        values: rows,
        columns,
        format: 'JSONCompactEachRow',
        clickhouse_settings: settings,
      });
    };
    insertEncoded = async (name, columns, lines, settings) => {
      if (lines.length === 0) return;
      const { stream } = await client.exec({
        query: `INSERT INTO ${quotedDb}.${identifier(name)} (${columns.map(identifier).join(', ')}) FORMAT JSONCompactEachRow`,
        values: Readable.from([Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength)]),
        clickhouse_settings: settings,
      });
      // The answer of an insert is empty; read to its end so that the socket is freed.
      stream.resume();
      await finished(stream);
    };
  } else {
    kind = 'embedded';
    const path = settings.embeddedPath ?? './data/clickhouse';
    mkdirSync(path, { recursive: true });
    description = `chdb ${path}/${database}`;
    // chdb implements @clickhouse/client-common's Connection; @clickhouse/client bundles an
    // identical copy of those types, which TypeScript sees as distinct.
    // The engine takes its limits when its first session on the folder opens; this one sets them
    // and stays open as long as the warehouse (a later one in the same process joins the engine).
    const engine = new Session(path, { connectionArgs: embeddedEngineArgs(settings.embeddedMemoryMiB ?? 1024) });
    const chdb = createChdbConnection({ path });
    client = createClient({ connection: chdb as unknown as ClientConnection, clickhouse_settings: SHARED_SETTINGS });
    // Bulk inserts have a connection of their own: the engine runs one query at a time per
    // connection, each on a thread of its own, so an import's next insert is parsed while the
    // previous rows move on through the views.
    const bulk = createChdbConnection({ path });
    closeEngine = async () => {
      await bulk.close();
      engine.close();
    };
    insertEncoded = async (name, columns, lines, settings) => {
      if (lines.length === 0) return;
      identifier(name);
      await bulk.chdb.rawInsert({
        table: `${database}.${name}`,
        columns,
        values: Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength),
        format: 'JSONCompactEachRow',
        settings: { date_time_input_format: SHARED_SETTINGS.date_time_input_format, ...settings },
      });
    };
    insertCompact = async (name, columns, rows, settings) => {
      if (rows.length === 0) return;
      await insertEncoded(name, columns, Buffer.from((await jsonLines(rows)).join('\n')), settings);
    };
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quotedDb}` });
  logger.child({ component: 'warehouse' }).info({ warehouse: description }, 'warehouse connected');
  return {
    kind,
    description,
    database,
    client,
    table: (name) => `${quotedDb}.${identifier(name)}`,
    insertCompact,
    insertEncoded,
    ping: async () => {
      try {
        const result = await client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
        return (await result.json<{ ok: number }>())[0]?.ok === 1;
      } catch {
        return false;
      }
    },
    close: async () => {
      await client.close();
      await closeEngine();
    },
  };
}

/**
 * Rows as JSON text, a thousand at a time with other work let in between: 5,000 playback events
 * took 25 ms in one go, which a health check waiting behind them would see.
 */
async function jsonLines(rows: unknown[][]): Promise<string[]> {
  const lines: string[] = [];
  for (let from = 0; from < rows.length; from += 1000) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let i = from; i < Math.min(rows.length, from + 1000); i++) lines.push(JSON.stringify(rows[i]));
  }
  return lines;
}

/**
 * The embedded engine's memory, set rather than left to its server defaults (90% of the machine's
 * memory, 5 GiB caches), so that it lives beside the roles in one process: a ceiling, caches of
 * marks and primary indexes that fit in it, and none of uncompressed blocks or query results.
 * Parts replaced by merges are deleted by at most 4 threads, not 128: the engine keeps every thread
 * it started as an idle one, each with its allocator's cache, and one deletion of ~2,000 parts
 * under the demo's load left 126 more threads and ~30 MiB more resident (bench/README.md, "Memory").
 */
export function embeddedEngineArgs(memoryMiB: number): string[] {
  const bytes = (mib: number) => String(Math.round(mib * 2 ** 20));
  const cache = Math.max(16, Math.round(memoryMiB / 16));
  return [
    `--max_server_memory_usage=${bytes(memoryMiB)}`,
    `--mark_cache_size=${bytes(cache)}`,
    `--index_mark_cache_size=${bytes(cache)}`,
    `--primary_index_cache_size=${bytes(cache)}`,
    '--uncompressed_cache_size=0',
    '--index_uncompressed_cache_size=0',
    '--query_cache.max_size_in_bytes=0',
    '--max_parts_cleaning_thread_pool_size=4',
  ];
}
