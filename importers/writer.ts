// Writes imported plays into the warehouse as playback events, skipping every event already
// there (a second import of the same history adds nothing), each placed once as it is made, like
// live ones. The sessions, accounts and rollups follow through the warehouse's materialized views.
import { randomUUID } from 'node:crypto';
import { placeAddress, type GeoLookup } from '../core/geoip.ts';
import { HeapKeeper } from '../core/heap.ts';
import { ImportQueries } from '../warehouse/queries/imports.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { newSourceRows, stopEvent, type ImportedPlay, type SourceRows } from './play.ts';

export interface ImportProgress {
  /** Plays read from the source so far, and in all when the source knows. */
  read: number;
  total: number | null;
  added: number;
  /** Plays already imported (a second import of the same history). */
  skipped: number;
  /** The source's own rows read so far: sessions for Tautulli, activity rows for Jellystat. */
  sourceRows: number;
  /** Rows that joined an earlier row's play: resumed sessions the source tool counts as one play. */
  groupedRows: number;
  /** Rows that could not become a play, by reason. */
  unreadable: SourceRows['unreadable'];
}

/**
 * Writes plays in batches with back-pressure: the next batch is read from the source while the
 * previous one is staged, and never more than one batch waits, so memory stays at two batches
 * whatever the size of the history. Every `moveEvery` plays the staged ones move into
 * playback_events (warehouse/queries/imports.ts) while reading and staging go on, up to two
 * windows of `moveEvery` plays staged ahead of the moves (they are held in memory).
 */
export async function writePlays(
  warehouse: Warehouse,
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>,
  options: {
    geo?: GeoLookup;
    total?: number | null;
    /** The source's account of its rows, kept up to date as the plays are read. */
    source?: SourceRows;
    batchSize?: number;
    moveEvery?: number;
    onProgress?: (p: ImportProgress) => void;
  },
): Promise<ImportProgress> {
  const source = options.source ?? newSourceRows();
  const progress: ImportProgress = {
    read: 0,
    total: options.total ?? null,
    added: 0,
    skipped: 0,
    sourceRows: 0,
    groupedRows: 0,
    unreadable: {},
  };
  const report = () => {
    progress.sourceRows = source.read;
    progress.groupedRows = source.grouped;
    progress.unreadable = { ...source.unreadable };
    options.onProgress?.({ ...progress });
  };
  // 5,000 plays per staging insert; the rows are built a slice at a time, so the heap's peak
  // stays near 140 MiB (measured on 100,000 plays).
  const batchSize = options.batchSize ?? 5000;
  const moveEvery = options.moveEvery ?? 20_000;
  const stage = new ImportQueries(warehouse).stage(randomUUID().replaceAll('-', ''), moveEvery);
  // The plays read and placed are garbage once staged: collected as the import goes, not when V8
  // gets round to it (core/heap.ts).
  const heap = new HeapKeeper();
  // The engine's work, in order: stagings and moves. Reading waits for the previous staging, and
  // for the moves while two windows of staged plays wait for them.
  let staging: Promise<void> = Promise.resolve();
  let moving: Promise<void> = Promise.resolve();
  try {
    let batch: ImportedPlay[] = [];
    let failed: { error: unknown } | undefined;
    // Kept as an outcome, not a rejected promise nobody awaits yet.
    const settle = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (error: unknown) => void (failed ??= { error }),
      );
    let moved = 0;
    let landed = 0;
    const move = (to: number) => {
      const from = moved;
      moved = to;
      const staged = staging;
      moving = settle(
        Promise.all([staged, moving]).then(async () => {
          if (failed) return;
          const result = await stage.move(from, to);
          landed = to;
          progress.added += result.added;
          progress.skipped += result.skipped;
          report();
        }),
      );
    };
    const flush = async () => {
      if (batch.length === 0) return;
      const next = batch;
      batch = [];
      await staging;
      // Staged plays wait in memory: reading stops while two windows of them wait to move.
      if (progress.read - landed > 2 * moveEvery) await moving;
      if (failed) throw failed.error;
      const geo = options.geo;
      const stops = next.map((play) => {
        const stop = stopEvent(play);
        // Both events of a play come from one address: it is placed once, on the new stop event
        // itself rather than on a copy.
        return geo ? Object.assign(stop, placeAddress(geo, play)) : stop;
      });
      staging = settle(stage.add(stops, progress.read - next.length));
      heap.relieve();
      if (progress.read - moved >= moveEvery) move(progress.read);
      else report();
    };
    for await (const play of plays) {
      batch.push(play);
      progress.read++;
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    move(progress.read);
    await moving;
    if (failed) throw failed.error;
    report();
  } catch (error) {
    // Moves already begun finish (neither promise rejects: see settle), then the stage goes.
    // Left behind, the stage would be dropped by the next start's sweep (importers/jobs.ts).
    await Promise.all([staging, moving]);
    await stage.drop().catch(() => undefined);
    throw error;
  }
  await stage.drop();
  return { ...progress };
}
