// A consumer no one here wrote reads every topic: Python's confluent-kafka, with the schema
// registry's AvroDeserializer, on the real broker, decodes each record type into its fields. It
// needs a Python with confluent-kafka (.ci/run makes one: STREAMWARDEN_PYTHON); without one the
// test says so and is skipped, except in CI where it must run.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import {
  samplePlaybackEvent,
  sampleServerMetrics,
  sampleTrustScoreChange,
  sampleViolation,
} from '../testing/fixtures.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { startStandInRegistry, type StandInRegistry } from '../testing/schema-registry.ts';
import { useSchemaRegistry } from './registry.ts';
import { topics, type TopicSpec } from './topics.ts';

const python = process.env.STREAMWARDEN_PYTHON;
if (!python && process.env.CI) throw new Error('CI must give STREAMWARDEN_PYTHON (a Python with confluent-kafka)');
if (!python) console.warn('python-consumer.test.ts skipped: set STREAMWARDEN_PYTHON to a Python with confluent-kafka');

let registry: StandInRegistry;
const bus = newKafkaBus();

beforeAll(async () => {
  registry = await startStandInRegistry();
  await useSchemaRegistry(registry.url, createLogger('test'));
});
afterAll(async () => {
  await bus.close();
  await registry?.close();
});

describe.skipIf(!python)('Python confluent-kafka consumer', () => {
  it(
    'decodes plays, findings, trust changes and server samples from the registry-framed topics',
    { timeout: 120_000 },
    async () => {
      const records: Array<[TopicSpec<never>, unknown]> = [
        [topics.playbackEvents as unknown as TopicSpec<never>, samplePlaybackEvent({ sessionKey: 'py-1' })],
        [topics.violations as unknown as TopicSpec<never>, sampleViolation({ violationId: 'py-violation' })],
        [topics.trustScoreChanges as unknown as TopicSpec<never>, sampleTrustScoreChange({ changeId: 'py-change' })],
        [topics.serverMetrics as unknown as TopicSpec<never>, sampleServerMetrics()],
      ];
      const names = records.map(([spec]) => uniqueName(spec.name));
      await bus.ensureTopics(names.map((name) => ({ name })));
      const producer = await bus.producer();
      for (const [i, [spec, value]] of records.entries())
        await producer.send(names[i]!, [{ key: spec.key(value as never), value: spec.codec.encode(value as never) }]);
      await producer.close();

      const script = fileURLToPath(new URL('../testing/python/read_topics.py', import.meta.url));
      const { stdout } = await promisify(execFile)(
        python!,
        [script, testBrokers().join(','), registry.url, uniqueName('py-group'), String(records.length), ...names],
        { timeout: 100_000 },
      );
      const read = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { topic: string; key: string; value: Record<string, unknown> });
      expect(read.map((r) => r.topic).sort()).toEqual([...names].sort());
      const of = (i: number) => read.find((r) => r.topic === names[i])!;
      expect(of(0).value).toMatchObject({ sessionKey: 'py-1', eventType: 'STARTED', accountKey: 'plex-home:42' });
      expect(of(0).key).toBe('plex-home:42');
      expect(of(1).value).toMatchObject({ violationId: 'py-violation', rule: 'IMPOSSIBLE_TRAVEL' });
      expect(of(2).value).toMatchObject({ changeId: 'py-change', newScore: 80 });
      expect(of(3).value).toMatchObject({ serverId: expect.any(String), status: expect.any(String) });
      // The consumer asked the registry only what a registry answers (recent clients also look up
      // topic associations, a newer optional API they do without when it answers 404).
      expect(registry.unknown.filter((r) => !r.startsWith('GET /associations/'))).toEqual([]);
    },
  );
});
