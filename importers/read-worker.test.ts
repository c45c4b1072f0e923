// An import reads its source on a thread of its own: if that thread dies (out of memory on a
// hostile file, killed), the import fails with a clear error and leaves no staging behind, the
// process goes on, and the next import adds what is missing.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { createJellystatBackup, generatePlays } from '../testing/import-fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { importHistory } from './import-history.ts';

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
}, 60_000);

afterAll(async () => {
  await warehouse?.drop();
});

async function stored(server: string): Promise<{ events: number; stages: number }> {
  const result = await warehouse.client.query({
    query: `SELECT
      (SELECT count() FROM ${warehouse.table('playback_events')} WHERE server_id = {s:String}) AS events,
      (SELECT count() FROM system.tables WHERE database = {db:String} AND startsWith(name, 'import_stage_')) AS stages`,
    query_params: { s: server, db: warehouse.database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ events: string; stages: string }>();
  return { events: Number(row?.events), stages: Number(row?.stages) };
}

describe('the reading thread', () => {
  it('fails the import alone when it dies, and the next import brings the rest', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sw-reader-')), 'backup.json');
    const list = generatePlays(45_000, 300, Date.UTC(2025, 0, 1));
    createJellystatBackup(file, list, 'json');
    const source = { kind: 'jellystat' as const, path: file, serverId: 'jf-reader' };

    const readers: Worker[] = [];
    const started = (message: unknown) => readers.push((message as { worker: Worker }).worker);
    subscribe('worker_threads', started);
    let killed = false;
    const progress: number[] = [];
    try {
      await expect(
        importHistory(source, warehouse, {
          onProgress: (p) => {
            progress.push(p.read);
            // Once some plays have moved, the thread goes as an out-of-memory thread would.
            if (p.added > 0 && !killed) {
              killed = true;
              void readers[0]!.terminate();
            }
          },
        }),
      ).rejects.toThrow("the import's reading thread stopped");
    } finally {
      unsubscribe('worker_threads', started);
    }
    // The plays were read on that thread, and it was the import's only one.
    expect(readers).toHaveLength(1);
    expect(killed).toBe(true);
    const partial = await stored('jf-reader');
    expect(partial.stages).toBe(0);
    expect(partial.events).toBeGreaterThan(0);
    expect(partial.events).toBeLessThan(2 * list.length);

    const again = await importHistory(source, warehouse);
    expect(again.read).toBe(list.length);
    expect(again.added + partial.events / 2).toBe(list.length);
    expect(await stored('jf-reader')).toEqual({ events: 2 * list.length, stages: 0 });
  });
});

describe('a source too big to read', () => {
  it('ends its import with a clear error when the reading thread runs out of memory', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sw-reader-')), 'endless.jsonl');
    // One line of 96 MB: JSON Lines are read a line at a time, and this one never ends.
    writeFileSync(file, `{"type":"row","table":"jf_users","data":{"Name":"${'x'.repeat(96 * 2 ** 20)}`);
    await expect(
      importHistory({ kind: 'jellystat', path: file, serverId: 'jf-endless' }, warehouse, { readerHeapMiB: 64 }),
    ).rejects.toThrow('reading the source took more than 64 MiB of memory');
    expect(await stored('jf-endless')).toEqual({ events: 0, stages: 0 });
  });
});
