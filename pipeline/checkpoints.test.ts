import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import type { Bus } from '../bus/types.ts';
import { captureLogger } from '../testing/logs.ts';
import { newKafkaBus, uniqueName } from '../testing/kafka.ts';
import { PartitionCheckpoints, type Checkpoint } from './checkpoints.ts';
import { Checkpointer } from './checkpointer.ts';

type State = Array<{ accountKey: string; note: string }>;

const buses: Bus[] = [];
afterAll(async () => {
  for (const bus of buses) await bus.close();
});

/** State that gzip cannot shrink much: ~1.6 MB written, so more than one 512 KiB chunk. */
function bigState(tag: string): State {
  return Array.from({ length: 400 }, (_, i) => ({
    accountKey: `${tag}:${i}`,
    note: randomBytes(2000).toString('base64'),
  }));
}

const at = (offset: string, state: State): Checkpoint<State> => ({
  offset,
  outputs: { violations: { '0': '7', '1': '9' } },
  state,
  writtenAt: 1_700_000_000_000,
});

describe.each([
  [
    'the embedded bus',
    () => new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-checkpoints-')), logger: captureLogger().logger }),
  ],
  ['the real Kafka broker', () => newKafkaBus()],
])('partition checkpoints on %s', (_label, makeBus) => {
  const open = async (sourcePartitions = 2) => {
    const bus = makeBus();
    buses.push(bus);
    const log = captureLogger();
    const topic = uniqueName('state');
    const checkpoints = new PartitionCheckpoints<State>({ bus, topic, sourcePartitions, logger: log.logger });
    await checkpoints.open();
    return { bus, topic, checkpoints, log };
  };

  it('give back the newest whole checkpoint of each partition, chunked when large', async () => {
    const { bus, topic, checkpoints } = await open();
    expect(await checkpoints.load(0)).toBeUndefined();
    const first = bigState('a');
    await checkpoints.save(0, at('100', first));
    const second = bigState('b');
    const bytes = await checkpoints.save(0, at('250', second));
    expect(bytes).toBeGreaterThan(512 * 1024);
    await checkpoints.save(1, at('3', [{ accountKey: 'one', note: '' }]));
    expect(await checkpoints.load(0)).toEqual(at('250', second));
    expect((await checkpoints.load(1))?.state).toEqual([{ accountKey: 'one', note: '' }]);
    // Each checkpoint stays beside its source partition.
    expect(Number((await bus.endOffsets(topic)).get(1))).toBe(2);
  });

  it('skip a checkpoint cut short by a crash (no manifest) and refuse a damaged or foreign one, saying why', async () => {
    const { bus, topic, checkpoints, log } = await open();
    await checkpoints.save(0, at('40', [{ accountKey: 'kept', note: 'x' }]));
    const producer = await bus.producer();
    // A crash after two chunks of the next checkpoint: its manifest was never written.
    await producer.send(topic, [
      {
        key: 'chunk-0',
        value: randomBytes(100),
        headers: { 'sw-checkpoint': 'chunk', 'sw-generation': 'g2' },
        partition: 0,
      },
      {
        key: 'chunk-1',
        value: randomBytes(100),
        headers: { 'sw-checkpoint': 'chunk', 'sw-generation': 'g2' },
        partition: 0,
      },
    ]);
    expect((await checkpoints.load(0))?.state).toEqual([{ accountKey: 'kept', note: 'x' }]);

    // A manifest whose chunk does not match its checksum.
    await checkpoints.save(0, at('50', [{ accountKey: 'damaged', note: 'y' }]));
    const records: Array<{ offset: string; value: Buffer | null; headers: Record<string, string> }> = [];
    for await (const batch of bus.readPartition(topic, 0)) records.push(...batch);
    const manifest = records[records.length - 1]!;
    await producer.send(topic, [
      { key: 'chunk-0', value: randomBytes(30), headers: { ...records[records.length - 2]!.headers }, partition: 0 },
      { key: 'manifest', value: manifest.value!, headers: manifest.headers, partition: 0 },
    ]);
    expect(await checkpoints.load(0)).toBeUndefined();
    expect(log.messages().join('\n')).toMatch(/not usable \(its bytes do not match\); its state is rebuilt/);

    // Written when the source had another number of partitions: other accounts are in each.
    const other = new PartitionCheckpoints<State>({ bus, topic, sourcePartitions: 3, logger: log.logger });
    await checkpoints.save(1, at('5', [{ accountKey: 'two', note: '' }]));
    expect(await other.load(1)).toBeUndefined();
    expect(log.messages().join('\n')).toMatch(/written for 2 partitions, the topic has 3/);
    await producer.close();
  });

  it('are not written when their topic has fewer partitions than the source has now, saying so', async () => {
    const bus = makeBus();
    buses.push(bus);
    const log = captureLogger();
    const source = uniqueName('source');
    const topic = uniqueName('state');
    await bus.ensureTopics([
      { name: topic, partitions: 2 },
      { name: source, partitions: 3 },
    ]);
    const checkpointer = new Checkpointer<State>({
      bus,
      logger: log.logger,
      topic,
      sourceTopic: source,
      outputTopics: [],
      intervalMs: 1,
    });
    await checkpointer.open();
    const partition = { next: 5n, changed: true, snapshot: () => [] };
    await checkpointer.saveDue([[2, partition]]);
    expect(partition.changed).toBe(true);
    expect(Object.fromEntries(await bus.endOffsets(topic))).toEqual({ 0: '0', 1: '0' });
    expect(log.messages().join('\n')).toMatch(/has 2 partitions for the 3 of .*: state is not checkpointed/);
    await checkpointer.stop();
  });
});
