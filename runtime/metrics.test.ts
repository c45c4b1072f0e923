import { describe, expect, it } from 'vitest';
import { exposition } from '../api/routes/metrics.ts';
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
});
