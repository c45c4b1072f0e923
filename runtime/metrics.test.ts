import { describe, expect, it } from 'vitest';
import { cacheMetrics, exposition } from '../api/routes/metrics.ts';
import { consumerLag } from './metrics.ts';

describe('consumer lag', () => {
  it('sums what is behind, and counts a commit past the end instead of calling it caught up', () => {
    const ends = new Map([
      [0, '100'],
      [1, '50'],
    ]);
    expect(
      consumerLag(
        ends,
        new Map([
          [0, '90'],
          [1, '50'],
        ]),
      ),
    ).toEqual({ behind: 10, pastEnd: 0 });
    expect(
      consumerLag(
        ends,
        new Map([
          [0, '5000'],
          [1, '40'],
        ]),
      ),
    ).toEqual({ behind: 10, pastEnd: 1 });
  });

  it('writes an unknown figure as NaN in the Prometheus text, never as 0', () => {
    const text = exposition([
      { name: 'lag', help: 'h', type: 'gauge', samples: [{ value: Number.NaN }, { labels: { g: 'x' }, value: 3 }] },
    ]);
    expect(text).toMatch(/^lag NaN$/m);
    expect(text).toMatch(/^lag\{g="x"\} 3$/m);
  });

  it('reports cache sizes from several parts under one name, limits only where there is one', () => {
    const text = exposition([
      ...cacheMetrics([{ cache: 'account-states', entries: 12 }]),
      ...cacheMetrics([{ cache: 'plex-source-media', entries: 40, limit: 5000, serverId: 'plex-home' }]),
    ]);
    expect(text.match(/^# TYPE streamwarden_cache_entries gauge$/gm)).toHaveLength(1);
    expect(text).toMatch(/^streamwarden_cache_entries\{cache="account-states"\} 12$/m);
    expect(text).toMatch(/^streamwarden_cache_entries\{cache="plex-source-media",server="plex-home"\} 40$/m);
    expect(text).toMatch(/^streamwarden_cache_limit\{cache="plex-source-media",server="plex-home"\} 5000$/m);
    expect(text).not.toMatch(/^streamwarden_cache_limit\{cache="account-states"/m);
  });
});
