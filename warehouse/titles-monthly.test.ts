// Top titles read whole months from titles_monthly (migration 0017) and the rest of their range
// from titles_15m: the answer must be the one titles_15m alone gives, for any range and servers,
// also after the migration's rebuild.
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../testing/history.ts';
import { warehouseWithHistory, type TestWarehouse } from '../testing/load-history.ts';
import { loadMigrations } from './migrations.ts';
import { Analytics } from './queries/index.ts';
import { monthSplit, rows, where, filterParams, type Filters } from './queries/filters.ts';

// From the 20th of July to the 3rd of October: August and September are whole months.
const history = generateHistory({ seed: 17, plays: 400, from: Date.UTC(2026, 6, 20), days: 75, livePlays: 2 });
let warehouse: TestWarehouse;
warehouseWithHistory(history, (w) => (warehouse = w));

/** Top titles as titles_15m alone answers them (the query before migration 0017). */
async function fromPeriods(f: Filters, limit: number) {
  const list = await rows<Record<string, unknown>>(
    warehouse,
    `SELECT concat(media_type, '|', lowerUTF8(trimBoth(title)), if(media_type IN ('EPISODE', 'TRACK'), '', concat('|', ifNull(toString(year), '')))) AS key,
            sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqMerge(accounts) AS users, arraySort(groupUniqArray(server_id)) AS servers
     FROM (SELECT server_id, title_key, media_type, anyLast(title) AS title, anyLast(year) AS year, sum(plays) AS plays,
                  sum(watch_ms) AS watch_ms, uniqMergeState(accounts) AS accounts
           FROM ${warehouse.table('titles_15m')} WHERE ${where('period_start', '15m', f)}
           GROUP BY server_id, title_key, media_type)
     GROUP BY key, media_type ORDER BY plays DESC, key LIMIT {limit:UInt32}`,
    { ...filterParams(f), limit },
  );
  return list.map((r) => ({
    titleKey: String(r.key),
    plays: Number(r.plays),
    watchMs: Number(r.watch_ms),
    users: Number(r.users),
    servers: r.servers,
  }));
}

const ranges: Array<[string, Filters]> = [
  ['the whole history', { from: Date.UTC(2026, 6, 20, 9, 7, 13), to: history.end }],
  ['exactly August and September', { from: Date.UTC(2026, 7, 1), to: Date.UTC(2026, 9, 1) }],
  [
    'mid-August to mid-September (no whole month)',
    { from: Date.UTC(2026, 7, 15, 10, 40), to: Date.UTC(2026, 8, 14, 3) },
  ],
  ['one server, 25 July to 2 October', { from: Date.UTC(2026, 6, 25), to: Date.UTC(2026, 9, 2), serverIds: ['jf-b'] }],
];

describe('top titles by month and by period', () => {
  it('splits a range into whole UTC months and the periods around them', () => {
    const at = (...p: [number, number, number?, number?, number?]) => Date.UTC(...p);
    expect(monthSplit({ from: at(2026, 6, 20, 9, 7), to: at(2026, 9, 3, 0, 1) })).toEqual({
      from: at(2026, 6, 20, 9, 0),
      monthsFrom: at(2026, 7, 1),
      monthsTo: at(2026, 9, 1),
      to: at(2026, 9, 3, 0, 15),
    });
    expect(monthSplit({ from: at(2026, 7, 1), to: at(2026, 9, 1) })).toEqual({
      from: at(2026, 7, 1),
      monthsFrom: at(2026, 7, 1),
      monthsTo: at(2026, 9, 1),
      to: at(2026, 9, 1),
    });
    // December into January; a range within a month has no months.
    expect(monthSplit({ from: at(2026, 10, 30), to: at(2027, 1, 1) })).toMatchObject({
      monthsFrom: at(2026, 11, 1),
      monthsTo: at(2027, 1, 1),
    });
    expect(monthSplit({ from: at(2026, 7, 2), to: at(2026, 7, 30) })).toEqual({
      from: at(2026, 7, 2),
      monthsFrom: at(2026, 7, 30),
      monthsTo: at(2026, 7, 30),
      to: at(2026, 7, 30),
    });
    expect(() => monthSplit({ from: 2, to: 1 })).toThrow(/before/);
  });

  it('gives what titles_15m alone gives, for ranges with and without whole months', async () => {
    const [monthly] = await rows<{ n: string }>(
      warehouse,
      `SELECT count() AS n FROM ${warehouse.table('titles_monthly')}`,
      {},
    );
    expect(Number(monthly!.n)).toBeGreaterThan(0);
    for (const [, f] of ranges) {
      const expected = await fromPeriods(f, 50);
      expect(expected.length).toBeGreaterThan(5);
      const got = (await new Analytics(warehouse).topTitles(f, 50)).map((t) => ({
        titleKey: t.titleKey,
        plays: t.plays,
        watchMs: t.watchMs,
        users: t.users,
        servers: t.servers,
      }));
      expect(got).toEqual(expected);
    }
  });

  it("gives the same after the migration's rebuild of the months", async () => {
    const migration = loadMigrations().find((m) => m.name === 'titles_monthly')!;
    const before = await Promise.all(ranges.map(([, f]) => new Analytics(warehouse).topTitles(f, 50)));
    for (const statement of migration.statements)
      await warehouse.client.command({ query: statement.replaceAll('{{database}}', warehouse.database) });
    const after = await Promise.all(ranges.map(([, f]) => new Analytics(warehouse).topTitles(f, 50)));
    expect(after).toEqual(before);
  });
});
