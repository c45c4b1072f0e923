import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { KafkaBus } from '../bus/kafka.ts';
import type { Bus } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';

/** Bootstrap servers of the broker the global setup resolved. */
export function testBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

export function newKafkaBus(options: { topicPrefix?: string } = {}): KafkaBus {
  // Kafka's shortest session timeout: a killed member's partitions move on quickly.
  return new KafkaBus({
    brokers: testBrokers(),
    clientId: `test-${process.pid}`,
    logger: createLogger('test'),
    defaultPartitions: 3,
    sessionTimeoutMs: 6000,
    topicPrefix: options.topicPrefix,
  });
}

/** A name no other test uses, so test files can share one broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Every record of a topic, decoded, partition by partition. */
export async function readTopic<T>(
  bus: Bus,
  spec: { name: string; codec: { decode(b: Buffer | null): T } },
): Promise<T[]> {
  const out: T[] = [];
  for (const p of (await bus.endOffsets(spec.name)).keys())
    for await (const batch of bus.readPartition(spec.name, p))
      out.push(...batch.map((r) => spec.codec.decode(r.value)));
  return out;
}
