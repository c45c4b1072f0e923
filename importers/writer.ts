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

export async function writePlays(
  warehouse: Warehouse,
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>,
  options: { geolocate?: Geolocate; total?: number | null; batchSize?: number; onProgress?: (p: ImportProgress) => void },
): Promise<ImportProgress> {
  const progress: ImportProgress = { read: 0, total: options.total ?? null, added: 0, skipped: 0 };
  const batchSize = options.batchSize ?? 2000;
  let batch: ImportedPlay[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch.flatMap(playEvents);
    const result = await warehouse.client.query({
      query: `SELECT event_id FROM ${warehouse.table('playback_events')} WHERE event_id IN {ids:Array(String)}`,
      query_params: { ids: events.map((e) => e.eventId) },
      format: 'JSONEachRow',
    });
    const stored = new Set((await result.json<{ event_id: string }>()).map((r) => r.event_id));
    const fresh = events.filter((e) => !stored.has(e.eventId));
    if (fresh.length > 0) {
      const rows = fresh.map((e, i) => playbackEventRow(e, { topic: `import:${e.eventId.split(':')[0]}`, partition: 0, offset: String(progress.read + i), key: null, value: null, headers: {}, timestamp: e.observedAt }, options.geolocate));
      await warehouse.client.insert({ table: warehouse.table('playback_events'), values: rows, format: 'JSONEachRow' });
    }
    progress.added += fresh.length / 2;
    progress.skipped += (events.length - fresh.length) / 2;
    batch = [];
    options.onProgress?.({ ...progress });
  };
  for await (const play of plays) {
    batch.push(play);
    progress.read++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.({ ...progress });
  return progress;
}
