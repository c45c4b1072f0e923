// Schema-aware produce and consume on top of the raw bus: values are validated and Avro-encoded
// on the way in; on the way out, a record that does not decode goes to the dead-letter topic with
// the reason (its bytes untouched) instead of stopping the partition or crashing the process.
import { AvroDecodeError } from '../schemas/codec.ts';
import { topics, type TopicSpec } from '../schemas/topics.ts';
import type { Logger } from '../core/logger.ts';
import type { Bus, BusConsumer, BusProducer, ConsumedRecord, Headers } from './types.ts';

interface DecodedRecord<T> {
  value: T;
  record: ConsumedRecord;
}

export async function publish<T>(
  producer: BusProducer,
  spec: TopicSpec<T>,
  values: T[],
  headers?: Headers,
): Promise<void> {
  await producer.send(
    spec.name,
    values.map((value) => ({ key: spec.key(value), value: spec.codec.encode(value), headers })),
  );
}

export interface ConsumeTopicOptions<T> {
  groupId: string;
  spec: TopicSpec<T>;
  /** Producer for dead letters (shared with the caller's own producer where there is one). */
  deadLetters: BusProducer;
  logger: Logger;
  fromBeginning?: boolean;
  /** See ConsumerOptions.ephemeral. */
  ephemeral?: boolean;
  maxBatchSize?: number;
  /** Handles one partition's decoded records in order; must be idempotent (a failed batch is redelivered). */
  handle(records: DecodedRecord<T>[], partition: number): Promise<void>;
  onAssignment?(partitions: number[]): void | Promise<void>;
  /** Counts records sent to the dead-letter topic (for metrics). */
  onDeadLetter?(error: AvroDecodeError, record: ConsumedRecord): void;
}

export async function consumeTopic<T>(bus: Bus, options: ConsumeTopicOptions<T>): Promise<BusConsumer> {
  const { spec, logger } = options;
  return bus.consume({
    groupId: options.groupId,
    topics: [spec.name],
    fromBeginning: options.fromBeginning,
    ephemeral: options.ephemeral,
    maxBatchSize: options.maxBatchSize,
    onAssignment: (assignment) =>
      options.onAssignment?.(assignment.find((a) => a.topic === spec.name)?.partitions ?? []),
    handleBatch: async (batch) => {
      const good: DecodedRecord<T>[] = [];
      const bad: Array<{ record: ConsumedRecord; error: AvroDecodeError }> = [];
      for (const record of batch.records) {
        try {
          good.push({ value: spec.codec.decode(record.value), record });
        } catch (err) {
          if (!(err instanceof AvroDecodeError)) throw err;
          bad.push({ record, error: err });
        }
      }
      if (good.length > 0) await options.handle(good, batch.partition);
      if (bad.length === 0) return;
      await sendDeadLetters(options.deadLetters, options.groupId, bad, logger);
      for (const { record, error } of bad) options.onDeadLetter?.(error, record);
    },
  });
}

/** Publishes records that could not be decoded to the dead-letter topic, bytes untouched, with the reason. */
export async function sendDeadLetters(
  producer: BusProducer,
  consumerGroup: string,
  bad: Array<{ record: ConsumedRecord; error: AvroDecodeError }>,
  logger: Logger,
): Promise<void> {
  await publish(
    producer,
    topics.deadLetter,
    bad.map(({ record, error }) => ({
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: record.offset,
      consumerGroup,
      key: record.key,
      value: record.value,
      headers: record.headers,
      errorKind: error.reason,
      error: error.message,
      failedAt: Date.now(),
    })),
  );
  for (const { record, error } of bad) {
    logger.warn(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        kind: error.reason,
        reason: error.message,
      },
      'record sent to dead-letter topic',
    );
  }
}
