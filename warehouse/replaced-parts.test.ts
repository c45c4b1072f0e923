// Migration 0021: the engine deletes the parts that merges replaced every 5-30 s, not up to every
// 300 s. It holds a replaced part's description in memory until then, and each insert of the sink
// makes a part in about twenty tables (bench/README.md, "Memory"). A table added later without the
// settings fails here, so the choice is made again for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import type { TestWarehouse } from '../testing/load-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { rows } from './queries/filters.ts';
import { migrate } from './migrations.ts';

describe('parts replaced by merges', () => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await openTestWarehouse();
    await migrate(warehouse, createLogger('test'));
  });
  afterAll(async () => {
    await warehouse?.drop();
  });

  it('are deleted at most 30 s apart in every MergeTree table, those the views write included', async () => {
    const tables = await rows<{ name: string; engine_full: string }>(
      warehouse,
      `SELECT name, engine_full FROM system.tables
       WHERE database = {database:String} AND engine LIKE '%MergeTree' ORDER BY name`,
      { database: warehouse.database },
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['playback_events', 'sessions', 'plays_15m']));
    const setting = (engine: string, name: string) => new RegExp(`\\b${name} = (\\d+)`).exec(engine)?.[1];
    const unset = tables.filter(
      (t) =>
        setting(t.engine_full, 'cleanup_delay_period') !== '5' ||
        setting(t.engine_full, 'max_cleanup_delay_period') !== '30',
    );
    expect(unset.map((t) => t.name)).toEqual([]);
  });
});
