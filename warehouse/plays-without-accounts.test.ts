// Charts of every account read plays_by_server_15m and top users read whole months from
// account_plays_monthly (migration 0019): each answer must be the one plays_15m alone gives, for
// any range, time zone, servers and accounts, also after the migration's rebuilds.
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../testing/history.ts';
import { warehouseWithHistory, type TestWarehouse } from '../testing/load-history.ts';
import { loadMigrations } from './migrations.ts';
import { Analytics } from './queries/index.ts';
import { filterParams, rows, where, type Filters } from './queries/filters.ts';

// From the 20th of July to the 3rd of October: August and September are whole months.
const history = generateHistory({ seed: 19, plays: 500, from: Date.UTC(2026, 6, 20), days: 75, livePlays: 3 });
let warehouse: TestWarehouse;
warehouseWithHistory(history, (w) => (warehouse = w));

const ranges: Array<[string, Filters]> = [
  ['the whole history', { from: Date.UTC(2026, 6, 20, 9, 7, 13), to: history.end + 1 }],
  ['exactly August and September', { from: Date.UTC(2026, 7, 1), to: Date.UTC(2026, 9, 1) }],
  [
    'mid-August to mid-September, Kolkata days',
    { from: Date.UTC(2026, 7, 15, 10, 40), to: Date.UTC(2026, 8, 14, 3), timeZone: 'Asia/Kolkata' },
  ],
  ['one server, 25 July to 2 October', { from: Date.UTC(2026, 6, 25), to: Date.UTC(2026, 9, 2), serverIds: ['jf-b'] }],
  ['two accounts', { from: Date.UTC(2026, 6, 20), to: history.end + 1, accountKeys: ['plex-a:3', 'jf-b:5'] }],
];

/** Every chart of plays as plays_15m alone answers it (the queries before migration 0019). */
async function fromAccounts(f: Filters) {
  const q = (select: string, tail = '') =>
    rows<Record<string, string>>(
      warehouse,
      `SELECT ${select} FROM ${warehouse.table('plays_15m')} WHERE ${where('period_start', '15m', f, { accounts: true })} ${tail}`,
      { ...filterParams(f), limit: 1000 },
    );
  const n = (list: Array<Record<string, string>>) => list.map((r) => Object.values(r).map(String));
  return {
    days: n(
      await q(
        'toString(toDate(period_start, {tz:String})) AS d, media_type, sum(plays), sum(watch_ms)',
        'GROUP BY d, media_type ORDER BY d, media_type',
      ),
    ),
    heat: n(
      await q(
        'toDayOfWeek(period_start, 0, {tz:String}) AS dow, toHour(period_start, {tz:String}) AS h, sum(plays), sum(watch_ms)',
        'GROUP BY dow, h ORDER BY dow, h',
      ),
    ),
    decisions: n(await q('sum(transcode_plays), sum(direct_stream_plays), sum(direct_play_plays)')),
    data: n(await q('toString(toDate(period_start, {tz:String})) AS d, sum(streamed_kbit)', 'GROUP BY d ORDER BY d')),
    users: n(
      await q('account_key AS a, sum(plays) AS p, sum(watch_ms)', 'GROUP BY a ORDER BY p DESC, a LIMIT {limit:UInt32}'),
    ),
  };
}

async function fromAnalytics(f: Filters) {
  const a = new Analytics(warehouse);
  const s = (list: unknown[][]) => list.map((r) => r.map(String));
  const decisions = await a.streamDecisions(f);
  return {
    days: s((await a.playsOverTime(f)).map((p) => [p.day, p.mediaType, p.plays, p.watchMs])),
    heat: s((await a.heatmap(f)).map((p) => [p.dayOfWeek, p.hour, p.plays, p.watchMs])),
    decisions: s([decisions.map((d) => d.plays)]),
    data: s((await a.streamedData(f)).map((p) => [p.day, p.kilobits])),
    users: s((await a.topUsers(f, 1000)).map((u) => [u.accountKey, u.plays, u.watchMs])),
  };
}

async function count(table: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    warehouse,
    `SELECT count() AS n FROM (SELECT 1 FROM ${warehouse.table(table)} FINAL)`,
    {},
  );
  return Number(r!.n);
}

describe('charts of plays without accounts, top users by month', () => {
  it('holds plays_15m in fewer rows', async () => {
    const [sums] = await rows<Record<string, string>>(
      warehouse,
      `SELECT (SELECT sum(plays) FROM ${warehouse.table('plays_15m')}) AS all_plays,
              (SELECT sum(plays) FROM ${warehouse.table('plays_by_server_15m')}) AS by_server,
              (SELECT sum(plays) FROM ${warehouse.table('account_plays_monthly')}) AS monthly`,
      {},
    );
    expect(Number(sums!.all_plays)).toBe(history.plays.length);
    expect(Number(sums!.by_server)).toBe(history.plays.length);
    expect(Number(sums!.monthly)).toBe(history.plays.length);
    const fine = await count('plays_15m');
    expect(await count('plays_by_server_15m')).toBeLessThan(fine);
    expect(await count('account_plays_monthly')).toBeLessThan(fine / 5);
  });

  it('gives what plays_15m alone gives, for every range, zone, server and account filter', async () => {
    for (const [name, f] of ranges) {
      const expected = await fromAccounts(f);
      expect(expected.days.length, name).toBeGreaterThan(5);
      expect(expected.users.length, name).toBeGreaterThan(1);
      expect(await fromAnalytics(f), name).toEqual(expected);
    }
  });

  it("gives the same after the migration's rebuilds", async () => {
    const migration = loadMigrations().find((m) => m.name === 'plays_without_accounts')!;
    const before = await Promise.all(ranges.map(([, f]) => fromAnalytics(f)));
    for (const statement of migration.statements)
      await warehouse.client.command({ query: statement.replaceAll('{{database}}', warehouse.database) });
    expect(await Promise.all(ranges.map(([, f]) => fromAnalytics(f)))).toEqual(before);
  });
});
