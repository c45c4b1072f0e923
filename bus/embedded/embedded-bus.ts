// The in-process bus of the all-in-one mode. It carries the same Avro-encoded bytes, keys and
// headers as Kafka, partitions keys with Kafka's own partitioner (same key -> same partition
// number), keeps records in a file-backed log and commits group offsets to disk, so a restart
// resumes after the last committed record exactly as a Kafka consumer group would.
import { EventEmitter } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { handleUntilDone, sleep } from '../retry.ts';
import {
  toKeyBuffer,
  type Bus,
  type BusConsumer,
  type BusProducer,
  type ConsumedRecord,
  type ConsumerOptions,
  type OutgoingRecord,
  type TopicConfig,
} from '../types.ts';
import { OffsetStore } from './offset-store.ts';
import { PartitionLog } from './partition-log.ts';
import { isProcessAlive } from '../../core/processes.ts';

export interface EmbeddedBusOptions {
  /** Folder of the log and offsets (e.g. ./data/bus). */
  dir: string;
  logger: Logger;
  defaultPartitions?: number;
  /** Delete-policy retention (default 7 days). */
  retentionMs?: number;
  segmentBytes?: number;
  /** How often appended records are fsynced (default 1 s); a process crash loses nothing either way. */
  flushIntervalMs?: number;
}

interface Topic {
  config: Required<Pick<TopicConfig, 'name' | 'partitions' | 'cleanupPolicy'>> & { retentionMs?: number };
  logs: PartitionLog[];
}

interface Member {
  id: number;
  options: ConsumerOptions;
  assignment: Array<{ topic: string; partition: number }>;
  running: boolean;
}

interface Group {
  members: Member[];
  /** Partitions a member is handling right now ("topic/partition"), so a hand-over waits for it. */
  busy: Set<string>;
  /** Read position of partitions without a committed offset that started at the end. */
  positions: Map<string, number>;
}

const DAY = 86_400_000;

export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly description: string;
  private readonly logger: Logger;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly offsets: OffsetStore;
  private readonly appended = new EventEmitter();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly lockPath: string;
  private readonly maintenance: NodeJS.Timeout;
  private nextMemberId = 1;
  private closed = false;

  constructor(private readonly options: EmbeddedBusOptions) {
    this.logger = options.logger.child({ component: 'bus', bus: 'embedded' });
    this.description = `embedded ${options.dir}`;
    mkdirSync(join(options.dir, 'topics'), { recursive: true });
    this.lockPath = join(options.dir, 'LOCK');
    this.acquireLock();
    this.offsets = new OffsetStore(join(options.dir, 'offsets'));
    this.appended.setMaxListeners(0);
    this.loadTopics();
    this.maintenance = setInterval(() => this.maintain(), options.flushIntervalMs ?? 1000);
    this.maintenance.unref();
  }

  async ensureTopics(configs: TopicConfig[]): Promise<void> {
    for (const config of configs) {
      if (this.topics.has(config.name)) continue;
      const full = {
        name: config.name,
        partitions: config.partitions ?? this.options.defaultPartitions ?? 4,
        cleanupPolicy: config.cleanupPolicy ?? 'delete',
        retentionMs: config.retentionMs,
      };
      const dir = this.topicDir(config.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'topic.json'), JSON.stringify(full));
      this.openTopic(full);
      this.logger.info({ topic: config.name, partitions: full.partitions }, 'created topic');
    }
    for (const group of this.groups.values()) this.rebalance(group);
  }

  async producer(): Promise<BusProducer> {
    return {
      send: async (topicName, records) => this.append(topicName, records),
      close: async () => undefined,
    };
  }

  async consume(options: ConsumerOptions): Promise<BusConsumer> {
    for (const name of options.topics) this.topicOrThrow(name);
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = { members: [], busy: new Set(), positions: new Map() };
      this.groups.set(options.groupId, group);
    }
    const member: Member = { id: this.nextMemberId++, options, assignment: [], running: true };
    group.members.push(member);
    this.rebalance(group);
    const loop = this.runMember(group, member);
    return {
      groupId: options.groupId,
      ready: Promise.resolve(),
      stop: async () => {
        if (!member.running) return;
        member.running = false;
        this.appended.emit('record');
        await loop;
        group.members = group.members.filter((m) => m !== member);
        this.rebalance(group);
      },
    };
  }

  /** Damage found in the log when it was opened (quarantined segments), for /health. */
  problems(): string[] {
    return [...this.topics.values()].flatMap((t) => t.logs.flatMap((log) => log.problems));
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId);
    this.offsets.remove(groupId);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return new Map([...this.offsets.all(groupId, topic)].map(([p, o]) => [p, String(o)]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    return new Map(this.topicOrThrow(topic).logs.map((log) => [log.partition, String(log.endOffset)]));
  }

  async *readPartition(
    topic: string,
    partition: number,
    range: { from?: string; to?: string } = {},
  ): AsyncIterable<ConsumedRecord[]> {
    const log = this.topicOrThrow(topic).logs[partition];
    if (!log) throw new Error(`topic ${topic} has no partition ${partition}`);
    const end = Math.min(range.to !== undefined ? Number(range.to) : log.endOffset, log.endOffset);
    for (let offset = Math.max(Number(range.from ?? log.startOffset), log.startOffset); offset < end;) {
      const records = log.read(offset, Math.min(1000, end - offset));
      if (records.length === 0) return;
      offset = Number(records[records.length - 1]!.offset) + 1;
      yield records;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) for (const member of group.members) member.running = false;
    this.appended.emit('record');
    // Give member loops the chance to finish the batch in hand before the logs close.
    while ([...this.groups.values()].some((g) => g.busy.size > 0)) await sleep(10);
    clearInterval(this.maintenance);
    for (const topic of this.topics.values()) for (const log of topic.logs) log.close();
    rmSync(this.lockPath, { force: true });
  }

  private append(topicName: string, records: OutgoingRecord[]): void {
    if (this.closed) throw new Error('embedded bus is closed');
    const topic = this.topicOrThrow(topicName);
    const partitionMetadata = topic.logs.map((_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const record of records) {
      const key = toKeyBuffer(record.key);
      const partition =
        record.partition ??
        this.partitioner({
          topic: topicName,
          partitionMetadata,
          message: { key, value: record.value },
        });
      if (!topic.logs[partition]) throw new Error(`topic ${topicName} has no partition ${partition}`);
      topic.logs[partition].append([
        { key, value: record.value, headers: record.headers ?? {}, timestamp: record.timestamp ?? Date.now() },
      ]);
    }
    this.appended.emit('record');
  }

  private async runMember(group: Group, member: Member): Promise<void> {
    const logger = this.logger.child({ groupId: member.options.groupId, member: member.id });
    while (member.running) {
      // Partitions are handled side by side, as Kafka consumers do: a handler that batches across
      // partitions (the warehouse sink) sees them together, and a slow one holds up only itself.
      const handled = await Promise.all(
        member.assignment.map(({ topic, partition }) => this.handlePartition(group, member, topic, partition, logger)),
      );
      if (!handled.includes(true) && member.running) await this.waitForRecords(250);
    }
  }

  /** Hands the next batch of one partition to the member; true when there was one and it was committed. */
  private async handlePartition(
    group: Group,
    member: Member,
    topic: string,
    partition: number,
    logger: Logger,
  ): Promise<boolean> {
    const { options } = member;
    const slot = `${topic}/${partition}`;
    if (!member.running || group.busy.has(slot)) return false;
    group.busy.add(slot);
    try {
      const log = this.topicOrThrow(topic).logs[partition]!;
      let from =
        (options.ephemeral ? undefined : this.offsets.get(options.groupId, topic, partition)) ??
        group.positions.get(slot);
      if (from === undefined) {
        from = options.fromBeginning === false ? log.endOffset : log.startOffset;
        group.positions.set(slot, from);
      }
      if (from > log.endOffset) {
        // The log holds fewer records than the group has read (the log was damaged or replaced):
        // waiting for it to grow past the commit would skip every new record until then.
        logger.error(
          { topic, partition, committed: from, logEnd: log.endOffset },
          'committed offset is past the end of the log: reset to the end',
        );
        from = log.endOffset;
        if (this.offsets.get(options.groupId, topic, partition) !== undefined)
          this.offsets.commit(options.groupId, topic, partition, from);
        else group.positions.set(slot, from);
      }
      const records = log.read(from, options.maxBatchSize ?? 1000);
      if (records.length === 0) return false;
      const isRunning = () =>
        member.running && member.assignment.some((a) => a.topic === topic && a.partition === partition);
      const done = await handleUntilDone(
        () => options.handleBatch({ topic, partition, records, heartbeat: async () => undefined, isRunning }),
        { isRunning, logger, what: `${topic}[${partition}]@${records[0]!.offset}` },
      );
      if (!done) return false;
      const next = Number(records[records.length - 1]!.offset) + 1;
      if (options.ephemeral) group.positions.set(slot, next);
      else this.offsets.commit(options.groupId, topic, partition, next);
      return true;
    } finally {
      group.busy.delete(slot);
    }
  }

  private waitForRecords(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('record', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.appended.once('record', done);
    });
  }

  /** Round-robin of the group's subscribed partitions over its members, in join order. */
  private rebalance(group: Group): void {
    const slots = new Map<Member, Array<{ topic: string; partition: number }>>(group.members.map((m) => [m, []]));
    const subscribed = [...new Set(group.members.flatMap((m) => m.options.topics))].sort();
    let next = 0;
    for (const topic of subscribed) {
      const partitions = this.topics.get(topic)?.logs.length ?? 0;
      for (let partition = 0; partition < partitions; partition++) {
        const candidates = group.members.filter((m) => m.options.topics.includes(topic));
        if (candidates.length === 0) continue;
        slots.get(candidates[next++ % candidates.length]!)!.push({ topic, partition });
      }
    }
    for (const [member, assignment] of slots) {
      const before = JSON.stringify(member.assignment);
      member.assignment = assignment;
      if (before === JSON.stringify(assignment)) continue;
      const byTopic = [...new Set(assignment.map((a) => a.topic))].map((topic) => ({
        topic,
        partitions: assignment.filter((a) => a.topic === topic).map((a) => a.partition),
      }));
      Promise.resolve(member.options.onAssignment?.(byTopic)).catch((err: unknown) =>
        this.logger.error({ err }, 'onAssignment failed'),
      );
    }
  }

  private maintain(): void {
    const now = Date.now();
    for (const topic of this.topics.values()) {
      for (const log of topic.logs) {
        log.flush();
        // A compacted topic is a changelog: until compaction exists here, it keeps every record
        // (and, with 'compact,delete', none older than the retention).
        if (topic.config.cleanupPolicy !== 'compact')
          log.deleteOlderThan(now - (topic.config.retentionMs ?? this.options.retentionMs ?? 7 * DAY));
      }
    }
  }

  private loadTopics(): void {
    for (const entry of readdirSafe(join(this.options.dir, 'topics'))) {
      const file = join(this.options.dir, 'topics', entry, 'topic.json');
      if (existsSync(file)) this.openTopic(JSON.parse(readFileSync(file, 'utf8')) as Topic['config']);
    }
  }

  private openTopic(config: Topic['config']): void {
    const dir = this.topicDir(config.name);
    const logs = Array.from(
      { length: config.partitions },
      (_, p) =>
        new PartitionLog(
          join(dir, String(p)),
          config.name,
          p,
          this.options.segmentBytes ?? 64 * 1024 * 1024,
          this.logger,
          join(this.options.dir, 'quarantine'),
        ),
    );
    this.topics.set(config.name, { config, logs });
  }

  private topicOrThrow(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new Error(`unknown topic ${name} on the embedded bus (create it with ensureTopics)`);
    return topic;
  }

  private topicDir(name: string): string {
    return join(this.options.dir, 'topics', encodeURIComponent(name));
  }

  /** One process per data folder: a second would interleave writes to the same log files. */
  private acquireLock(): void {
    for (;;) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(readFileSync(this.lockPath, 'utf8'));
        if (holder && isProcessAlive(holder)) {
          throw new Error(`embedded bus folder ${this.options.dir} is in use by process ${holder}`, { cause: err });
        }
        rmSync(this.lockPath, { force: true });
      }
    }
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
