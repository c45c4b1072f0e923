// Bulk work that allocates fast for minutes (an import of a million plays, the sink under a
// backlog) leaves garbage that V8 collects late: the import's heap grew 258 MiB over its live data,
// the end-to-end bench's to 731 MiB. A full collection each time the heap grew by a set slack held
// them to +96 and 341 MiB at the same throughput (bench/README.md, "Import" and "End to end").
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | undefined;

/**
 * V8's full collection, as `--expose-gc` gives it. Turning the flag on in a running process is
 * the way the `expose-gc` package does it, rather than asking every way of starting the product
 * (npm start, the roles, the Dockerfile, tests) for a flag; the flag only adds the function.
 */
function fullCollection(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (!collector && typeof exposed === 'function') collector = exposed;
  if (!collector) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  return collector;
}

/** Keeps a job's garbage under `slackBytes` over the heap in use after its last collection. */
export class HeapKeeper {
  private floor = getHeapStatistics().used_heap_size;
  collections = 0;

  constructor(private readonly slackBytes = 64 * 2 ** 20) {}

  /** Collects if the heap in use grew by the slack; says whether it did. */
  relieve(): boolean {
    if (getHeapStatistics().used_heap_size - this.floor < this.slackBytes) return false;
    this.floor = collectGarbage().after;
    this.collections++;
    return true;
  }
}

/** One full collection now; the heap in use before and after it, in bytes. */
export function collectGarbage(): { before: number; after: number } {
  const before = getHeapStatistics().used_heap_size;
  fullCollection()();
  return { before, after: getHeapStatistics().used_heap_size };
}
