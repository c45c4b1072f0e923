// Writes imported plays into the warehouse as playback events, skipping every event already
// there (a second import of the same history adds nothing), with addresses geolocated like live
// ones. The sessions, accounts and rollups follow through the warehouse's materialized views.
import type { Geolocate } from '../warehouse/rows.ts';
import { playbackEventRow } from '../warehouse/rows.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { playEvents, type ImportedPlay } from './play.ts';

export interface ImportProgress {
  /** Plays read from the source so far, and in all when the source knows. */
  read: number;
  total: number | null;
  added: number;
  skipped: number;
}

/**
 * Writes plays in batches with back-pressure: the next batch is read from the source while the
 * previous one is written, and never more than one batch waits, so memory stays at two batches
 * whatever the size of the history.
 */
export async function writePlays(
  warehouse: Warehouse,
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>,
  options: {
    geolocate?: Geolocate;
    total?: number | null;
    batchSize?: number;
    onProgress?: (p: ImportProgress) => void;
  },
): Promise<ImportProgress> {
  const progress: ImportProgress = { read: 0, total: options.total ?? null, added: 0, skipped: 0 };
  // 5,000 plays (10,000 events) per insert; the rows are built a slice at a time, so the heap's
  // peak stays near 140 MiB (measured on 100,000 plays).
  const batchSize = options.batchSize ?? 5000;
  let batch: ImportedPlay[] = [];
  let writing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;
  const write = async (plays: ImportedPlay[], firstOffset: number) => {
    const events = plays.flatMap(playEvents);
    // Only the events already stored for this server in the batch's time range are candidates:
    // the table's sort key starts with server_id and it is partitioned by month of observed_at.
    const times = events.map((e) => e.observedAt);
    const result = await warehouse.client.query({
      query: `SELECT event_id FROM ${warehouse.table('playback_events')}
              WHERE server_id IN {servers:Array(String)} AND observed_at BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
                AND event_id IN {ids:Array(String)}`,
      query_params: {
        servers: [...new Set(events.map((e) => e.serverId))],
        from: Math.min(...times),
        to: Math.max(...times),
        ids: events.map((e) => e.eventId),
      },
      format: 'JSONEachRow',
    });
    const stored = new Set((await result.json<{ event_id: string }>()).map((r) => r.event_id));
    const fresh = events.filter((e) => !stored.has(e.eventId));
    if (fresh.length > 0) {
      // Positional rows: ClickHouse parses them faster than rows that repeat every field name.
      // Built a slice at a time, letting other requests in between (geolocation is the cost).
      let columns: [string, ...string[]] | undefined;
      const values: unknown[][] = [];
      for (let from = 0; from < fresh.length; from += 1000) {
        if (from > 0) await new Promise((resolve) => setImmediate(resolve));
        fresh.slice(from, from + 1000).forEach((e, i) => {
          const row = playbackEventRow(
            e,
            {
              topic: `import:${e.eventId.split(':')[0]}`,
              partition: 0,
              offset: String(firstOffset + from + i),
              key: null,
              value: null,
              headers: {},
              timestamp: e.observedAt,
            },
            options.geolocate,
          );
          columns ??= Object.keys(row) as [string, ...string[]];
          values.push(columns.map((c) => row[c]));
        });
      }
      // chTime writes every time in the basic layout: no need for best-effort parsing.
      await warehouse.client.insert({
        table: warehouse.table('playback_events'),
        values,
        columns,
        format: 'JSONCompactEachRow',
        clickhouse_settings: { date_time_input_format: 'basic' },
      });
    }
    progress.added += fresh.length / 2;
    progress.skipped += (events.length - fresh.length) / 2;
    options.onProgress?.({ ...progress });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const next = batch;
    batch = [];
    await writing;
    if (failed) throw failed.error;
    // Kept as an outcome, not a rejected promise nobody awaits yet.
    writing = write(next, progress.read - next.length).catch((error: unknown) => void (failed = { error }));
  };
  for await (const play of plays) {
    batch.push(play);
    progress.read++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await writing;
  if (failed) throw failed.error;
  options.onProgress?.({ ...progress });
  return progress;
}
