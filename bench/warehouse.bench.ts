// Loads BENCH_SESSIONS plays (default 20 million, two years, 4 servers, 5,000 accounts each) into
// the embedded ClickHouse through the real tables and materialized views, copies the same plays
// into PostgreSQL (the peer's kind of store) with the indexes such a schema would have, and times
// the dashboard's queries on both.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '../core/logger.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { Analytics, SessionQueries, type Filters } from '../warehouse/queries/index.ts';
import { startPostgres } from './postgres.ts';
import { rate, type Figure } from './report.ts';

const EPOCH = Date.UTC(2024, 0, 1);
const SPAN_MS = 2 * 365 * 86_400_000;

async function loadClickHouse(w: Warehouse, total: number): Promise<void> {
  // Every view aggregates each insert's rows in memory, all views at once: 5 million plays per
  // insert (and still 833,000) went over the embedded engine's 1 GiB, so this bench had not run
  // since the engine got its limit. 100,000 plays per insert stay well under it.
  const chunk = 100_000;
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    await w.client.command({
      query: `INSERT INTO ${w.table('playback_events')} (event_id, event_type, observed_at, server_id, server_type, account_key, user_id, user_name, session_key,
          play_started_at, played_ms, paused_ms, item_id, title, media_type, grandparent_item_id, grandparent_title, device_id, device_name, player, product, platform,
          client_ip, network_location, country_code, city, play_state, video_decision, audio_decision, is_transcode, bitrate_kbps, bandwidth_kbps,
          source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec,
          source_topic, source_partition, source_offset)
        SELECT toString(number), 'STOPPED', started + toIntervalMillisecond(played), srv, if(startsWith(srv, 'plex'), 'PLEX', 'JELLYFIN'), concat(srv, ':', toString(uid)), toString(uid), concat('user', toString(uid)), toString(number),
          started, played, bitShiftRight(h, 40) % 900000, toString(item), concat('Item ', toString(item)), mtype, if(mtype = 'EPISODE', concat('show-', toString(item % 400)), ''), if(mtype = 'EPISODE', concat('Show ', toString(item % 400)), ''),
          concat(toString(uid), '/', toString(bitShiftRight(h2, 20) % 3)), 'Device', platform, platform, platform,
          IPv4NumToString(toUInt32(h2 % 4294967295)), 'WAN', country, concat(country, ' city ', toString(bitShiftRight(h2, 40) % 5)), 'STOPPED',
          decision, if(decision = 'TRANSCODE', 'DIRECT_STREAM', decision), decision = 'TRANSCODE', [8000, 12000, 4000, 20000][1 + bitShiftRight(h, 28) % 4], 9000,
          ['4k', '1080', '720', 'sd'][1 + bitShiftRight(h, 32) % 4], if(decision = 'TRANSCODE', '1080', ['4k', '1080', '720', 'sd'][1 + bitShiftRight(h, 32) % 4]),
          ['hevc', 'h264'][1 + bitShiftRight(h, 36) % 2], 'h264', 'eac3', 'aac', 'bench', 0, number
        FROM (
          SELECT number, cityHash64(number) AS h, cityHash64(number, 7) AS h2,
            ['plex-a', 'plex-b', 'jf-c', 'emby-d'][1 + h % 4] AS srv, h2 % 5000 AS uid, h % 20000 AS item,
            multiIf(item < 2000, 'MOVIE', item < 18000, 'EPISODE', 'TRACK') AS mtype,
            ['Android', 'iOS', 'Roku', 'Chrome', 'tvOS', 'Windows'][1 + bitShiftRight(h, 12) % 6] AS platform,
            multiIf(bitShiftRight(h, 16) % 10 < 3, 'TRANSCODE', bitShiftRight(h, 16) % 10 = 3, 'DIRECT_STREAM', 'DIRECT_PLAY') AS decision,
            ['US', 'GB', 'DE', 'FR', 'JP', 'CA', 'BR', 'AU'][1 + bitShiftRight(h2, 8) % 8] AS country,
            toDateTime64('2024-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${SPAN_MS}, ${total}) + bitShiftRight(h, 20) % 3600000) AS started,
            bitShiftRight(h, 24) % 7200000 AS played
          FROM numbers(${start}, ${count}))
        SETTINGS parallel_view_processing = 1, max_insert_threads = 2`,
    });
  }
}

async function activeParts(w: Warehouse, table: string): Promise<number> {
  const result = await w.client.query({
    query: 'SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = {table:String} AND active',
    query_params: { db: w.database, table },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n);
}

const PG_COLUMNS =
  'server_id, account_key, started_at, session_key, stopped_at, user_name, item_id, title, grandparent_item_id, grandparent_title, media_type, device_id, platform, product, player, country_code, city, video_decision, is_transcode, source_video_resolution, stream_video_resolution, stream_video_codec, played_ms, paused_ms, bitrate_kbps';

/** Median of up to 5 timed runs after a warm-up; a query slower than 2 s gets 3. */
async function median(run: () => Promise<unknown>): Promise<number> {
  const warm = performance.now();
  await run();
  const times = performance.now() - warm > 2000 ? 3 : 5;
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

export async function warehouseBench(total = Number(process.env.BENCH_SESSIONS ?? 20_000_000)): Promise<Figure[]> {
  const figures: Figure[] = [];
  const work = mkdtempSync(join(tmpdir(), 'sw-bench-wh-'));
  chmodSync(work, 0o755);
  const logger = createLogger('bench', 'warn');
  // Twenty million plays is a large install's history; it gets the memory such an install would
  // set (STREAMWARDEN_EMBEDDED_MEMORY_MB). With the default 1 GiB, reading every play in order
  // for the copy into PostgreSQL failed.
  const w = await openWarehouse(
    {
      embeddedPath: join(work, 'clickhouse'),
      database: 'bench',
      embeddedMemoryMiB: Number(process.env.BENCH_WAREHOUSE_MEMORY_MB ?? 4096),
    },
    logger,
  );
  const postgres = startPostgres();
  const client = new pg.Client({
    host: postgres.socketDir,
    port: postgres.port,
    user: 'postgres',
    database: 'postgres',
  });
  try {
    await migrate(w, logger);
    let start = performance.now();
    await loadClickHouse(w, total);
    figures.push({
      suite: 'warehouse load',
      name: `ClickHouse: ${total.toLocaleString('en-US')} plays through tables and views`,
      value: rate(total, performance.now() - start),
      unit: 'plays/s',
    });

    const csv = join(work, 'sessions.csv');
    await w.client.command({
      query: `SELECT ${PG_COLUMNS} FROM ${w.table('sessions')} FINAL INTO OUTFILE '${csv}' FORMAT CSV`,
    });
    chmodSync(csv, 0o644);
    await client.connect();
    await client.query("SET timezone = 'UTC'");
    await client.query(`CREATE UNLOGGED TABLE sessions (server_id text, account_key text, started_at timestamptz, session_key text, stopped_at timestamptz, user_name text, item_id text, title text,
      grandparent_item_id text, grandparent_title text, media_type text, device_id text, platform text, product text, player text, country_code text, city text, video_decision text,
      is_transcode boolean, source_video_resolution text, stream_video_resolution text, stream_video_codec text, played_ms bigint, paused_ms bigint, bitrate_kbps integer)`);
    start = performance.now();
    await client.query(`COPY sessions FROM '${csv}' WITH (FORMAT csv, NULL '\\N')`);
    await client.query('CREATE INDEX ON sessions (started_at)');
    await client.query('CREATE INDEX ON sessions (account_key, started_at)');
    await client.query('CREATE INDEX ON sessions (server_id, started_at)');
    await client.query('ANALYZE sessions');
    figures.push({
      suite: 'warehouse load',
      name: 'PostgreSQL: COPY of the same plays, 3 indexes, ANALYZE',
      value: rate(total, performance.now() - start),
      unit: 'plays/s',
    });
    rmSync(csv, { force: true });

    const year: Filters = { from: EPOCH, to: EPOCH + 365 * 86_400_000 };
    const pgRange = [new Date(year.from).toISOString(), new Date(year.to).toISOString()];
    // A year that starts and ends mid-month, as "the last 365 days" does: its first and last weeks
    // come from the 15-minute rollups, the months between from the monthly one where there is one.
    const midMonthYear: Filters = { from: Date.UTC(2024, 6, 17, 9, 30), to: Date.UTC(2025, 6, 17, 9, 30) };
    const analytics = new Analytics(w);
    const sessions = new SessionQueries(w);
    const user = 'plex-a:42';
    const where = 'started_at >= $1 AND started_at < $2 AND stopped_at IS NOT NULL';
    const topTitles = `SELECT coalesce(nullif(grandparent_item_id, ''), item_id), media_type, count(*), sum(played_ms), count(DISTINCT account_key) FROM sessions WHERE ${where} GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10`;
    const cases: Array<[string, () => Promise<unknown>, string, unknown[]]> = [
      [
        'plays per day and media type, 1 year',
        () => analytics.playsOverTime(year),
        `SELECT date_trunc('day', started_at) AS d, media_type, count(*), sum(played_ms) FROM sessions WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`,
        pgRange,
      ],
      [
        'weekday x hour heat map, 1 year',
        () => analytics.heatmap(year),
        `SELECT extract(isodow FROM started_at), extract(hour FROM started_at), count(*), sum(played_ms) FROM sessions WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`,
        pgRange,
      ],
      [
        'transcode / direct stream / direct play',
        () => analytics.streamDecisions(year),
        `SELECT count(*) FILTER (WHERE is_transcode), count(*) FILTER (WHERE NOT is_transcode AND video_decision = 'DIRECT_STREAM'), count(*) FILTER (WHERE NOT is_transcode AND video_decision <> 'DIRECT_STREAM'), sum(played_ms) FROM sessions WHERE ${where}`,
        pgRange,
      ],
      [
        'resolutions, source -> stream',
        () => analytics.qualityPairs(year, 'resolution'),
        `SELECT source_video_resolution, stream_video_resolution, count(*), sum(played_ms) FROM sessions WHERE ${where} GROUP BY 1, 2 ORDER BY 3 DESC`,
        pgRange,
      ],
      [
        'platforms with distinct devices and users',
        () => analytics.clients(year, 'platform'),
        `SELECT platform, count(*), sum(played_ms), count(DISTINCT device_id), count(DISTINCT account_key) FROM sessions WHERE ${where} GROUP BY 1 ORDER BY 2 DESC`,
        pgRange,
      ],
      [
        'top 10 users',
        () => analytics.topUsers(year, 10),
        `SELECT account_key, max(user_name), count(*), sum(played_ms) FROM sessions WHERE ${where} GROUP BY 1 ORDER BY 3 DESC LIMIT 10`,
        pgRange,
      ],
      [
        'top 10 users, 365 days from mid-month',
        () => analytics.topUsers(midMonthYear, 10),
        `SELECT account_key, max(user_name), count(*), sum(played_ms) FROM sessions WHERE ${where} GROUP BY 1 ORDER BY 3 DESC LIMIT 10`,
        [new Date(midMonthYear.from).toISOString(), new Date(midMonthYear.to).toISOString()],
      ],
      ['top 10 titles with distinct users', () => analytics.topTitles(year, 10), topTitles, pgRange],
      [
        'top 10 titles with distinct users, 365 days from mid-month',
        () => analytics.topTitles(midMonthYear, 10),
        topTitles,
        [new Date(midMonthYear.from).toISOString(), new Date(midMonthYear.to).toISOString()],
      ],
      [
        'plays per country with distinct users',
        () => analytics.geography(year, 'country'),
        `SELECT country_code, count(*), sum(played_ms), count(DISTINCT account_key) FROM sessions WHERE ${where} GROUP BY 1 ORDER BY 2 DESC`,
        pgRange,
      ],
      [
        "one user's history, newest 50",
        () => sessions.history({ ...year, accountKeys: [user] }, { limit: 50 }),
        'SELECT * FROM sessions WHERE account_key = $3 AND started_at >= $1 AND started_at < $2 ORDER BY started_at DESC LIMIT 50',
        [...pgRange, user],
      ],
    ];
    const beside = (ch: number, pgMs: number) =>
      `PostgreSQL ${pgMs < 10 ? pgMs.toFixed(1) : Math.round(pgMs).toLocaleString('en-US')} ms: ${pgMs >= ch ? `ClickHouse ${(pgMs / ch).toFixed(1)}x faster` : `PostgreSQL ${(ch / pgMs).toFixed(1)}x faster`}`;
    for (const [name, clickhouse, sql, params] of cases) {
      const ch = await median(clickhouse);
      const pgMs = await median(() => client.query(sql, params));
      figures.push({
        suite: 'dashboard query',
        name,
        value: Math.round(ch * 10) / 10,
        unit: 'ms ClickHouse',
        note: beside(ch, pgMs),
      });
    }

    // One user's page reads a granule of every part of sessions_by_account. Loaded in minutes, the
    // table is in many parts still; an install that gathered its plays over years has had its
    // parts merged. The same page once the engine has merged them, beside the parts it read before.
    const [, user50, userSql, userParams] = cases.find(([name]) => name.startsWith("one user's history"))!;
    const partsBefore = await activeParts(w, 'sessions_by_account');
    start = performance.now();
    await w.client.command({ query: `OPTIMIZE TABLE ${w.table('sessions_by_account')} FINAL` });
    const mergeMs = performance.now() - start;
    const ch = await median(user50);
    figures.push({
      suite: 'dashboard query',
      name: "one user's history, newest 50, sessions_by_account merged",
      value: Math.round(ch * 10) / 10,
      unit: 'ms ClickHouse',
      note: `${partsBefore} parts before, ${await activeParts(w, 'sessions_by_account')} after (the merge took ${Math.round(mergeMs / 1000)} s); ${beside(ch, await median(() => client.query(userSql, userParams)))}`,
    });
  } finally {
    await client.end().catch(() => undefined);
    postgres.stop();
    await w.close();
    rmSync(work, { recursive: true, force: true });
  }
  return figures;
}
