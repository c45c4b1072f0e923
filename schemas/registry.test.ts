import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroCodec, AvroDecodeError } from './codec.ts';
import { registerSchemas, useSchemaRegistry } from './registry.ts';
import { allTopics, loadSchemaVersions, topics } from './topics.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { startStandInRegistry, type StandInRegistry } from '../testing/schema-registry.ts';

let registry: StandInRegistry;
let url: string;
let subjects: Map<string, string[]>;

beforeAll(async () => {
  registry = await startStandInRegistry();
  ({ url, subjects } = registry);
});

afterAll(() => registry?.close());

describe('schema registry', () => {
  it('registers every released version of every topic schema under <topic>-value, idempotently', async () => {
    const first = await registerSchemas(url, createLogger('test'));
    const expected = allTopics.reduce((n, t) => n + loadSchemaVersions(t.schemaFile).released.length, 0);
    expect(first).toHaveLength(expected);
    expect([...subjects.keys()].sort()).toEqual(allTopics.map((t) => `${t.name}-value`).sort());
    expect(subjects.get('streamwarden.playback-events-value')).toHaveLength(
      loadSchemaVersions('playback-event').released.length,
    );
    const again = await registerSchemas(url, createLogger('test'));
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    // Each subject held to our evolution rule: a new version reads every earlier one.
    expect([...registry.compatibility.values()]).toEqual(allTopics.map(() => 'BACKWARD_TRANSITIVE'));
  });

  it('names subjects after the topics as the broker knows them when KAFKA_TOPIC_PREFIX is set', async () => {
    const registered = await useSchemaRegistry(url, createLogger('test'), { topicPrefix: 'tv.' });
    expect(new Set(registered.map((r) => r.subject))).toEqual(new Set(allTopics.map((t) => `tv.${t.name}-value`)));
    expect(subjects.get('tv.streamwarden.playback-events-value')).toHaveLength(
      loadSchemaVersions('playback-event').released.length,
    );
    // Records are framed with the ids of the prefixed subjects.
    const id = registered.filter((r) => r.subject === 'tv.streamwarden.playback-events-value').at(-1)!.id;
    expect(topics.playbackEvents.codec.encode(samplePlaybackEvent()).readUInt32BE(1)).toBe(id);
  });

  it('says which subject the registry refused', async () => {
    await expect(registerSchemas(`${url}nowhere/`, createLogger('test'))).rejects.toThrow(
      /refused compatibility BACKWARD_TRANSITIVE for streamwarden\.\S+-value: 404/,
    );
    // A schema the registry will not take (as an incompatible change would be): its message, and which one.
    const spoiling: typeof fetch = (input, init) =>
      fetch(
        input,
        String(input).includes('/versions')
          ? { ...init, body: JSON.stringify({ schemaType: 'AVRO', schema: '"string"' }) }
          : init,
      );
    await expect(registerSchemas(url, createLogger('test'), spoiling)).rejects.toThrow(
      /refused streamwarden\.\S+-value version 1: 422 Invalid schema/,
    );
  });

  it('waits for a registry that is down at start, and stops on a refusal without retrying', async () => {
    const waits: number[] = [];
    let calls = 0;
    const flaky: typeof fetch = (input, init) =>
      ++calls <= 2 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init);
    await useSchemaRegistry(url, createLogger('test'), { fetcher: flaky, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([1000, 2000]);
    const down: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    await expect(
      useSchemaRegistry(url, createLogger('test'), { fetcher: down, attempts: 3, sleep: async () => undefined }),
    ).rejects.toThrow(/fetch failed/);
    let refusals = 0;
    const refusing: typeof fetch = (input, init) => (refusals++, fetch(`${url}nowhere/`, init));
    await expect(useSchemaRegistry(url, createLogger('test'), { fetcher: refusing })).rejects.toThrow(/ 404 /);
    expect(refusals).toBe(1);
  });

  it('frames records in the Confluent wire format with the registry id, and still reads the single-object ones', async () => {
    const codec = topics.playbackEvents.codec;
    const event = samplePlaybackEvent();
    // A record as an install without a registry writes it (this process's codecs use one already).
    const before = new AvroCodec(loadSchemaVersions('playback-event').current).encode(event);
    expect([...before.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    const registered = await useSchemaRegistry(url, createLogger('test'));
    const id = registered.filter((r) => r.subject === 'streamwarden.playback-events-value').at(-1)!.id;
    const framed = codec.encode(event);
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(id);
    expect(codec.decode(framed)).toEqual(event);
    // An install switched to a registry reads what it wrote before.
    expect(codec.decode(before)).toEqual(event);
    const stranger = Buffer.from(framed);
    stranger.writeUInt32BE(9999, 1);
    expect(() => codec.decode(stranger)).toThrow(AvroDecodeError);
    expect(() => codec.decode(stranger)).toThrow(/registry id 9999/);
  });

  it('is read by ClickHouse itself: the AvroConfluent format with the registry decodes the records', async () => {
    await useSchemaRegistry(url, createLogger('test'));
    const events = [samplePlaybackEvent({ sessionKey: 'one' }), samplePlaybackEvent({ sessionKey: 'two' })];
    const file = join(mkdtempSync(join(tmpdir(), 'sw-confluent-')), 'records.bin');
    writeFileSync(file, Buffer.concat(events.map((e) => topics.playbackEvents.codec.encode(e))));
    const warehouse = await openTestWarehouse();
    try {
      const result = await warehouse.client.query({
        query: `SELECT sessionKey, serverId, accountKey FROM file({file:String}, 'AvroConfluent', 'sessionKey String, serverId String, accountKey String')`,
        query_params: { file },
        clickhouse_settings: { format_avro_schema_registry_url: url.replace(/\/$/, '') },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual(
        events.map((e) => ({ sessionKey: e.sessionKey, serverId: e.serverId, accountKey: e.accountKey })),
      );
    } finally {
      await warehouse.drop();
    }
  });
});
