import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheMetrics, exposition } from '../api/routes/metrics.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { createLogger } from '../core/logger.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { allTopics, topics } from '../schemas/index.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { consumerLag, metricsCollector } from './metrics.ts';

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

describe('processor metrics', () => {
  it('count the checkpoints written and the events replayed to restore state', async () => {
    const logger = createLogger('test');
    const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-metrics-')), logger, defaultPartitions: 2 });
    await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
    const producer = await bus.producer();
    const events = (from: number) =>
      Array.from({ length: 20 }, (_, i) =>
        samplePlaybackEvent({
          eventId: `e${from + i}`,
          accountKey: `plex:${i % 5}`,
          observedAt: 1_790_000_000_000 + (from + i) * 1000,
        }),
      );
    const run = async (checkpointIntervalMs: number, list: ReturnType<typeof events>) => {
      const processor = new StreamProcessor({
        bus,
        logger,
        rules: DEFAULT_RULES,
        inactivityCheckMs: 0,
        checkpointIntervalMs,
      });
      await processor.start();
      await publish(producer, topics.playbackEvents, list);
      while (!(await processor.drain(1_000)));
      await processor.restored();
      await processor.checkpoint();
      const text = exposition(await metricsCollector({ bus, processor })());
      await processor.stop();
      return text;
    };
    // Without checkpoints the second start replays what the first processed; with them, nothing.
    await run(0, events(0));
    expect(await run(0, events(20))).toMatch(/^streamwarden_state_replayed_events_total 20$/m);
    const checkpointed = await run(60_000, events(40));
    expect(checkpointed).toMatch(/^streamwarden_state_replayed_events_total 40$/m);
    expect(checkpointed).toMatch(/^streamwarden_state_checkpoints_total 2$/m);
    expect(await run(60_000, events(60))).toMatch(/^streamwarden_state_replayed_events_total 0$/m);
    await bus.close();
  });
});

describe('warehouse engine metrics', () => {
  it("report the memory the engine tracks, and its merges' share", async () => {
    const warehouse = await openTestWarehouse();
    try {
      const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-metrics-')), logger: createLogger('test') });
      await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
      const text = exposition(await metricsCollector({ bus, warehouse })());
      await bus.close();
      // A migrated engine holds at least its tables' metadata and primary indexes.
      expect(Number(text.match(/^streamwarden_warehouse_engine_memory_bytes (\d+)$/m)?.[1])).toBeGreaterThan(0);
      expect(text).toMatch(/^streamwarden_warehouse_merge_memory_bytes \d+$/m);
      expect(text).toMatch(/^streamwarden_warehouse_merges \d+$/m);
    } finally {
      await warehouse.drop();
    }
  });
});
