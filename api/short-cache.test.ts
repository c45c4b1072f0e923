import { describe, expect, it } from 'vitest';
import { queryKey, ShortCache } from './short-cache.ts';

describe('short-lived answers', () => {
  it('asks once for the same question while its answer is fresh, again after', async () => {
    const cache = new ShortCache<number>(5_000);
    let reads = 0;
    const load = async () => ++reads;
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.read('q', load, 1_000)));
    expect(answers).toEqual(Array(10).fill(1));
    expect(await cache.read('q', load, 5_999)).toBe(1);
    expect(await cache.read('q', load, 6_000)).toBe(2);
    expect(await cache.read('other', load, 6_000)).toBe(3);
  });

  it('keeps no failure, keeps nothing with no lifetime, and holds at most its limit', async () => {
    const cache = new ShortCache<number>(5_000, 3);
    await expect(cache.read('q', () => Promise.reject(new Error('warehouse down')), 0)).rejects.toThrow('down');
    expect(await cache.read('q', async () => 7, 1)).toBe(7);
    for (const key of ['a', 'b', 'c', 'd']) await cache.read(key, async () => 1, 2);
    expect(cache.size).toBe(3);

    const none = new ShortCache<number>(0);
    let reads = 0;
    await none.read('q', async () => ++reads);
    await none.read('q', async () => ++reads);
    expect(reads).toBe(2);
    expect(none.size).toBe(0);
  });

  it('keys a question by its values, whatever their order', () => {
    expect(queryKey('plays', { from: 1, to: 2, tz: undefined })).toBe(queryKey('plays', { to: 2, from: 1 }));
    expect(queryKey('plays', { from: 1 })).not.toBe(queryKey('countries', { from: 1 }));
  });
});
