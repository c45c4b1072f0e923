import { mkdtempSync, writeFileSync } from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoIp } from '../core/geoip.ts';
import { backtest } from '../pipeline/backtest.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { createLogger } from '../core/logger.ts';
import type { OperatorEvent } from '../schemas/index.ts';
import { ImportJobs } from './jobs.ts';
import { AutomationQueries } from '../warehouse/queries/automations.ts';
import { backtestAutomation } from '../alerts/automation-backtest.ts';
import { PRESETS, validateAutomation } from '../alerts/automations.ts';
import { createJellystatBackup, createTautulliDatabase, generatePlays } from '../testing/import-fixtures.ts';
import { tautulliGetHistory } from '../testing/tautulli-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { importHistory, ImportFormatError } from './import-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'sw-import-'));
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let geo: GeoIp;
let tautulli: Server;
let tautulliUrl: string;
const apiCalls: URLSearchParams[] = [];
const plays = generatePlays(120, 6);

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
  geo = await GeoIp.open();
  // Tautulli's API v2: /api/v2?apikey=...&cmd=get_history&start=&length=, answered from a database.
  const apiDb = join(dir, 'api-tautulli.db');
  createTautulliDatabase(apiDb, generatePlays(60, 4, Date.UTC(2026, 6, 1)));
  tautulli = createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams;
    apiCalls.push(q);
    res.setHeader('content-type', 'application/json');
    if (q.get('apikey') !== 'tautulli-key')
      return res.end(JSON.stringify({ response: { result: 'error', message: 'Invalid apikey', data: {} } }));
    res.end(JSON.stringify({ response: { result: 'success', message: null, data: tautulliGetHistory(apiDb, q) } }));
  });
  await new Promise<void>((resolve) => tautulli.listen(0, '127.0.0.1', resolve));
  tautulliUrl = `http://127.0.0.1:${(tautulli.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => tautulli.close(resolve));
  await warehouse?.drop();
});

async function count(sql: string, params: Record<string, unknown>): Promise<number> {
  const result = await warehouse.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}
const sessions = (server: string) =>
  count(
    `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE server_id = {s:String} AND isNotNull(stopped_at)`,
    { s: server },
  );
const rolledUp = (server: string) =>
  count(`SELECT sum(plays) AS n FROM ${warehouse.table('plays_daily')} WHERE server_id = {s:String}`, { s: server });

describe('history import', () => {
  it('imports a Tautulli database twice: every play once, users named, places geolocated', async () => {
    const file = join(dir, 'tautulli.db');
    createTautulliDatabase(file, plays);
    const progress: number[] = [];
    const first = await importHistory({ kind: 'tautulli-db', path: file, serverId: 'plex-home' }, warehouse, {
      geo,
      onProgress: (p) => progress.push(p.read),
    });
    expect(first).toEqual({
      read: plays.length,
      total: plays.length,
      added: plays.length,
      skipped: 0,
      sourceRows: plays.length,
      groupedRows: 0,
      unreadable: {},
    });
    expect(progress.at(-1)).toBe(plays.length);
    const second = await importHistory({ kind: 'tautulli-db', path: file, serverId: 'plex-home' }, warehouse, {
      geo,
    });
    expect(second).toMatchObject({ added: 0, skipped: plays.length });

    expect(await sessions('plex-home')).toBe(plays.length);
    expect(await rolledUp('plex-home')).toBe(plays.length);
    const users = await warehouse.client.query({
      query: `SELECT DISTINCT account_key, user_name FROM ${warehouse.table('sessions')} FINAL WHERE server_id = 'plex-home' ORDER BY account_key`,
      format: 'JSONEachRow',
    });
    expect(await users.json()).toEqual(
      Array.from({ length: 6 }, (_, i) => ({ account_key: `plex-home:${i + 1}`, user_name: `Friendly user${i + 1}` })),
    );
    const london = await count(
      `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE server_id = 'plex-home' AND city = 'London' AND country_code = 'GB'`,
      {},
    );
    expect(london).toBe(plays.filter((p) => p.ip === '81.2.69.142').length);
    const transcodes = await count(
      `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE server_id = 'plex-home' AND is_transcode`,
      {},
    );
    expect(transcodes).toBe(plays.filter((p) => p.transcode).length); // Posters from Tautulli's art paths: a show's for an episode, a film's own.
    const posters = await warehouse.client.query({
      query: `SELECT media_type, uniqExact(image_ref) AS refs, any(image_ref) AS ref FROM ${warehouse.table('sessions')} FINAL WHERE server_id = 'plex-home' GROUP BY media_type ORDER BY media_type`,
      format: 'JSONEachRow',
    });
    const byType = (await posters.json()) as Array<{ media_type: string; refs: string; ref: string }>;
    expect(byType.find((r) => r.media_type === 'EPISODE')).toMatchObject({
      refs: '1',
      ref: '/library/metadata/4000/thumb/1700000000',
    });
    expect(byType.find((r) => r.media_type === 'MOVIE')?.ref).toMatch(/^\/library\/metadata\/\d+\/thumb\/1700000000$/);
  });

  it('feeds a rule backtest with the imported history', async () => {
    const report = await backtest(warehouse, {
      from: Date.UTC(2026, 9, 1),
      to: Date.UTC(2026, 11, 1),
      rules: DEFAULT_RULES,
      serverIds: ['plex-home'],
    });
    expect(report.events).toBe(plays.length * 2);
    expect(report.violations.filter((v) => v.rule === 'SIMULTANEOUS_LOCATIONS').map((v) => v.accountKey)).toEqual([
      'plex-home:1',
    ]);
  });

  it('backtests an automation rule over the imported history: every 4K transcode, every play past 40 minutes that day', async () => {
    const history = await new AutomationQueries(warehouse).historyPlays(
      Date.UTC(2026, 9, 1),
      Date.UTC(2026, 11, 1),
      10_000,
    );
    const ours = history.filter((p) => p.server_id === 'plex-home');
    const rule = (trigger: string, conditions: unknown[], action: unknown = { type: 'stop', message: 'no' }) => ({
      id: 'backtest',
      ...validateAutomation({ name: 'b', trigger, conditions, actions: [action] }),
    });
    const transcodes = await backtestAutomation(rule('TRANSCODE_STARTED', []), ours, { timeZone: 'UTC', cut: false });
    expect(transcodes.plays).toBe(plays.length);
    expect(transcodes.fired).toBe(plays.filter((p) => p.transcode).length);
    expect(transcodes.firings[0]).toMatchObject({ serverId: 'plex-home', actions: ['stop with "no"'] });
    expect(transcodes.byDay.reduce((n, d) => n + d.fired, 0)).toBe(transcodes.fired);
    // Plays of 45 minutes: a second play of an account on the same day has 45 before it.
    const day = (t: number) => Math.floor(t / 86_400_000);
    const afterAnother = plays.filter((p, i) =>
      plays.some(
        (q, j) =>
          q.userId === p.userId &&
          day(q.started) === day(p.started) &&
          (q.started < p.started || (q.started === p.started && j < i)),
      ),
    ).length;
    expect(afterAnother).toBeGreaterThan(0);
    const limit = await backtestAutomation(
      rule('STREAM_STARTED', [{ field: 'watchedTodayMinutes', op: 'over', value: 40 }]),
      ours,
      { timeZone: 'UTC', cut: false },
    );
    expect(limit.fired).toBe(afterAnother);
    await expect(
      backtestAutomation(rule('SERVER_DOWN', [], { type: 'notify', channels: [] }), ours, {
        timeZone: 'UTC',
        cut: false,
      }),
    ).rejects.toThrow(/SERVER_DOWN events are not plays/);
  });

  it('backtests imported plays as going on from their start to their stop: four 2-hour streams at once are caught', async () => {
    // An imported play has a start and a stop event only, nothing in between.
    const start = Date.UTC(2026, 10, 3, 19, 0);
    const streams = Array.from({ length: 4 }, (_, i) => ({
      id: 900 + i,
      userId: 9,
      userName: 'reseller',
      started: start + i * 15 * 60_000,
      stopped: start + i * 15 * 60_000 + 2 * 3_600_000,
      ip: '81.2.69.142',
      title: `Film ${i}`,
      episode: false,
      transcode: false,
      device: `box-${i}`,
    }));
    const file = join(dir, 'streams.db');
    createTautulliDatabase(file, streams);
    await importHistory({ kind: 'tautulli-db', path: file, serverId: 'plex-streams' }, warehouse, { geo });
    const report = await backtest(warehouse, {
      from: start - 3_600_000,
      to: start + 6 * 3_600_000,
      rules: DEFAULT_RULES,
      serverIds: ['plex-streams'],
    });
    expect(report.byRule.CONCURRENT_STREAMS).toBe(1);
    expect(report.violations.find((v) => v.rule === 'CONCURRENT_STREAMS')?.summary).toBe('4 streams at once (limit 3)');
    // The stream-count presets over the same history: the third start warned, the fourth stopped.
    const history = (
      await new AutomationQueries(warehouse).historyPlays(start - 3_600_000, start + 6 * 3_600_000, 100)
    ).filter((p) => p.server_id === 'plex-streams');
    const preset = (id: string) => ({ ...PRESETS.find((p) => p.id === id)!, enabled: true });
    const warned = await backtestAutomation(preset('preset-third-stream-warning'), history, {
      timeZone: 'UTC',
      cut: false,
    });
    expect(warned.firings.map((f) => [f.title, f.actions])).toEqual([
      ['Film 2', ['show "This is your third stream at once. Two are allowed: a fourth will be stopped."']],
    ]);
    const stopped = await backtestAutomation(preset('preset-fourth-stream-stopped'), history, {
      timeZone: 'UTC',
      cut: false,
    });
    expect(stopped.firings.map((f) => f.title)).toEqual(['Film 3']);
  });

  it.each(['json', 'jsonl'] as const)('imports a Jellystat %s backup twice: every play once', async (format) => {
    const file = join(dir, `backup.${format}`);
    const list = generatePlays(50, 5, Date.UTC(2026, 7, 1));
    createJellystatBackup(file, list, format);
    const server = `jf-${format}`;
    expect(
      await importHistory({ kind: 'jellystat', path: file, serverId: server }, warehouse, {
        geo,
      }),
    ).toMatchObject({ added: list.length, skipped: 0 });
    expect(await importHistory({ kind: 'jellystat', path: file, serverId: server }, warehouse)).toMatchObject({
      added: 0,
      skipped: list.length,
    });
    expect(await sessions(server)).toBe(list.length);
    expect(await rolledUp(server)).toBe(list.length);
    const played = await count(
      `SELECT sum(played_ms) AS n FROM ${warehouse.table('sessions')} FINAL WHERE server_id = {s:String}`,
      { s: server },
    );
    expect(played).toBe(list.length * 45 * 60_000);
  });

  it("imports from Tautulli's API page by page, twice, and says when the key is wrong", async () => {
    const source = { kind: 'tautulli-api' as const, url: tautulliUrl, apiKey: 'tautulli-key', serverId: 'plex-api' };
    const first = await importHistory(source, warehouse);
    expect(first).toMatchObject({ read: 62, added: 62, skipped: 0 });
    expect(apiCalls.filter((q) => q.get('cmd') === 'get_history').length).toBeGreaterThan(1);
    expect(await importHistory(source, warehouse)).toMatchObject({ added: 0, skipped: 62 });
    expect(await sessions('plex-api')).toBe(62);
    await expect(importHistory({ ...source, apiKey: 'nope' }, warehouse)).rejects.toThrow(
      'Tautulli refused get_history: Invalid apikey',
    );
  });

  it('explains a wrong or corrupt file and imports nothing from it', async () => {
    const notSqlite = join(dir, 'notes.db');
    writeFileSync(notSqlite, 'just some text');
    await expect(importHistory({ kind: 'tautulli-db', path: notSqlite, serverId: 'x' }, warehouse)).rejects.toThrow(
      /is not a SQLite database/,
    );
    const otherDb = join(dir, 'other.db');
    new DatabaseSync(otherDb).exec('CREATE TABLE session_history (id INTEGER)');
    await expect(importHistory({ kind: 'tautulli-db', path: otherDb, serverId: 'x' }, warehouse)).rejects.toThrow(
      'is not a Tautulli database: tables session_history_metadata, session_history_media_info, users missing',
    );
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, '[{"jf_playback_activity": [{"Id": "1"');
    await expect(importHistory({ kind: 'jellystat', path: truncated, serverId: 'x' }, warehouse)).rejects.toThrow(
      /is not valid JSON/,
    );
    const unrelated = join(dir, 'unrelated.json');
    writeFileSync(unrelated, JSON.stringify([{ something: [] }]));
    await expect(importHistory({ kind: 'jellystat', path: unrelated, serverId: 'x' }, warehouse)).rejects.toThrow(
      ImportFormatError,
    );
    await expect(
      importHistory({ kind: 'jellystat', path: join(dir, 'missing.json'), serverId: 'x' }, warehouse),
    ).rejects.toThrow(/cannot read/);
    await expect(importHistory({ kind: 'jellystat', path: unrelated, serverId: 'Bad Id' }, warehouse)).rejects.toThrow(
      /server id must be/,
    );
    expect(await sessions('x')).toBe(0);
  });

  it('announces the end of a background import, done or failed, as an event', { timeout: 60_000 }, async () => {
    const told: OperatorEvent[] = [];
    const jobs = new ImportJobs({ warehouse, logger: createLogger('test'), announce: async (e) => void told.push(e) });
    const file = join(dir, 'announced.db');
    createTautulliDatabase(file, generatePlays(12, 3, Date.UTC(2026, 4, 1)));
    const done = jobs.start({ kind: 'tautulli-db', path: file, serverId: 'announced' });
    const broken = join(dir, 'broken.db');
    writeFileSync(broken, 'not a database');
    const failed = jobs.start({ kind: 'tautulli-db', path: broken, serverId: 'announced' });
    await expect.poll(() => told.length, { timeout: 30_000 }).toBe(2);
    expect(told.find((e) => e.eventId === `IMPORT_FINISHED:${done.id}`)).toMatchObject({
      type: 'IMPORT_FINISHED',
      serverId: 'announced',
      details: { kind: 'tautulli-db', added: '14', skipped: '0' },
    });
    expect(told.find((e) => e.eventId === `IMPORT_FAILED:${failed.id}`)).toMatchObject({
      type: 'IMPORT_FAILED',
      severity: 'MEDIUM',
      details: { error: expect.stringContaining('is not a SQLite database') },
    });
  });
});

// An import reads its source on a thread of its own: if that thread dies (out of memory on a
// hostile file, killed), the import fails with a clear error and leaves no staging behind, the
// process goes on, and the next import adds what is missing.
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
    try {
      await expect(
        importHistory(source, warehouse, {
          onProgress: (p) => {
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
    const file = join(mkdtempSync(join(tmpdir(), 'sw-reader-')), 'users.jsonl');
    // 96 users with names of 1 MB: the reader keeps every user's name to put on their plays.
    const name = 'x'.repeat(2 ** 20);
    const users = Array.from(
      { length: 96 },
      (_, i) => `{"type":"row","table":"jf_users","data":{"Id":"u${i}","Name":"${name}"}}`,
    );
    writeFileSync(file, users.join('\n'));
    await expect(
      importHistory({ kind: 'jellystat', path: file, serverId: 'jf-endless' }, warehouse, { readerHeapMiB: 64 }),
    ).rejects.toThrow('reading the source took more than 64 MiB of memory');
    expect(await stored('jf-endless')).toEqual({ events: 0, stages: 0 });
  });

  it('refuses a JSON Lines row that runs past 16 MiB, by its line, instead of holding it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sw-reader-')), 'endless.jsonl');
    writeFileSync(file, `\n{"type":"row","table":"jf_users","data":{"Name":"${'x'.repeat(17 * 2 ** 20)}`);
    await expect(importHistory({ kind: 'jellystat', path: file, serverId: 'jf-long' }, warehouse)).rejects.toThrow(
      'endless.jsonl, line 2 runs past 16 MiB without ending; is this a Jellystat backup?',
    );
    expect(await stored('jf-long')).toEqual({ events: 0, stages: 0 });
  });
});
