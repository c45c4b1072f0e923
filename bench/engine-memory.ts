// The embedded engine's own accounting of its memory, sampled while a bench runs, to tell its share
// of the process's peak. Read between the engine's other queries on the shared connection, so a
// merge that starts and ends between two samples is not seen.
import type { Warehouse } from '../warehouse/client.ts';
import { EngineQueries } from '../warehouse/queries/engine.ts';

export interface EnginePeaks {
  /** The engine's tracked memory when sampling began, and its highest since. */
  baseline: number;
  peak: number;
  /** The highest that background merges held. */
  merges: number;
}

/** Starts sampling every `everyMs`; the returned function stops it and gives the peaks. */
export async function sampleEngineMemory(warehouse: Warehouse, everyMs = 250): Promise<() => Promise<EnginePeaks>> {
  const engine = new EngineQueries(warehouse);
  const first = await engine.memory();
  const peaks: EnginePeaks = { baseline: first.trackedBytes, peak: first.trackedBytes, merges: first.mergeBytes };
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      const m = await engine.memory();
      peaks.peak = Math.max(peaks.peak, m.trackedBytes);
      peaks.merges = Math.max(peaks.merges, m.mergeBytes);
    }
  })();
  return async () => {
    sampling = false;
    await loop;
    return peaks;
  };
}
