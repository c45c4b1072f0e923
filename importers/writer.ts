// Writes imported plays into the warehouse as playback events, skipping every event already
// there (a second import of the same history adds nothing), each placed once as it is made, like
// live ones. The sessions, accounts and rollups follow through the warehouse's materialized views.
import { randomUUID } from 'node:crypto';
import type { GeoLookup } from '../core/geoip.ts';
import type { StagedRows } from '../warehouse/import-rows.ts';
import { ImportQueries } from '../warehouse/queries/imports.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { encodePlays } from './encode.ts';
import { newSourceRows, type ImportedPlay, type SourceRows } from './play.ts';

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
 * Writes plays, read and encoded here: importHistory reads on a thread of its own instead
 * (read-worker.ts); both write through writeStaged.
 */
export async function writePlays(
  warehouse: Warehouse,
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>,
  options: WriteOptions & { geo?: GeoLookup; batchSize?: number },
): Promise<ImportProgress> {
  const moveEvery = options.moveEvery ?? MOVE_EVERY;
  const batches = encodePlays(plays, { geo: options.geo, batchSize: options.batchSize, windowPlays: moveEvery });
  return writeStaged(warehouse, batches, { ...options, moveEvery });
}

/**
 * Plays per move into playback_events, and per staging window. Two windows wait in the engine's
 * memory and a move runs two events per play through every view: 10,000 held the 1 M import's
 * RSS growth at +273 MiB against +309-350 with 20,000, for 5-15% of its throughput (bench/README.md).
 */
export const MOVE_EVERY = 10_000;

interface WriteOptions {
  total?: number | null;
  /** The source's account of its rows, kept up to date as the plays are read. */
  source?: SourceRows;
  moveEvery?: number;
  onProgress?: (p: ImportProgress) => void;
  /** A batch is staged: its buffers are free. */
  staged?: (batch: StagedRows) => void;
}

/**
 * Writes staged plays with back-pressure: the next batch is taken while the previous one is
 * staged, and never more than one batch waits, so memory stays at two batches whatever the size
 * of the history. Every `moveEvery` plays the staged ones move into playback_events
 * (warehouse/queries/imports.ts) while staging goes on, up to two windows of `moveEvery` plays
 * staged ahead of the moves (they are held in the engine's memory). The batches' windows must be
 * of `moveEvery` plays.
 */
export async function writeStaged(
  warehouse: Warehouse,
  batches: AsyncIterable<StagedRows>,
  options: WriteOptions,
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
  const moveEvery = options.moveEvery ?? MOVE_EVERY;
  const stage = new ImportQueries(warehouse).stage(randomUUID().replaceAll('-', ''), moveEvery);
  // The engine's work, in order: stagings and moves. A batch is taken once the previous one is
  // staged, and once the moves catch up while two windows of staged plays wait for them.
  let staging: Promise<void> = Promise.resolve();
  let moving: Promise<void> = Promise.resolve();
  try {
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
    for await (const batch of batches) {
      await staging;
      progress.read = batch.firstPlay + batch.count;
      if (progress.read - landed > 2 * moveEvery) await moving;
      if (failed) throw failed.error;
      staging = settle(stage.add(batch).then(() => options.staged?.(batch)));
      if (progress.read - moved >= moveEvery) move(progress.read);
      else report();
    }
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
