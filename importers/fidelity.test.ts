// Imports compared field by field with what the source tool itself shows: a tautulli.db written
// the way Tautulli writes it, its API answering from that database the way its datafactory does,
// and Jellystat backups of today and of 2023 (testing/tautulli-history.ts, jellystat-history.ts).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { createJellystatHistory } from '../testing/jellystat-history.ts';
import { createTautulliHistory, tautulliGetHistory } from '../testing/tautulli-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { importHistory } from './import-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'sw-fidelity-'));
const tautulliDb = join(dir, 'tautulli.db');
const tautulli = createTautulliHistory(tautulliDb);
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let api: Server;
let apiUrl = '';
const apiQueries: URLSearchParams[] = [];

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
  api = createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams;
    apiQueries.push(q);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ response: { result: 'success', message: null, data: tautulliGetHistory(tautulliDb, q) } }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => api.close(resolve));
  await warehouse?.drop();
});

interface StoredPlay {
  session_key: string;
  started: string;
  stopped: string;
  played_ms: string;
  paused_ms: string;
  media_type: string;
  title: string;
  client_ip: string;
  network_location: string;
  video_decision: string;
  duration_ms: string | null;
  season_number: number | null;
  episode_number: number | null;
}

async function stored(serverId: string): Promise<StoredPlay[]> {
  const result = await warehouse.client.query({
    query: `SELECT session_key, toString(toUnixTimestamp64Milli(started_at)) AS started, toString(toUnixTimestamp64Milli(stopped_at)) AS stopped,
                   played_ms, paused_ms, media_type, title, client_ip, network_location, video_decision, duration_ms, season_number, episode_number
            FROM ${warehouse.table('sessions')} FINAL WHERE server_id = {s:String} ORDER BY session_key`,
    query_params: { s: serverId },
    format: 'JSONEachRow',
  });
  return result.json<StoredPlay>();
}

const byId = (rows: StoredPlay[]) => new Map(rows.map((r) => [r.session_key.split(':').at(-1)!, r]));

function expectTautulliPlays(rows: StoredPlay[], options: { mediaLength: boolean }) {
  const plays = byId(rows);
  expect(plays.size).toBe(tautulli.plays.length);
  for (const p of tautulli.plays) {
    const got = plays.get(String(p.id));
    expect(got, `play ${p.id}`).toBeDefined();
    expect(
      {
        started: Number(got!.started),
        stopped: Number(got!.stopped),
        played: Number(got!.played_ms),
        paused: Number(got!.paused_ms),
        type: got!.media_type,
        title: got!.title,
        ip: got!.client_ip,
        network: got!.network_location,
        video: got!.video_decision,
        length: got!.duration_ms === null ? null : Number(got!.duration_ms),
      },
      `play ${p.id}`,
    ).toEqual({
      started: p.startedAt,
      stopped: p.stoppedAt,
      played: p.playedMs,
      paused: p.pausedMs,
      type: p.mediaType,
      title: p.title,
      ip: p.ip,
      network: p.networkLocation,
      video: p.videoDecision,
      length: options.mediaLength ? p.durationMs : null,
    });
  }
}

describe('Tautulli history, as Tautulli counts it', () => {
  it('a database: resumed sessions are one play, played time summed per session, live TV, music and mobile as they are', async () => {
    const grouped = tautulli.sessions - tautulli.plays.length;
    expect(grouped).toBeGreaterThan(20);
    expect(tautulli.plays.some((p) => p.stoppedAt - p.startedAt > 100 * 86_400_000)).toBe(true);
    const first = await importHistory({ kind: 'tautulli-db', path: tautulliDb, serverId: 'tt-db' }, warehouse);
    expect(first).toMatchObject({
      total: tautulli.plays.length,
      read: tautulli.plays.length,
      added: tautulli.plays.length,
      sourceRows: tautulli.sessions,
      groupedRows: grouped,
    });
    expect(first.unreadable).toEqual({});
    expectTautulliPlays(await stored('tt-db'), { mediaLength: true });
    expect(await importHistory({ kind: 'tautulli-db', path: tautulliDb, serverId: 'tt-db' }, warehouse)).toMatchObject({
      added: 0,
      skipped: tautulli.plays.length,
    });
  });

  it('its API: grouped history known by reference_id, played seconds not taken for the length, < and > unescaped', async () => {
    const source = { kind: 'tautulli-api' as const, url: apiUrl, apiKey: 'k', serverId: 'tt-api' };
    const result = await importHistory(source, warehouse);
    expect(result).toMatchObject({
      read: tautulli.plays.length,
      added: tautulli.plays.length,
      sourceRows: tautulli.sessions,
      groupedRows: tautulli.sessions - tautulli.plays.length,
    });
    expect(apiQueries.filter((q) => q.get('cmd') === 'get_history').every((q) => q.get('grouping') === '1')).toBe(true);
    expectTautulliPlays(await stored('tt-api'), { mediaLength: false });
  });

  it('the database and the API give the same plays: importing one after the other adds nothing', async () => {
    expect(
      await importHistory({ kind: 'tautulli-api', url: apiUrl, apiKey: 'k', serverId: 'tt-db' }, warehouse),
    ).toMatchObject({ added: 0, skipped: tautulli.plays.length });
  });

  it('a play resumed after an import stays one play at the next import', async () => {
    const copy = join(dir, 'resumed.db');
    createTautulliHistory(copy);
    const source = { kind: 'tautulli-db' as const, path: copy, serverId: 'tt-resume' };
    await importHistory(source, warehouse);
    // The last play's user comes back to it: a new session in its group, as Tautulli links it.
    const db = new DatabaseSync(copy);
    const last = db.prepare('SELECT id, stopped, view_offset FROM session_history ORDER BY id DESC LIMIT 1').get() as {
      id: number;
      stopped: number;
      view_offset: number;
    };
    const copyRow = (table: string, changes: Record<string, number>) => {
      const row = {
        ...(db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(last.id) as Record<string, number>),
        ...changes,
      };
      const columns = Object.keys(row);
      db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(
        ...columns.map((c) => row[c] ?? null),
      );
    };
    const id = last.id + 1;
    copyRow('session_history', {
      id,
      started: last.stopped + 600,
      stopped: last.stopped + 1200,
      view_offset: last.view_offset + 1,
    });
    copyRow('session_history_metadata', { id });
    copyRow('session_history_media_info', { id });
    db.close();
    expect(await importHistory(source, warehouse)).toMatchObject({
      added: 0,
      skipped: tautulli.plays.length,
      sourceRows: tautulli.sessions + 1,
    });
    expect(await stored('tt-resume')).toHaveLength(tautulli.plays.length);
  });

  it('rows whose reference_id is 0 or NULL (never set by an upgrade) stand alone', async () => {
    const path = join(dir, 'legacy.db');
    const legacy = createTautulliHistory(path, { legacyRows: true });
    expect(legacy.plays.length).toBe(tautulli.plays.length + 2);
    await importHistory({ kind: 'tautulli-db', path, serverId: 'tt-legacy' }, warehouse);
    const titles = (await stored('tt-legacy')).map((r) => r.title).filter((t) => t.startsWith('Old film'));
    expect(titles.sort()).toEqual(['Old film 1', 'Old film 2']);
  });
});

describe('Jellystat backups, as Jellystat means them', () => {
  it.each([
    ['current', false],
    ['2023', false],
    ['current', true],
  ] as const)(
    'a %s backup (JSON Lines: %s): media types from the library, episode numbers, IPv6 addresses whole',
    async (era, lines) => {
      const path = join(dir, `jellystat-${era}-${lines}.json`);
      const expected = createJellystatHistory(path, { era, lines });
      const serverId = `js-${era}-${lines ? 'lines' : 'doc'}`;
      const result = await importHistory({ kind: 'jellystat', path, serverId }, warehouse);
      expect(result).toMatchObject({
        added: expected.length,
        sourceRows: expected.length,
        groupedRows: 0,
        unreadable: {},
      });
      const plays = byId(await stored(serverId));
      expect(plays.size).toBe(expected.length);
      for (const p of expected) {
        const got = plays.get(p.id)!;
        expect(
          {
            type: got.media_type,
            title: got.title,
            season: got.season_number,
            episode: got.episode_number,
            ip: got.client_ip,
            network: got.network_location,
            played: Number(got.played_ms),
            stopped: Number(got.stopped),
            video: got.video_decision,
          },
          p.id,
        ).toEqual({
          type: p.mediaType,
          title: p.title,
          season: p.seasonNumber,
          episode: p.episodeNumber,
          ip: p.clientIp,
          network: p.networkLocation,
          played: p.playedMs,
          stopped: p.stoppedAt,
          video: p.mediaType === 'TRACK' ? 'NONE' : 'DIRECT_PLAY',
        });
      }
    },
  );
});
