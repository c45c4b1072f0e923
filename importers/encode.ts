// Imported plays made into staged rows: each play's stop event, placed, written as text by staging
// window. It is the CPU-heavy half of an import (parsing the source, building events, writing
// rows) and allocates fast, so importHistory runs it on a thread of its own (read-worker.ts); the
// process's own thread only hands the bytes to the engine.
import { placeAddress, type GeoLookup } from '../core/geoip.ts';
import { HeapKeeper } from '../core/heap.ts';
import { stageRows, type LineBuffers, type StagedRows } from '../warehouse/import-rows.ts';
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
  // The plays read and placed are garbage once written: collected as the import goes, not when
  // V8 gets round to it (core/heap.ts).
  const heap = new HeapKeeper();
  let read = 0;
  let batch: ImportedPlay[] = [];
  const encode = () => {
    const geo = options.geo;
    const stops = batch.map((play) => {
      const stop = stopEvent(play);
      // Both events of a play come from one address: it is placed once, on the new stop event
      // itself rather than on a copy.
      return geo ? Object.assign(stop, placeAddress(geo, play)) : stop;
    });
    const staged = stageRows(stops, read - batch.length, options.windowPlays, options.buffers);
    batch = [];
    heap.relieve();
    return staged;
  };
  for await (const play of plays) {
    batch.push(play);
    read++;
    if (batch.length >= batchSize) {
      const staged = encode();
      if (staged) yield staged;
    }
  }
  const staged = encode();
  if (staged) yield staged;
}
