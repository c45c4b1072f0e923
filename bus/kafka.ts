import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from '../core/logger.ts';
import { retryStaleMetadata } from './kafka-admin.ts';
import { handleUntilDone } from './retry.ts';
import {
  backoffMs,
  toKeyBuffer,
  type Bus,
  type BusConsumer,
  type BusProducer,
  type ConsumedRecord,
  type ConsumerOptions,
  type Headers,
  type OutgoingRecord,
  type TopicConfig,
} from './types.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  logger: Logger;
  /** Partitions of topics this bus creates (default 12: room for 12 processors). */
  defaultPartitions?: number;
  /** How long a silent group member keeps its partitions (default 30 s; Kafka's minimum is 6 s). */
  sessionTimeoutMs?: number;
  /**
   * Put before every topic and consumer group name on the broker, so that several installations
   * (or test runs) share a cluster without reading each other's records. Inside the process names
   * stay unprefixed.
   */
  topicPrefix?: string;
}

function headersOf(raw: Record<string, unknown> | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value == null) continue;
    out[name] = Array.isArray(value)
      ? String(value[value.length - 1])
      : Buffer.isBuffer(value)
        ? value.toString('utf8')
        : String(value);
  }
  return out;
}

/**
 * Broker answers that are part of the group protocol, not failures: kafkajs logs a heartbeat
 * answered "rebalancing" at ERROR, so every process joining or leaving printed a burst of ERROR
 * lines on all the others (21 in one test run with two pipelines) for something that needs nobody.
 */
const ROUTINE_ANSWERS = ['The group is rebalancing, so a rejoin is needed'];

export function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const child = { kafkajs: log.namespace ?? true, ...extra };
      if (typeof extra.error === 'string' && ROUTINE_ANSWERS.includes(extra.error)) logger.debug(child, message);
      else if (level <= logLevel.ERROR) logger.error(child, message);
      else if (level === logLevel.WARN) logger.warn(child, message);
      else logger.debug(child, message);
    };
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly description: string;
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly defaultPartitions: number;
  private readonly sessionTimeoutMs: number;
  /** The admin client with the closer registered for it (renewAdmin takes both together). */
  private adminClient: Promise<{ admin: Admin; close: () => Promise<void> }> | undefined;
  private readonly closers = new Set<() => Promise<void>>();
  private readonly prefix: string;

  constructor(options: KafkaBusOptions) {
    this.logger = options.logger.child({ component: 'bus', bus: 'kafka' });
    this.prefix = options.topicPrefix ?? '';
    this.description = `kafka ${options.brokers.join(',')}${this.prefix ? ` (topics ${this.prefix}*)` : ''}`;
    this.defaultPartitions = options.defaultPartitions ?? 12;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'streamwarden',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
  }

  /** A topic's or group's name on the broker. */
  private wire(name: string): string {
    return this.prefix + name;
  }

  /** A topic's name in the process, from its name on the broker. */
  private local(name: string): string {
    return this.prefix && name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }

  private async admin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      const close = () => admin.disconnect();
      this.closers.add(close);
      return { admin, close };
    })();
    return (await this.adminClient).admin;
  }

  /**
   * Sets the admin client aside, so the next one reads the cluster's metadata afresh. The old one
   * is closed a minute later, not now: reads begun on it meanwhile finish.
   */
  private async renewAdmin(): Promise<void> {
    const stale = this.adminClient;
    this.adminClient = undefined;
    const old = await stale?.catch(() => undefined);
    if (!old) return;
    setTimeout(() => {
      if (this.closers.delete(old.close)) void old.close().catch(() => undefined);
    }, 60_000).unref();
  }

  /** A topic's low and high offsets by partition, read again on stale metadata (bus/kafka-admin.ts). */
  private topicOffsets(onWire: string) {
    return retryStaleMetadata(
      async () => (await this.admin()).fetchTopicOffsets(onWire),
      () => this.renewAdmin(),
    );
  }

  async ensureTopics(topics: TopicConfig[]): Promise<void> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(this.wire(t.name)));
    if (missing.length === 0) return;
    const { brokers } = await admin.describeCluster();
    const replicationFactor = Math.min(3, brokers.length);
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: this.wire(t.name),
        numPartitions: t.partitions ?? this.defaultPartitions,
        replicationFactor,
        configEntries: [
          { name: 'cleanup.policy', value: t.cleanupPolicy ?? 'delete' },
          ...(t.retentionMs != null ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
          ...(t.segmentMs != null ? [{ name: 'segment.ms', value: String(t.segmentMs) }] : []),
        ],
      })),
    });
    this.logger.info({ topics: missing.map((t) => this.wire(t.name)), replicationFactor }, 'created topics');
  }

  async producer(): Promise<BusProducer> {
    // Idempotent: a retried send after a lost ack is written once, and in order (one request in
    // flight). Retries are unbounded as kafkajs requires for that guarantee: while the broker is
    // away, send() waits (back-pressure on the caller) instead of failing and dropping records.
    const producer: Producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: Number.MAX_SAFE_INTEGER },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const close = () => producer.disconnect();
    this.closers.add(close);
    return {
      send: async (topic: string, records: OutgoingRecord[]) => {
        // kafkajs sends a partition's records as one batch, and the broker refuses a batch over
        // its message.max.bytes (1 MiB by default) however small each record is: a large send
        // goes as several requests, one after the other, so the order holds.
        for (const part of requestsOf(records)) {
          await producer.send({
            topic: this.wire(topic),
            acks: -1,
            messages: part.map((r) => ({
              key: toKeyBuffer(r.key),
              value: r.value,
              headers: r.headers,
              timestamp: String(r.timestamp ?? Date.now()),
              ...(r.partition !== undefined ? { partition: r.partition } : {}),
            })),
          });
        }
      },
      close: async () => {
        this.closers.delete(close);
        await close();
      },
    };
  }

  async consume(options: ConsumerOptions): Promise<BusConsumer> {
    const logger = this.logger.child({ groupId: options.groupId });
    const consumer: Consumer = this.kafka.consumer({
      groupId: this.wire(options.groupId),
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: 60_000,
      heartbeatInterval: Math.min(3_000, Math.floor(this.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: 250,
      // A fetch's records are slices of its response, which stays in memory until the last of them
      // is handled, and the processor and the sink each hold their own. 2 MiB a partition (~8,000
      // events) and 12 MiB a fetch still fill the sink's inserts: the end-to-end peak fell from
      // 1,056-1,076 to 959-1,006 MiB at the same throughput, against 8 / 64 MiB (bench/README.md).
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 12 * 1024 * 1024,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
    let running = true;
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic: this.local(topic),
        partitions: [...partitions].sort((a, b) => a - b),
      }));
      logger.info({ assignment }, 'partitions assigned');
      Promise.resolve(options.onAssignment?.(assignment)).catch((err: unknown) =>
        logger.error({ err }, 'onAssignment failed'),
      );
      markReady();
    });
    consumer.on(consumer.events.CRASH, (event) =>
      logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed'),
    );

    await consumer.connect();
    await consumer.subscribe({
      topics: options.topics.map((t) => this.wire(t)),
      fromBeginning: options.fromBeginning ?? true,
    });
    const maxBatch = options.maxBatchSize ?? 1000;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const topic = this.local(batch.topic);
        const all: ConsumedRecord[] = batch.messages.map((m) => ({
          topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers: headersOf(m.headers),
          timestamp: Number(m.timestamp),
        }));
        for (let start = 0; start < all.length; start += maxBatch) {
          const records = all.slice(start, start + maxBatch);
          const alive = () => running && isRunning() && !isStale();
          const done = await handleUntilDone(
            () =>
              options.handleBatch({
                topic,
                partition: batch.partition,
                records,
                heartbeat,
                isRunning: alive,
              }),
            { isRunning: alive, logger, what: `${topic}[${batch.partition}]@${records[0]!.offset}`, heartbeat },
          );
          if (!done) return;
          const last = records[records.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          await heartbeat();
        }
      },
    });

    const stop = async () => {
      if (!running) return;
      running = false;
      this.closers.delete(stop);
      await consumer.disconnect();
      markReady();
    };
    this.closers.add(stop);
    return { groupId: options.groupId, ready, stop };
  }

  async deleteGroup(groupId: string): Promise<void> {
    const admin = await this.admin();
    // The member may need a moment to leave after its consumer stopped.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.deleteGroups([this.wire(groupId)]);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, backoffMs(attempt, 200, 2000)));
      }
    }
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const admin = await this.admin();
    const result = await admin.fetchOffsets({ groupId: this.wire(groupId), topics: [this.wire(topic)] });
    return new Map((result[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const offsets = await this.topicOffsets(this.wire(topic));
    return new Map(offsets.map((o) => [o.partition, o.high]));
  }

  async *readPartition(
    topic: string,
    partition: number,
    range: { from?: string; to?: string } = {},
  ): AsyncIterable<ConsumedRecord[]> {
    const onWire = this.wire(topic);
    const bounds = (await this.topicOffsets(onWire)).find((o) => o.partition === partition);
    if (!bounds) throw new Error(`topic ${topic} has no partition ${partition}`);
    const start =
      range.from !== undefined && BigInt(range.from) > BigInt(bounds.low) ? BigInt(range.from) : BigInt(bounds.low);
    const end =
      range.to !== undefined && BigInt(range.to) < BigInt(bounds.high) ? BigInt(range.to) : BigInt(bounds.high);
    if (start >= end) return;
    // kafkajs reads only through a consumer group: a throw-away one, never committed, deleted after.
    const groupId = this.wire(`streamwarden-reader-${randomUUID()}`);
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 30_000 });
    const queue: ConsumedRecord[][] = [];
    let finished = false;
    let failure: unknown;
    let wake: () => void = () => undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      failure = event.payload.error;
      wake();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [onWire], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          if (batch.partition !== partition) {
            consumer.pause([{ topic: onWire, partitions: [batch.partition] }]);
            return;
          }
          if (finished) return;
          const records = batch.messages
            .filter((m) => BigInt(m.offset) >= start && BigInt(m.offset) < end)
            .map((m) => ({
              topic,
              partition,
              offset: m.offset,
              key: m.key,
              value: m.value,
              headers: headersOf(m.headers),
              timestamp: Number(m.timestamp),
            }));
          if (records.length > 0) queue.push(records);
          // Without it kafkajs fetches the same records again: a partition larger than one fetch never ended.
          resolveOffset(batch.lastOffset());
          if (BigInt(batch.lastOffset()) + 1n >= end) finished = true;
          wake();
        },
      });
      consumer.seek({ topic: onWire, partition, offset: start.toString() });
      while (!finished || queue.length > 0) {
        if (failure) throw failure;
        const next = queue.shift();
        if (next) yield next;
        else
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 250);
          });
      }
    } finally {
      await consumer.disconnect();
      // A reader group of its own, used once: if the broker keeps it, its offsets expire anyway.
      await (await this.admin()).deleteGroups([groupId]).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const closers = [...this.closers].reverse();
    this.closers.clear();
    for (const close of closers)
      await close().catch((err: unknown) => this.logger.warn({ err }, 'error while closing'));
    this.adminClient = undefined;
  }
}

/** Bytes of records sent in one request: under the broker's default limit of 1 MiB per batch, with room for framing. */
const REQUEST_BYTES = 768 * 1024;

/** The records in runs of at most REQUEST_BYTES (a record larger than that goes alone). */
function requestsOf(records: OutgoingRecord[]): OutgoingRecord[][] {
  const parts: OutgoingRecord[][] = [];
  let part: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    let size = 64 + r.value.length + (r.key?.length ?? 0);
    for (const [name, value] of Object.entries(r.headers ?? {})) size += name.length + value.length + 8;
    if (part.length > 0 && bytes + size > REQUEST_BYTES) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(r);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
