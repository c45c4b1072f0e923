import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { EmbeddedBus } from './embedded/embedded-bus.ts';
import { KafkaBus } from './kafka.ts';
import type { Bus } from './types.ts';

export * from './types.ts';

export { publish, consumeTopic } from './typed.ts';

export interface BusSettings {
  /** Kafka/Redpanda bootstrap servers; empty means the embedded bus. */
  kafkaBrokers: string[];
  kafkaClientId?: string;
  /** Data folder of the embedded bus's log (bus/ inside it). */
  dataDir: string;
  partitions?: number;
  /** Put before every Kafka topic and consumer group name (KAFKA_TOPIC_PREFIX). */
  kafkaTopicPrefix?: string;
  /** KAFKA_SESSION_TIMEOUT_MS */
  kafkaSessionTimeoutMs?: number;
}

export function createBus(settings: BusSettings, logger: Logger): Bus {
  if (settings.kafkaBrokers.length > 0) {
    return new KafkaBus({
      brokers: settings.kafkaBrokers,
      clientId: settings.kafkaClientId,
      logger,
      defaultPartitions: settings.partitions,
      topicPrefix: settings.kafkaTopicPrefix,
      sessionTimeoutMs: settings.kafkaSessionTimeoutMs,
    });
  }
  return new EmbeddedBus({ dir: join(settings.dataDir, 'bus'), logger, defaultPartitions: settings.partitions });
}
