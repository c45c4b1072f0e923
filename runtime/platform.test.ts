import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumeTopic, publish } from '../bus/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { allTopics, topics, type PlaybackEvent } from '../schemas/index.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { loadConfig } from './config.ts';
import { createLogger } from '../core/logger.ts';
import { startPlatform } from './platform.ts';

const logger = createLogger('test');

/** Every file and folder below dir whose mode lets the group or others in. */
function notPrivate(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isSymbolicLink() && statSync(path).mode & 0o077) out.push(path);
  }
  return out;
}

describe('embedded platform (what npm start runs on)', () => {
  it('keeps the data folder private: 0700 folders, 0600 files, and closes one an older version left open', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sw-perms-'));
    const dataDir = join(parent, 'data');
    const platform = await startPlatform(loadConfig({ STREAMWARDEN_DATA_DIR: dataDir, KAFKA_PARTITIONS: '1' }), logger);
    await (await platform.bus.producer()).send(topics.playbackEvents.name, [{ key: 'k', value: Buffer.from('x') }]);
    await platform.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(notPrivate(dataDir)).toEqual([]);
    expect(readdirSync(dataDir)).toEqual(expect.arrayContaining(['bus', 'clickhouse']));

    chmodSync(dataDir, 0o755);
    await (await startPlatform(loadConfig({ STREAMWARDEN_DATA_DIR: dataDir, KAFKA_PARTITIONS: '1' }), logger)).close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it('creates every topic and the migration ledger, carries Avro records, and reopens with its data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sw-platform-'));
    const config = loadConfig({ STREAMWARDEN_DATA_DIR: dataDir, KAFKA_PARTITIONS: '4' });
    let platform = await startPlatform(config, logger);
    expect(platform.bus.kind).toBe('embedded');
    expect(platform.warehouse.kind).toBe('embedded');
    for (const topic of allTopics) expect((await platform.bus.endOffsets(topic.name)).size).toBe(4);
    const ledger = await platform.warehouse.client.query({
      query: `SELECT count() AS n FROM ${platform.warehouse.table('schema_migrations')}`,
      format: 'JSONEachRow',
    });
    expect(await ledger.json()).toHaveLength(1);

    const producer = await platform.bus.producer();
    const events = ['s1', 's2', 's3'].map((sessionKey, i) =>
      samplePlaybackEvent({ sessionKey, eventType: i === 0 ? 'STARTED' : 'PROGRESS', positionMs: i * 10_000 }),
    );
    await publish(producer, topics.playbackEvents, events);
    await platform.close();

    platform = await startPlatform(config, logger);
    const received: PlaybackEvent[] = [];
    const consumer = await consumeTopic(platform.bus, {
      groupId: 'pipeline',
      spec: topics.playbackEvents,
      deadLetters: await platform.bus.producer(),
      logger,
      handle: async (records) => void received.push(...records.map((r) => r.value)),
    });
    await waitFor(() => received.length === 3, 'events after reopening');
    expect(received).toEqual(events);
    await consumer.stop();
    await platform.close();
  });
});

describe('raw event retention', () => {
  it('sets and removes the TTL of raw events as configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sw-ttl-'));
    const ttlOf = async (platform: Awaited<ReturnType<typeof startPlatform>>) => {
      const result = await platform.warehouse.client.query({
        query:
          "SELECT create_table_query AS q FROM system.tables WHERE database = 'streamwarden' AND name = 'playback_events'",
        format: 'JSONEachRow',
      });
      return /TTL (.*?) (SETTINGS|COMMENT)/.exec((await result.json<{ q: string }>())[0]!.q)?.[1] ?? null;
    };
    let platform = await startPlatform(
      loadConfig({ STREAMWARDEN_DATA_DIR: dataDir, STREAMWARDEN_RAW_EVENTS_TTL_DAYS: '90' }),
      logger,
    );
    expect(await ttlOf(platform)).toMatch(/observed_at\) \+ toIntervalDay\(90\)/);
    await platform.close();
    platform = await startPlatform(loadConfig({ STREAMWARDEN_DATA_DIR: dataDir }), logger);
    expect(await ttlOf(platform)).toBeNull();
    await platform.close();
  });
});
