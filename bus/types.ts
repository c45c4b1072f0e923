// The message bus every process talks through. Two implementations keep the same contract:
// Kafka (scale-out) and the embedded file-backed log (one process, nothing to install).
//
// Contract:
// - records with the same key go to the same partition, so one key's records stay in order;
// - a consumer group splits a topic's partitions between its members;
// - handleBatch gets one partition's records in offset order; the offset is committed only after
//   it resolves, and a failing batch is retried (with backoff) before anything later is read, so a
//   crash or restart resumes after the last committed record: nothing lost, nothing skipped.

export type Headers = Record<string, string>;

export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer;
  headers?: Headers;
  /** Event time in ms; defaults to now. */
  timestamp?: number;
  /** The partition to write to, instead of the one the key picks (a changelog kept beside its source's partitions). */
  partition?: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** 64-bit offset as a decimal string (Kafka's convention). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

export interface RecordBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** Keeps group membership alive during long work (no-op where not needed). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: long handlers may return early (nothing is committed). */
  isRunning(): boolean;
}

export interface TopicConfig {
  name: string;
  partitions?: number;
  /**
   * 'compact,delete' keeps the newest record of each key, and nothing older than the retention.
   * The embedded bus does not compact: it applies the retention of 'delete' and 'compact,delete'
   * and keeps every record of 'compact'.
   */
  cleanupPolicy?: 'delete' | 'compact' | 'compact,delete';
  /** Delete-policy retention; undefined keeps the bus default. */
  retentionMs?: number;
  /** Kafka rolls a segment this often, so compaction and retention reach recent records (Kafka only). */
  segmentMs?: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest record (default) or new records only. */
  fromBeginning?: boolean;
  handleBatch(batch: RecordBatch): Promise<void>;
  /** Called with this member's partitions after every (re)assignment. */
  onAssignment?(assignment: Array<{ topic: string; partitions: number[] }>): void | Promise<void>;
  /** Upper bound of records handed to one handleBatch call. */
  maxBatchSize?: number;
  /**
   * A group that lives as long as this consumer (a live feed): the embedded bus keeps its
   * positions in memory only, so no offsets file is left behind when the process ends.
   */
  ephemeral?: boolean;
}

export interface BusConsumer {
  readonly groupId: string;
  /** Resolves once the member has joined its group and received partitions (possibly none). */
  readonly ready: Promise<void>;
  /** Stops fetching, lets the batch in progress finish (and commit), leaves the group. */
  stop(): Promise<void>;
}

export interface BusProducer {
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface Bus {
  readonly kind: 'kafka' | 'embedded';
  /** Human-readable target, for logs and /health. */
  readonly description: string;
  ensureTopics(topics: TopicConfig[]): Promise<void>;
  producer(): Promise<BusProducer>;
  consume(options: ConsumerOptions): Promise<BusConsumer>;
  /** Committed offsets of a group (next offset to read), for lag and tests. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** Offset after the newest record of each partition. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /** Damage the bus found in its own storage (embedded: quarantined segments); none for Kafka. */
  problems?(): string[];
  /** Deletes a group that has no members left, with its committed offsets. */
  deleteGroup(groupId: string): Promise<void>;
  /**
   * Reads one partition from `from` (default: the oldest record kept) up to, not including, `to`
   * (default: the end at the time of the call), outside any consumer group: for rebuilding state.
   */
  readPartition(
    topic: string,
    partition: number,
    range?: { from?: string; to?: string },
  ): AsyncIterable<ConsumedRecord[]>;
  close(): Promise<void>;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export function toKeyBuffer(key: string | Buffer | null): Buffer | null {
  if (key == null) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}
