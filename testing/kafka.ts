import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { KafkaBus } from '../bus/kafka.ts';
import { createLogger } from '../core/logger.ts';

/** Bootstrap servers of the broker the global setup resolved. */
export function testBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

export function newKafkaBus(): KafkaBus {
  // Kafka's shortest session timeout: a killed member's partitions move on quickly.
  return new KafkaBus({
    brokers: testBrokers(),
    clientId: `test-${process.pid}`,
    logger: createLogger('test'),
    defaultPartitions: 3,
    sessionTimeoutMs: 6000,
  });
}

/** A name no other test uses, so test files can share one broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
