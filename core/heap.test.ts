import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapKeeper } from './heap.ts';

const MiB = 2 ** 20;

describe('HeapKeeper', () => {
  it('collects the garbage of a job once the heap in use grew by its slack, and not before', () => {
    const keeper = new HeapKeeper(32 * MiB);
    expect(keeper.relieve()).toBe(false);
    // About 100 MiB of objects, dropped: garbage V8 would leave until its own next full collection.
    let rows: Array<{ n: number; text: string }> | null = [];
    for (let i = 0; i < 1_000_000; i++) rows.push({ n: i, text: `row ${i} of a big import` });
    const grown = getHeapStatistics().used_heap_size;
    rows = null;
    expect(keeper.relieve()).toBe(true);
    expect(keeper.collections).toBe(1);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(grown - 50 * MiB);
    expect(keeper.relieve()).toBe(false);
  });
});
