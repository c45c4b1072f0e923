// The writer stages a play's stop event and the warehouse makes both events from it: what lands in
// playback_events must be exactly playEvents' two events, however the plays are cut into stagings
// and moves, and a re-import after a move cut short adds only what is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoIp } from '../core/geoip.ts';
import { createLogger } from '../core/logger.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { ImportQueries } from '../warehouse/queries/imports.ts';
import { playbackEventRow } from '../warehouse/rows.ts';
import { placeAddress } from '../core/geoip.ts';
import { playEvents, type ImportedPlay } from './play.ts';
import { writePlays } from './writer.ts';
import { StagedRowsWriter } from '../warehouse/import-rows.ts';

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let geo: GeoIp;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
  geo = await GeoIp.open();
}, 60_000);

afterAll(async () => {
  await warehouse?.drop();
});

const sample = samplePlaybackEvent();
const ADDRESSES = ['8.8.8.8', '1.1.1.1', '192.168.1.20', '2a00:1450:4001:80e::200e'];

/** Plays that differ in every way the two events derive from: times, positions, pauses, places. */
function plays(serverId: string, count: number): ImportedPlay[] {
  return Array.from({ length: count }, (_, i) => {
    const startedAt = Date.UTC(2025, i % 3, 1 + (i % 27), i % 24, i % 60, i % 60, i % 1000);
    return {
      source: 'tautulli',
      sourceId: String(1000 + i),
      serverId,
      serverType: 'PLEX',
      userId: String(i % 7),
      userName: `user ${i % 7}`,
      startedAt,
      stoppedAt: startedAt + 60_000 * (5 + (i % 90)),
      pausedMs: (i % 5) * 30_000,
      // Some say how long they played, some leave it to the times; some stopped at the very start.
      ...(i % 4 === 0 ? { playedMs: 60_000 * (i % 11) } : {}),
      positionMs: i % 9 === 0 ? 0 : 60_000 * (i % 120),
      durationMs: i % 6 === 0 ? null : 7_200_000,
      media: { ...sample.media, itemId: `item-${i % 13}`, title: `Title ${i % 13}` },
      device: { ...sample.device, deviceId: `device-${i % 5}` },
      clientIp: ADDRESSES[i % ADDRESSES.length]!,
      networkLocation: i % 4 === 2 ? 'LAN' : 'WAN',
      quality: { ...sample.quality, isTranscode: i % 2 === 0, transcodeReasons: i % 2 === 0 ? ['a', 'b'] : [] },
    };
  });
}

/** The rows playEvents defines for these plays, numbered as the writer numbers them. */
function expectedRows(list: ImportedPlay[]): Record<string, unknown>[] {
  return list.flatMap((play, n) =>
    playEvents(play).map((e, i) => {
      const placed = { ...e, ...placeAddress(geo, play) };
      const source = { topic: 'import:tautulli', partition: 0, offset: String(n * 2 + i), key: null, value: null };
      return playbackEventRow(placed, { ...source, headers: {}, timestamp: e.observedAt });
    }),
  );
}

async function storedRows(serverId: string): Promise<Record<string, unknown>[]> {
  const result = await warehouse.client.query({
    query: `SELECT * EXCEPT ingested_at FROM ${warehouse.table('playback_events')} WHERE server_id = {s:String} ORDER BY source_offset`,
    query_params: { s: serverId },
    format: 'JSONEachRow',
    // The row mapper's time layout, to compare like with like.
    clickhouse_settings: { date_time_output_format: 'simple', output_format_json_quote_64bit_integers: 0 },
  });
  return result.json();
}

/** Rows as JSON would carry them: what the mapper writes and what the warehouse reads back. */
const comparable = (rows: Record<string, unknown>[]) =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === 'boolean' ? Number(v) : k === 'source_offset' ? Number(v) : v,
      ]),
    ),
  );

const stages = async () => {
  const result = await warehouse.client.query({
    query: `SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, 'import_stage_')`,
    query_params: { db: warehouse.database },
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string }>()).map((t) => t.name);
};

describe('the import writer', () => {
  it("stores each play as exactly playEvents' two events, cut into stagings and moves of any size", async () => {
    const list = plays('writer-a', 230);
    const progress = await writePlays(warehouse, list, { geo, batchSize: 17, moveEvery: 50 });
    expect(progress).toMatchObject({ read: 230, added: 230, skipped: 0 });
    const expected = comparable(expectedRows(list));
    const stored = comparable(await storedRows('writer-a'));
    expect(stored).toHaveLength(460);
    // Times to the millisecond, positions clamped, played time derived, places, arrays: all alike.
    expect(stored).toEqual(expected);
    expect(await stages()).toEqual([]);
    // Nothing of the import stays on the connection: a query naming a sum as its column (as the
    // analytics do) still works, which a leaked prefer_column_name_to_alias broke.
    const settings = await warehouse.client.query({
      query: `SELECT getSetting('prefer_column_name_to_alias') AS alias, getSetting('max_block_size') AS block`,
      format: 'JSONEachRow',
    });
    expect(await settings.json()).toEqual([{ alias: false, block: expect.anything() }]);
    const analytics = await warehouse.client.query({
      query: `SELECT media_type, sum(played_ms) AS played_ms FROM ${warehouse.table('playback_events')} GROUP BY media_type ORDER BY played_ms DESC`,
      format: 'JSONEachRow',
    });
    expect((await analytics.json()).length).toBeGreaterThan(0);
  });

  it('a re-import adds nothing, and after a move cut short adds exactly the events missing', async () => {
    const list = plays('writer-b', 120);
    await writePlays(warehouse, list, { geo, batchSize: 25, moveEvery: 40 });
    expect(await writePlays(warehouse, list, { geo, batchSize: 25, moveEvery: 40 })).toMatchObject({
      added: 0,
      skipped: 120,
    });
    // A crash in the middle of a move: the stop events of some plays never landed.
    await warehouse.client.command({
      query: `DELETE FROM ${warehouse.table('playback_events')} WHERE server_id = 'writer-b' AND event_type = 'STOPPED' AND source_offset > 150`,
    });
    const again = await writePlays(warehouse, list, { geo, batchSize: 25, moveEvery: 40 });
    expect(again).toMatchObject({ read: 120, added: 45, skipped: 75 });
    expect(comparable(await storedRows('writer-b'))).toEqual(comparable(expectedRows(list)));
  });

  it('drops its staging table when the source fails midway, and keeps what it moved', async () => {
    const list = plays('writer-c', 90);
    async function* failing() {
      yield* list.slice(0, 60);
      throw new Error('the source broke');
    }
    await expect(writePlays(warehouse, failing(), { geo, batchSize: 10, moveEvery: 30 })).rejects.toThrow(
      'the source broke',
    );
    expect(await stages()).toEqual([]);
    // The 60 plays read before it broke: two moves of 30.
    expect(await storedRows('writer-c')).toHaveLength(120);
    // Whatever did not land, the next import brings.
    await writePlays(warehouse, list, { geo });
    expect(comparable(await storedRows('writer-c'))).toEqual(comparable(expectedRows(list)));
  });

  it('holds the staged plays in memory, a few windows at a time, however long the import', async () => {
    const list = plays('writer-d', 400);
    const seen: Array<{ engines: string[]; rows: number }> = [];
    async function* watched() {
      for (const [i, play] of list.entries()) {
        if (i % 25 === 0) {
          const result = await warehouse.client.query({
            query: `SELECT groupUniqArray(engine) AS engines, toUInt64(sum(total_rows)) AS rows FROM system.tables
                    WHERE database = {db:String} AND startsWith(name, 'import_stage_')`,
            query_params: { db: warehouse.database },
            format: 'JSONEachRow',
          });
          const [row] = await result.json<{ engines: string[]; rows: string }>();
          seen.push({ engines: row?.engines ?? [], rows: Number(row?.rows ?? 0) });
        }
        yield play;
      }
    }
    expect(await writePlays(warehouse, watched(), { geo, batchSize: 10, moveEvery: 40 })).toMatchObject({ added: 400 });
    expect(comparable(await storedRows('writer-d'))).toEqual(comparable(expectedRows(list)));
    expect(new Set(seen.flatMap((s) => s.engines))).toEqual(new Set(['Memory']));
    // Two windows staged ahead of the moves, and the one staging: never the whole import.
    expect(Math.max(...seen.map((s) => s.rows))).toBeGreaterThan(0);
    expect(Math.max(...seen.map((s) => s.rows))).toBeLessThanOrEqual(3 * 40);
    expect(await stages()).toEqual([]);
  });

  it("drops interrupted imports' staging tables once they are old, and leaves running ones", async () => {
    const queries = new ImportQueries(warehouse);
    const rows = new StagedRowsWriter(10);
    rows.add(samplePlaybackEvent({ eventId: 'tautulli:interrupted' }), 0);
    await queries.stage('interrupted', 10).add(rows.take()!);
    expect(await queries.dropStaleStages(3_600_000)).toEqual([]);
    expect(await stages()).toEqual(['import_stage_interrupted_w0']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await queries.dropStaleStages(0)).toEqual(['import_stage_interrupted_w0']);
    expect(await stages()).toEqual([]);
  });
});
