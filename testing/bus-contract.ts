// The behaviour both bus implementations promise (see types.ts), as one suite that each
// implementation's test file runs against a real instance.
import { afterAll, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { consumeTopic, publish } from '../bus/typed.ts';
import type { Bus, BusConsumer, ConsumedRecord } from '../bus/types.ts';
import { topics } from '../schemas/topics.ts';
import { samplePlaybackEvent } from './fixtures.ts';
import { uniqueName } from './kafka.ts';
import { createLogger } from '../core/logger.ts';
import { sleep } from '../bus/retry.ts';

/** Polls `check` (which may ask the bus or the warehouse) until it holds, or fails after timeoutMs. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const PARTITIONS = 3;

function keyed(count: number, keys: number, from = 0) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const key = `account-${n % keys}`;
    return { key, value: Buffer.from(JSON.stringify({ key, seq: Math.floor(n / keys) })) };
  });
}

function parse(record: ConsumedRecord): { key: string; seq: number } {
  return JSON.parse(record.value!.toString('utf8')) as { key: string; seq: number };
}

export function busContract(makeBus: () => Promise<Bus>): void {
  let bus: Bus;
  const consumers: BusConsumer[] = [];
  const consume = async (...args: Parameters<Bus['consume']>) => {
    const consumer = await bus.consume(...args);
    consumers.push(consumer);
    await consumer.ready;
    return consumer;
  };

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop();
    await bus?.close();
  });

  it('delivers every keyed record once, each key in order and on one partition', async () => {
    bus = await makeBus();
    const topic = uniqueName('contract-order');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const producer = await bus.producer();
    const sent = keyed(600, 12);
    for (let i = 0; i < sent.length; i += 100) await producer.send(topic, sent.slice(i, i + 100));

    const received: ConsumedRecord[] = [];
    await consume({
      groupId: uniqueName('g'),
      topics: [topic],
      handleBatch: async (b) => void received.push(...b.records),
    });
    await waitFor(() => received.length >= sent.length, 'all records');
    await sleep(300);
    expect(received).toHaveLength(sent.length);

    const byKey = new Map<string, ConsumedRecord[]>();
    for (const r of received) byKey.set(r.key!.toString(), [...(byKey.get(r.key!.toString()) ?? []), r]);
    expect(byKey.size).toBe(12);
    for (const [key, records] of byKey) {
      expect(records.map((r) => parse(r).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(new Set(records.map((r) => r.partition)).size, key).toBe(1);
    }
  });

  it("places keys on the partition Kafka's default (murmur2) partitioner picks", async () => {
    const topic = uniqueName('contract-partition');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const producer = await bus.producer();
    await producer.send(topic, keyed(30, 30));
    const received: ConsumedRecord[] = [];
    await consume({
      groupId: uniqueName('g'),
      topics: [topic],
      handleBatch: async (b) => void received.push(...b.records),
    });
    await waitFor(() => received.length >= 30, 'records');
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const r of received)
      expect(r.partition).toBe(partitioner({ topic, partitionMetadata, message: { key: r.key, value: r.value } }));
  });

  it('commits after each handled batch and a restarted consumer resumes after the last commit', async () => {
    const topic = uniqueName('contract-resume');
    const groupId = uniqueName('g');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const producer = await bus.producer();
    await producer.send(topic, keyed(90, 9));

    const first: ConsumedRecord[] = [];
    const consumer = await consume({
      groupId,
      topics: [topic],
      handleBatch: async (b) => void first.push(...b.records),
    });
    await waitFor(() => first.length >= 90, 'first run');
    await consumer.stop();

    const committed = await bus.committedOffsets(groupId, topic);
    const ends = await bus.endOffsets(topic);
    for (const [partition, end] of ends) expect(committed.get(partition), `partition ${partition}`).toBe(end);

    await producer.send(topic, keyed(45, 9, 90));
    const second: ConsumedRecord[] = [];
    await consume({ groupId, topics: [topic], handleBatch: async (b) => void second.push(...b.records) });
    await waitFor(() => second.length >= 45, 'second run');
    await sleep(300);
    expect(second).toHaveLength(45);
    expect(second.every((r) => parse(r).seq >= 10)).toBe(true);
    for (const r of second) expect(BigInt(r.offset)).toBeGreaterThanOrEqual(BigInt(committed.get(r.partition) ?? '0'));
  });

  it('deletes a group that has stopped: its committed offsets are gone', async () => {
    const topic = uniqueName('contract-delete');
    const groupId = uniqueName('g');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    await (await bus.producer()).send(topic, keyed(12, 3));
    const seen: ConsumedRecord[] = [];
    const consumer = await consume({
      groupId,
      topics: [topic],
      handleBatch: async (b) => void seen.push(...b.records),
    });
    await waitFor(() => seen.length >= 12, 'the records');
    await consumer.stop();
    expect([...(await bus.committedOffsets(groupId, topic)).values()].some((o) => Number(o) > 0)).toBe(true);
    await bus.deleteGroup(groupId);
    expect([...(await bus.committedOffsets(groupId, topic)).values()].every((o) => Number(o) <= 0)).toBe(true);
  });

  it('redelivers a batch whose handler failed, without skipping or reordering', async () => {
    const topic = uniqueName('contract-retry');
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(topic, keyed(20, 1));
    const seen: number[] = [];
    let failures = 0;
    await consume({
      groupId: uniqueName('g'),
      topics: [topic],
      maxBatchSize: 5,
      handleBatch: async (b) => {
        if (parse(b.records[0]!).seq === 5 && failures < 2) {
          failures++;
          throw new Error('warehouse unavailable');
        }
        seen.push(...b.records.map((r) => parse(r).seq));
      },
    });
    await waitFor(() => seen.length >= 20, 'all records after retries');
    expect(failures).toBe(2);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('splits partitions between the members of a group', async () => {
    const topic = uniqueName('contract-group');
    const groupId = uniqueName('g');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const seenBy = [new Set<number>(), new Set<number>()];
    const records: ConsumedRecord[] = [];
    const handler = (member: number) => async (b: { partition: number; records: ConsumedRecord[] }) => {
      seenBy[member]!.add(b.partition);
      records.push(...b.records);
    };
    await consume({ groupId, topics: [topic], handleBatch: handler(0) });
    await consume({ groupId, topics: [topic], handleBatch: handler(1) });
    // Let the group settle on two members before producing.
    await sleep(bus.kind === 'kafka' ? 3000 : 50);
    const producer = await bus.producer();
    await producer.send(topic, keyed(60, 30));
    await waitFor(() => records.length >= 60, 'records for both members');
    expect(seenBy[0]!.size + seenBy[1]!.size).toBe(PARTITIONS);
    expect([...seenBy[0]!].filter((p) => seenBy[1]!.has(p))).toEqual([]);
  });

  it('reads a partition range outside any group, for rebuilding state', async () => {
    const topic = uniqueName('contract-read');
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const producer = await bus.producer();
    await producer.send(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ key: 'one-key', value: Buffer.from(String(i)) })),
    );
    const partition = (await bus.endOffsets(topic)).get(0) === '50' ? 0 : 1;
    const read = async (range?: { from?: string; to?: string }) => {
      const values: number[] = [];
      for await (const batch of bus.readPartition(topic, partition, range))
        values.push(...batch.map((r) => Number(r.value!.toString())));
      return values;
    };
    expect(await read()).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await read({ from: '10', to: '20' })).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(await read({ from: '49' })).toEqual([49]);
    expect(await read({ from: '50' })).toEqual([]);
    const other: number[] = [];
    for await (const batch of bus.readPartition(topic, 1 - partition)) other.push(batch.length);
    expect(other).toEqual([]);
  });

  it('reads a partition larger than one fetch to its end', async () => {
    const topic = uniqueName('contract-read-large');
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const producer = await bus.producer();
    for (let i = 0; i < 8; i++)
      await producer.send(topic, [{ key: null, value: Buffer.alloc(400_000, i), partition: 0 }]);
    await producer.send(topic, [{ key: null, value: Buffer.from('other'), partition: 1 }]);
    const firsts: number[] = [];
    for await (const batch of bus.readPartition(topic, 0)) firsts.push(...batch.map((r) => r.value![0]!));
    expect(firsts).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes a send larger than a broker takes in one request, in order', async () => {
    const topic = uniqueName('contract-large-send');
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: Buffer.alloc(100_000, i) })),
    );
    const firsts: number[] = [];
    for await (const batch of bus.readPartition(topic, 0)) firsts.push(...batch.map((r) => r.value![0]!));
    expect(firsts).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('writes a record to the partition it names, whatever its key', async () => {
    const topic = uniqueName('contract-partition');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    const producer = await bus.producer();
    await producer.send(
      topic,
      Array.from({ length: 9 }, (_, i) => ({
        key: 'one-key',
        value: Buffer.from(String(i)),
        partition: i % PARTITIONS,
      })),
    );
    for (let p = 0; p < PARTITIONS; p++) {
      const values: number[] = [];
      for await (const batch of bus.readPartition(topic, p))
        values.push(...batch.map((r) => Number(r.value!.toString())));
      expect(values).toEqual([p, p + 3, p + 6]);
    }
  });

  it('sends undecodable records to the dead-letter topic with the reason and keeps going', async () => {
    const spec = { ...topics.playbackEvents, name: uniqueName('contract-events') };
    const deadLetterTopic = topics.deadLetter.name;
    await bus.ensureTopics([
      { name: spec.name, partitions: 1 },
      { name: deadLetterTopic, partitions: 1 },
    ]);
    const producer = await bus.producer();
    await publish(producer, spec, [samplePlaybackEvent({ sessionKey: 'a' })]);
    await producer.send(spec.name, [
      { key: 'plex-home:42', value: Buffer.from('<html>502 Bad Gateway</html>'), headers: { origin: 'test' } },
    ]);
    await publish(producer, spec, [samplePlaybackEvent({ sessionKey: 'b' })]);

    const handled: string[] = [];
    const groupId = uniqueName('g');
    consumers.push(
      await consumeTopic(bus, {
        groupId,
        spec,
        deadLetters: producer,
        logger: createLogger('test'),
        handle: async (rs) => void handled.push(...rs.map((r) => r.value.sessionKey)),
      }),
    );
    const dead: ConsumedRecord[] = [];
    await consume({
      groupId: uniqueName('dlq'),
      topics: [deadLetterTopic],
      handleBatch: async (b) =>
        void dead.push(...b.records.filter((r) => topics.deadLetter.codec.decode(r.value).consumerGroup === groupId)),
    });
    await waitFor(() => handled.length >= 2 && dead.length >= 1, 'good records handled and the bad one dead-lettered');
    expect(handled).toEqual(['a', 'b']);
    const letter = topics.deadLetter.codec.decode(dead[0]!.value);
    expect(letter.errorKind).toBe('UNDECODABLE');
    expect(letter.error).toMatch(/single-object marker/);
    expect(letter.value?.toString()).toBe('<html>502 Bad Gateway</html>');
    expect(letter.headers).toEqual({ origin: 'test' });
    expect(letter.sourceTopic).toBe(spec.name);
    expect(dead[0]!.key?.toString()).toBe('plex-home:42');
  });
}
