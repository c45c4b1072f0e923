// A warehouse written by the previous release (migrations up to 0007, rollups counting stopped
// plays by UTC day) opened by this one: the rollups are rebuilt to the one definition of a play,
// nothing is counted twice, and queries written against the old rollup names still run.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import type { PlaybackEvent } from '../schemas/index.ts';
import { generateHistory } from '../testing/history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import type { Warehouse } from './client.ts';
import { loadMigrations, migrate, MIGRATIONS_DIR } from './migrations.ts';
import { Analytics, SessionQueries } from './queries/index.ts';
import { playbackEventRow } from './rows.ts';

const logger = createLogger('test');
const PREVIOUS_RELEASE = 7;
const newer = loadMigrations()
  .map((m) => m.version)
  .filter((v) => v > PREVIOUS_RELEASE);
const history = generateHistory({ seed: 11, plays: 90, livePlays: 5 });
const range = { from: Math.min(...history.plays.map((p) => p.startedAt)), to: history.end + 1 };

function previousReleaseMigrations(): string {
  const dir = `${mkdtempSync(join(tmpdir(), 'sw-previous-'))}/`;
  for (const m of loadMigrations().filter((m) => m.version <= PREVIOUS_RELEASE))
    copyFileSync(MIGRATIONS_DIR + m.file, dir + m.file);
  return dir;
}

let offset = 0;
async function store(w: Warehouse, events: PlaybackEvent[]): Promise<void> {
  const values = events.map((e) =>
    playbackEventRow(e, {
      topic: 'streamwarden.playback-events',
      partition: 0,
      offset: String(offset++),
      key: null,
      value: null,
      headers: {},
      timestamp: e.observedAt,
    }),
  );
  await w.client.insert({ table: w.table('playback_events'), values, format: 'JSONEachRow' });
}

/** Each account's plays as its own history page reads them, beside the same plays from the page of all accounts. */
async function accountPages(w: Warehouse): Promise<{ own: string[][]; fromAll: string[][] }> {
  const sessions = new SessionQueries(w);
  const key = (s: { serverId: string; sessionKey: string; stoppedAt: string | null }) =>
    `${s.serverId}/${s.sessionKey}/${s.stoppedAt === null ? 'running' : 'stopped'}`;
  const all = (await sessions.history(range, { limit: 500 })).sessions;
  const accounts = [...new Set(history.plays.map((p) => p.accountKey))].sort();
  const own = await Promise.all(
    accounts.map(async (a) =>
      (await sessions.history({ ...range, accountKeys: [a] }, { limit: 500 })).sessions.map(key),
    ),
  );
  return { own, fromAll: accounts.map((a) => all.filter((s) => s.accountKey === a).map(key)) };
}

async function scalar(w: Warehouse, query: string): Promise<number> {
  const result = await w.client.query({ query, format: 'JSONEachRow' });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n);
}

const live = history.plays.filter((p) => p.live);
const watched = (plays: typeof history.plays) =>
  plays.filter((p) => !p.live).reduce((n, p) => n + (p.last.playedMs ?? 0), 0);

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
beforeEach(async () => {
  warehouse = await openTestWarehouse();
});
afterEach(async () => {
  await warehouse.drop();
});

describe('upgrading a warehouse written by the previous release', () => {
  it('rebuilds the rollups so that every play counts from its start, running ones included', async () => {
    expect(await migrate(warehouse, logger, previousReleaseMigrations())).toHaveLength(PREVIOUS_RELEASE);
    await store(warehouse, history.events);
    // The previous release counted only the plays that had stopped.
    expect(await scalar(warehouse, `SELECT sum(plays) AS n FROM ${warehouse.table('plays_daily')}`)).toBe(
      history.plays.length - live.length,
    );

    expect(await migrate(warehouse, logger)).toEqual(newer);
    const analytics = new Analytics(warehouse);
    const points = await analytics.playsOverTime(range);
    expect(points.reduce((n, p) => n + p.plays, 0)).toBe(history.plays.length);
    expect(points.reduce((n, p) => n + p.watchMs, 0)).toBe(watched(history.plays));
    const items = await scalar(warehouse, `SELECT sum(plays) AS n FROM ${warehouse.table('item_plays')}`);
    expect(items).toBe(history.plays.length);

    // Queries written against the old rollups still run, on the new counts.
    expect(await scalar(warehouse, `SELECT sum(plays) AS n FROM ${warehouse.table('plays_daily')}`)).toBe(
      history.plays.length,
    );
    expect(await scalar(warehouse, `SELECT sum(plays) AS n FROM ${warehouse.table('plays_hourly')}`)).toBe(
      history.plays.length,
    );
    for (const table of ['clients_daily', 'titles_daily', 'geo_daily'])
      expect(await scalar(warehouse, `SELECT uniqMerge(accounts) AS n FROM ${warehouse.table(table)}`), table).toBe(
        new Set(history.plays.map((p) => p.accountKey)).size,
      );

    // The running plays end after the upgrade: their watch time arrives, their plays are not counted again.
    await store(
      warehouse,
      live.map((p) => ({ ...p.last, eventType: 'STOPPED', eventId: `${p.last.eventId}-stop`, playState: 'STOPPED' })),
    );
    // One account's plays come from the copy ordered by account (0018), filled from what the
    // previous release stored and, through its view, with what came after.
    const pages = await accountPages(warehouse);
    expect(pages.own.flat()).toHaveLength(history.plays.length);
    expect(pages.own).toEqual(pages.fromAll);
    expect(pages.own.flat().filter((k) => k.endsWith('running'))).toHaveLength(0);

    const after = await analytics.playsOverTime(range);
    expect(after.reduce((n, p) => n + p.plays, 0)).toBe(history.plays.length);
    expect(after.reduce((n, p) => n + p.watchMs, 0)).toBe(
      history.plays.reduce((n, p) => n + (p.last.playedMs ?? 0), 0),
    );
  });

  it('applies a rebuild once when several processes start together', async () => {
    await migrate(warehouse, logger, previousReleaseMigrations());
    await store(warehouse, history.events);
    const results = await Promise.all([1, 2, 3].map(() => migrate(warehouse, logger)));
    expect(results.filter((r) => r.length > 0)).toEqual([newer]);
    const points = await new Analytics(warehouse).playsOverTime(range);
    expect(points.reduce((n, p) => n + p.plays, 0)).toBe(history.plays.length);
  });
});
