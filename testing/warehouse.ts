import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { identifier, openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { playbackEventRow } from '../warehouse/rows.ts';
import { startClickHouseFront, type ClickHouseFront } from './clickhouse-front.ts';
import type { PlaybackEvent } from '../schemas/index.ts';

let embeddedPath: string | undefined;

/** chdb allows one data folder per process: every test warehouse of this process shares it. */
function sharedEmbeddedPath(): string {
  if (!embeddedPath) {
    const path = mkdtempSync(join(tmpdir(), 'sw-chdb-'));
    embeddedPath = path;
    process.once('exit', () => rmSync(path, { recursive: true, force: true }));
  }
  return embeddedPath;
}

let front: Promise<ClickHouseFront> | undefined;

/**
 * A CLICKHOUSE_URL for processes the test starts: the ClickHouse server given to the tests, or
 * else this process's embedded engine behind the test-only HTTP front (open a test warehouse
 * first, so the engine starts with its limits).
 */
export async function clickhouseUrlForProcesses(): Promise<string> {
  const url = inject('clickhouseUrl');
  if (url) return url;
  front ??= startClickHouseFront({ path: sharedEmbeddedPath() });
  return (await front).url;
}

/**
 * A warehouse in a database of its own, on the ClickHouse server of CLICKHOUSE_URL or in the
 * embedded chdb engine of this test process.
 */
export async function openTestWarehouse(): Promise<Warehouse & { drop(): Promise<void> }> {
  const url = inject('clickhouseUrl');
  const database = `test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const warehouse = await openWarehouse(
    { url: url || undefined, database, embeddedPath: url ? undefined : sharedEmbeddedPath() },
    createLogger('test'),
  );
  return {
    ...warehouse,
    drop: async () => {
      await warehouse.client.command({ query: `DROP DATABASE IF EXISTS ${identifier(warehouse.database)}` });
      await warehouse.close();
    },
  };
}

/** Stores playback events as the sink would (from a made-up topic), for tests that need history. */
export async function storeEvents(warehouse: Warehouse, events: PlaybackEvent[]): Promise<void> {
  const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: events.map((e) => playbackEventRow(e, record)),
    format: 'JSONEachRow',
  });
}
