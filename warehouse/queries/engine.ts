// What the warehouse engine holds in memory, for /metrics: the embedded engine shares the process
// with the roles, and its share of the resident memory is otherwise invisible (against a
// ClickHouse server, these are the server's figures).
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface EngineMemory {
  /** All the memory the engine tracks: queries, inserts, merges, caches. */
  trackedBytes: number;
  /** Of which background merges and mutations. */
  mergeBytes: number;
  /** Merges running now. */
  merges: number;
}

export class EngineQueries {
  constructor(private readonly w: Warehouse) {}

  async memory(): Promise<EngineMemory> {
    const list = await rows<{ metric: string; value: string }>(
      this.w,
      `SELECT metric, toString(value) AS value FROM system.metrics
       WHERE metric IN ('MemoryTracking', 'MergesMutationsMemoryTracking', 'Merge')`,
      {},
    );
    const value = (name: string) => Number(list.find((r) => r.metric === name)?.value ?? 0);
    return {
      trackedBytes: value('MemoryTracking'),
      mergeBytes: value('MergesMutationsMemoryTracking'),
      merges: value('Merge'),
    };
  }
}
