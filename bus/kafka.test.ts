import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { busContract, waitFor } from '../testing/bus-contract.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { captureLogger } from '../testing/logs.ts';
import { kafkaLogCreator } from './kafka.ts';
import type { ConsumedRecord } from './types.ts';

describe(`Kafka bus against ${inject('kafkaSource')} at ${inject('kafkaBrokers')}`, () => {
  busContract(async () => newKafkaBus());
});

describe('KAFKA_TOPIC_PREFIX', () => {
  const buses: Array<ReturnType<typeof newKafkaBus>> = [];
  afterAll(async () => {
    for (const bus of buses) await bus.close();
  });

  it('keeps two installations on one cluster apart under the same topic and group names', async () => {
    const topic = uniqueName('shared-topic');
    const group = uniqueName('shared-group');
    const prefixes = [`${uniqueName('tenant-a')}.`, `${uniqueName('tenant-b')}.`];
    const seen = prefixes.map(() => [] as ConsumedRecord[]);
    const assigned = prefixes.map(() => [] as string[]);
    for (const [i, prefix] of prefixes.entries()) {
      const bus = newKafkaBus({ topicPrefix: prefix });
      buses.push(bus);
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const producer = await bus.producer();
      await producer.send(topic, [{ key: 'k', value: Buffer.from(`from ${i}`) }]);
      await producer.close();
      const consumer = await bus.consume({
        groupId: group,
        topics: [topic],
        onAssignment: (assignment) => void assigned[i]!.push(...assignment.map((a) => a.topic)),
        handleBatch: async ({ records }) => void seen[i]!.push(...records),
      });
      await consumer.ready;
    }
    await waitFor(() => seen.every((s) => s.length > 0), 'each installation to read its record');
    await new Promise((r) => setTimeout(r, 500));
    for (const [i] of prefixes.entries()) {
      // Inside the process the names are the ones it asked for.
      expect(seen[i]!.map((r) => [r.topic, r.value!.toString()])).toEqual([[topic, `from ${i}`]]);
      expect(assigned[i]).toEqual([topic]);
      const bus = buses[i]!;
      const ends = await bus.endOffsets(topic);
      expect([...ends.values()].map(Number).reduce((a, b) => a + b)).toBe(1);
      const read: string[] = [];
      for (const p of ends.keys())
        for await (const batch of bus.readPartition(topic, p)) read.push(...batch.map((r) => r.value!.toString()));
      expect(read).toEqual([`from ${i}`]);
      await waitFor(
        async () => [...(await bus.committedOffsets(group, topic)).values()].some((o) => o === '1'),
        'the commit under the prefixed group',
      );
    }
    // On the broker every name carries its prefix.
    const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
    await admin.connect();
    try {
      const names = await admin.listTopics();
      for (const prefix of prefixes) expect(names).toContain(`${prefix}${topic}`);
      expect(names).not.toContain(topic);
      const { groups } = await admin.listGroups();
      for (const prefix of prefixes) expect(groups.map((g) => g.groupId)).toContain(`${prefix}${group}`);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafkajs log lines', () => {
  it('logs a heartbeat answered "rebalancing" at debug, not as an error; real errors stay errors', () => {
    const { logger, lines } = captureLogger();
    const log = kafkaLogCreator(logger)();
    const entry = (error: string) => ({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message: 'Response Heartbeat(key: 12, version: 3)', error },
    });
    log(entry('The group is rebalancing, so a rejoin is needed'));
    log(entry('Not authorized to access topics: [Topic authorization failed]'));
    expect(lines.map((l) => [l.level, l.error])).toEqual([
      [20, 'The group is rebalancing, so a rejoin is needed'],
      [50, 'Not authorized to access topics: [Topic authorization failed]'],
    ]);
  });
});
