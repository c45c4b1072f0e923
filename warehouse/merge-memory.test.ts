// Migration 0020: merges of the wide tables run column by column. Observed on the engine itself:
// system.merges shows each merge's algorithm and memory while the merge runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { generateHistory } from '../testing/history.ts';
import type { TestWarehouse } from '../testing/load-history.ts';
import { openTestWarehouse, storeEvents } from '../testing/warehouse.ts';
import { rows } from './queries/filters.ts';
import { migrate } from './migrations.ts';

const WIDE_TABLES = ['playback_events', 'sessions', 'sessions_by_account'];

describe('merges of the wide tables', () => {
  let warehouse: TestWarehouse;
  let observer: TestWarehouse;
  beforeAll(async () => {
    warehouse = await openTestWarehouse();
    // A connection of its own: on the embedded engine a connection runs one query at a time.
    observer = await openTestWarehouse();
    await migrate(warehouse, createLogger('test'));
  });
  afterAll(async () => {
    await observer?.drop();
    await warehouse?.drop();
  });

  it('take tens of MiB, not hundreds: four wide parts of 20,000 plays merge column by column', async () => {
    // Four parts of 20,000 plays (each play's last event, copied under new keys), one row per play
    // in every table: 80,000 rows in all, which ClickHouse merges horizontally by default (under
    // 131,072), each part wide (over 10 MiB; compact parts merge horizontally whatever the
    // settings, and take little memory). Before migration 0020 the merge of playback_events took
    // about 300 MiB here.
    const { plays } = generateHistory({ plays: 20_000, days: 10, from: Date.UTC(2026, 9, 1) });
    const part = (n: number) =>
      plays.map(({ last }) => ({ ...last, eventId: `${last.eventId}:${n}`, sessionKey: `${last.sessionKey}:${n}` }));
    for (const table of WIDE_TABLES)
      await warehouse.client.command({ query: `SYSTEM STOP MERGES ${warehouse.table(table)}` });
    for (let n = 0; n < 4; n++) await storeEvents(warehouse, part(n));
    for (const table of WIDE_TABLES) {
      await warehouse.client.command({ query: `SYSTEM START MERGES ${warehouse.table(table)}` });
      const seen: Array<{ merge_algorithm: string; memory_usage: string }> = [];
      let merged = false;
      const merging = warehouse.client
        .command({ query: `OPTIMIZE TABLE ${warehouse.table(table)}` })
        .finally(() => (merged = true));
      while (!merged)
        seen.push(
          ...(await rows<{ merge_algorithm: string; memory_usage: string }>(
            observer,
            `SELECT merge_algorithm, toString(memory_usage) AS memory_usage FROM system.merges
             WHERE database = {database:String} AND table = {table:String} AND merge_algorithm != 'Undecided'`,
            { database: warehouse.database, table },
          )),
        );
      await merging;
      expect(seen.length, `${table}: samples of the merge while it ran`).toBeGreaterThan(0);
      for (const sample of seen) {
        expect(sample.merge_algorithm, table).toBe('Vertical');
        expect(Number(sample.memory_usage) / 2 ** 20, `${table}: MiB`).toBeLessThan(64);
      }
    }
  });
});
