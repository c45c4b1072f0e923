// The embedded engine runs with the limits it is given, not its server defaults (90% of the
// machine, 5 GiB caches): what makes its memory bounded beside the roles in one process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { embeddedEngineArgs } from './client.ts';

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
});
afterAll(async () => {
  await warehouse?.drop();
});

describe('the embedded engine’s memory', () => {
  it('has a ceiling, bounded caches and a few threads to delete replaced parts', async ({ skip }) => {
    if (warehouse.kind !== 'embedded') skip();
    const result = await warehouse.client.query({
      query: `SELECT name, value FROM system.server_settings
              WHERE name IN ('max_server_memory_usage', 'mark_cache_size', 'primary_index_cache_size',
                             'index_mark_cache_size', 'uncompressed_cache_size',
                             'max_parts_cleaning_thread_pool_size')`,
      format: 'JSONEachRow',
    });
    const settings = Object.fromEntries(
      (await result.json<{ name: string; value: string }>()).map((r) => [r.name, Number(r.value)]),
    );
    const mib = 2 ** 20;
    expect(settings).toEqual({
      max_server_memory_usage: 1024 * mib,
      mark_cache_size: 64 * mib,
      primary_index_cache_size: 64 * mib,
      index_mark_cache_size: 64 * mib,
      uncompressed_cache_size: 0,
      // Threads it starts stay as idle ones: replaced parts are deleted by a few, not 128.
      max_parts_cleaning_thread_pool_size: 4,
    });
  });

  it('gives small installs caches of at least 16 MiB', () => {
    expect(embeddedEngineArgs(256)).toContain(`--mark_cache_size=${16 * 2 ** 20}`);
    expect(embeddedEngineArgs(4096)).toContain(`--max_server_memory_usage=${4096 * 2 ** 20}`);
  });
});
