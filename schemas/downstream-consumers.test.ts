// Consumers no one here wrote read every topic on the real broker, through the schema registry:
// Python's confluent-kafka with its AvroDeserializer, and Java with the Apache Kafka client and
// Apache Avro (testing/java/ReadTopics.java). Each decodes every record type into its fields. They
// need a Python with confluent-kafka (STREAMWARDEN_PYTHON) and the Java example's classpath
// (STREAMWARDEN_JAVA_CLASSPATH); .ci/run makes both. Without one, its test says so and is skipped,
// except in CI where both must run.
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
const javaClasspath = process.env.STREAMWARDEN_JAVA_CLASSPATH;
if (process.env.CI && (!python || !javaClasspath))
  throw new Error('CI must give STREAMWARDEN_PYTHON and STREAMWARDEN_JAVA_CLASSPATH (see .ci/run)');
if (!python) console.warn('Python consumer skipped: set STREAMWARDEN_PYTHON to a Python with confluent-kafka');
if (!javaClasspath)
  console.warn(
    'Java consumer skipped: set STREAMWARDEN_JAVA_CLASSPATH (mvn -f testing/java/pom.xml dependency:build-classpath)',
  );

let registry: StandInRegistry;
const bus = newKafkaBus();
const records: Array<[TopicSpec<never>, unknown]> = [
  [topics.playbackEvents as unknown as TopicSpec<never>, samplePlaybackEvent({ sessionKey: 'consumer-1' })],
  [topics.violations as unknown as TopicSpec<never>, sampleViolation({ violationId: 'consumer-violation' })],
  [topics.trustScoreChanges as unknown as TopicSpec<never>, sampleTrustScoreChange({ changeId: 'consumer-change' })],
  [topics.serverMetrics as unknown as TopicSpec<never>, sampleServerMetrics()],
];
const names = records.map(([spec]) => uniqueName(spec.name));

beforeAll(async () => {
  registry = await startStandInRegistry();
  await useSchemaRegistry(registry.url, createLogger('test'));
  await bus.ensureTopics(names.map((name) => ({ name })));
  const producer = await bus.producer();
  for (const [i, [spec, value]] of records.entries())
    await producer.send(names[i]!, [{ key: spec.key(value as never), value: spec.codec.encode(value as never) }]);
  await producer.close();
});
afterAll(async () => {
  await bus.close();
  await registry?.close();
});

/** Runs a consumer over the topics and checks it decoded each record type into its fields. */
async function readWith(command: string, args: string[]): Promise<void> {
  const { stdout } = await promisify(execFile)(
    command,
    [...args, testBrokers().join(','), registry.url, uniqueName('consumer-group'), String(records.length), ...names],
    { timeout: 150_000 },
  );
  const read = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { topic: string; key: string; value: Record<string, unknown> });
  expect(read.map((r) => r.topic).sort()).toEqual([...names].sort());
  const of = (i: number) => read.find((r) => r.topic === names[i])!;
  expect(of(0).value).toMatchObject({ sessionKey: 'consumer-1', eventType: 'STARTED', accountKey: 'plex-home:42' });
  expect(of(0).key).toBe('plex-home:42');
  expect(of(1).value).toMatchObject({ violationId: 'consumer-violation', rule: 'IMPOSSIBLE_TRAVEL' });
  expect(of(2).value).toMatchObject({ changeId: 'consumer-change', newScore: 80 });
  expect(of(3).value).toMatchObject({ serverId: expect.any(String), status: expect.any(String) });
  // The consumer asked the registry only what a registry answers (recent clients also look up
  // topic associations, a newer optional API they do without when it answers 404).
  expect(registry.unknown.filter((r) => !r.startsWith('GET /associations/'))).toEqual([]);
}

describe('consumers no one here wrote, on the registry-framed topics', () => {
  it.skipIf(!python)(
    "Python's confluent-kafka AvroDeserializer decodes plays, findings, trust changes and server samples",
    { timeout: 180_000 },
    async () => {
      await readWith(python!, [fileURLToPath(new URL('../testing/python/read_topics.py', import.meta.url))]);
    },
  );

  it.skipIf(!javaClasspath)(
    'Java with the Apache Kafka client and Apache Avro decodes the same records',
    { timeout: 180_000 },
    async () => {
      await readWith('java', [
        '-cp',
        javaClasspath!,
        fileURLToPath(new URL('../testing/java/ReadTopics.java', import.meta.url)),
      ]);
    },
  );
});
