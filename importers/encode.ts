// Imported plays made into staged rows: each play's stop event, placed, written as text by staging
// window. It is the CPU-heavy half of an import (parsing the source, building events, writing
// rows) and allocates fast, so importHistory runs it on a thread of its own (read-worker.ts); the
// process's own thread only hands the bytes to the engine.
import { placeAddress, type GeoLookup } from '../core/geoip.ts';
import { HeapKeeper } from '../core/heap.ts';
import { StagedRowsWriter, type LineBuffers, type StagedRows } from '../warehouse/import-rows.ts';
import { stopEvent, type ImportedPlay } from './play.ts';

export interface EncodeOptions {
  geo?: GeoLookup;
  /** Plays per batch: 5,000 by default. */
  batchSize?: number;
  /** Plays per staging window (the writer's `moveEvery`). */
  windowPlays: number;
  /** Where the rows' text is written: buffers given back once staged. */
  buffers?: LineBuffers;
}

/** Batches of staged rows, in play order, made as the plays are read. */
export async function* encodePlays(
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>,
  options: EncodeOptions,
): AsyncGenerator<StagedRows> {
  const batchSize = options.batchSize ?? 5000;
  const geo = options.geo;
  const writer = new StagedRowsWriter(options.windowPlays, options.buffers);
  // The rows' text is garbage once sent: collected as the import goes, not when V8 gets round
  // to it (core/heap.ts).
  const heap = new HeapKeeper();
  let read = 0;
  for await (const play of plays) {
    const stop = stopEvent(play);
    // Both events of a play come from one address: it is placed once, on the new stop event
    // itself rather than on a copy.
    writer.add(geo ? Object.assign(stop, placeAddress(geo, play)) : stop, read++);
    if (writer.size >= batchSize) {
      yield writer.take()!;
      heap.relieve();
    }
  }
  const last = writer.take();
  if (last) yield last;
}
