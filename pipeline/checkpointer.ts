// When and how a stage checkpoints its partitions' state (checkpoints.ts holds the format).
//
// A checkpoint must never hold a change whose findings are not published yet: a crash after the
// checkpoint would restore the change and never publish them. So a partition's state is copied
// only while no batch of it and no change to every partition (a settlement, the inactivity check)
// is in progress, and none starts until the copy is done (`enter` waits for it). The copy is made
// a hundred items at a time, yielding between them, so a large state does not stop the event
// loop (other partitions, the API) for the whole of it. The output topics' ends it records are
// read before it, so the findings published after it are all at or after those ends.
import type { Bus } from '../bus/types.ts';
import type { TopicSpec } from '../schemas/index.ts';
import type { Logger } from '../core/logger.ts';
import { PartitionCheckpoints, type Checkpoint } from './checkpoints.ts';

export interface CheckpointedPartition<S extends unknown[]> {
  /** Offset of the first source record the state does not reflect (undefined until restored). */
  next: bigint | undefined;
  /** Whether the state changed since the last checkpoint. */
  changed: boolean;
  /** The state's items as they are now (not changed while the checkpoint copies them). */
  snapshot(): S;
}

/** A stage's partition: restored on assignment, then checkpointed as its batches go by. */
export interface RestoredPartition<S extends unknown[]> extends CheckpointedPartition<S> {
  /** Resolves once the state is restored. */
  ready: Promise<void>;
  /** Records below this offset are in the restored state already (a checkpoint newer than the commit). */
  skipBelow: bigint;
}

/** The records of a batch that a restored checkpoint does not hold already. */
export function notRestored<R extends { record: { offset: string } }>(
  owned: RestoredPartition<unknown[]>,
  records: R[],
): R[] {
  if (owned.skipBelow === 0n) return records;
  const skip = owned.skipBelow;
  const fresh = records.filter((r) => BigInt(r.record.offset) >= skip);
  if (fresh.length > 0) owned.skipBelow = 0n;
  return fresh;
}

/** After a batch is published: the state reflects it, and has changed since the last checkpoint. */
export function processed(owned: RestoredPartition<unknown[]>, records: ReadonlyArray<{ record: { offset: string } }>) {
  owned.next = BigInt(records[records.length - 1]!.record.offset) + 1n;
  owned.changed = true;
}

export interface CheckpointerOptions {
  bus: Bus;
  logger: Logger;
  /** The checkpoint topic. */
  topic: string;
  sourceTopic: string;
  outputTopics: string[];
  /** How often changed partitions are checkpointed. */
  intervalMs: number;
  /** How long checkpoints are kept (default 1 day); an unchanged partition is written again well within it. */
  retentionMs?: number;
  /** Called after each checkpoint written. */
  onSaved?: () => void;
}

/** Items serialized between two yields to the event loop. */
const SLICE = 100;

/**
 * The checkpointer of a stage consuming `sourceTopic` in `groupId` (its topic named after both),
 * opened; none when `intervalMs` is 0 or the source has no partitions yet.
 */
export async function openCheckpointer<S extends unknown[]>(
  options: Omit<CheckpointerOptions, 'topic'> & { groupId: string },
): Promise<Checkpointer<S> | undefined> {
  if (options.intervalMs <= 0) return undefined;
  if ((await options.bus.endOffsets(options.sourceTopic)).size === 0) {
    options.logger.warn({ topic: options.sourceTopic }, 'no partitions found: state is not checkpointed');
    return undefined;
  }
  const checkpointer = new Checkpointer<S>({ ...options, topic: `${options.sourceTopic}.state.${options.groupId}` });
  await checkpointer.open();
  return checkpointer;
}

export class Checkpointer<S extends unknown[]> {
  private store: PartitionCheckpoints<S> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Batches in progress, by partition; `ALL` for changes to every partition. */
  private readonly busy = new Map<number, number>();
  private readonly quietWaiters: Array<() => void> = [];
  /** Partitions whose state a checkpoint is copying, until it is done. */
  private readonly held = new Map<number, Promise<void>>();
  private readonly savedAt = new Map<number, number>();
  private readonly logger: Logger;

  constructor(private readonly options: CheckpointerOptions) {
    this.logger = options.logger;
  }

  async open(): Promise<void> {
    const sourcePartitions = (await this.options.bus.endOffsets(this.options.sourceTopic)).size;
    const store = new PartitionCheckpoints<S>({ ...this.options, sourcePartitions });
    await store.open();
    // Made when the source had fewer partitions (Kafka adds partitions, never removes them): the
    // newer partitions have nowhere to go, and every account may have moved anyway.
    const kept = (await this.options.bus.endOffsets(this.options.topic)).size;
    if (kept < sourcePartitions) {
      this.logger.error(
        { topic: this.options.topic, partitions: kept, sourcePartitions },
        `${this.options.topic} has ${kept} partitions for the ${sourcePartitions} of ${this.options.sourceTopic}: state is not checkpointed, and a restart replays the retained history. Delete the topic to have it made again.`,
      );
      await store.close();
      return;
    }
    this.store = store;
  }

  /** The partitions' newest checkpoints (none where there is none, or when they cannot be read: logged). */
  async load(partitions: number[]): Promise<Map<number, Checkpoint<S> | undefined>> {
    const store = this.store;
    try {
      return new Map(await Promise.all(partitions.map(async (p) => [p, await store?.load(p)] as const)));
    } catch (err) {
      this.logger.error({ err }, 'checkpoints could not be read; state is rebuilt from the retained history');
      return new Map();
    }
  }

  /**
   * Waits while a checkpoint copies `partition` (ALL: any partition), then marks work on it as in
   * progress until the returned call.
   */
  async enter(partition: number): Promise<() => void> {
    for (;;) {
      const copying = partition === ALL ? [...this.held.values()] : [this.held.get(partition)].filter((p) => !!p);
      if (copying.length === 0) return this.begin(partition);
      await Promise.all(copying);
    }
  }

  private begin(partition: number): () => void {
    this.busy.set(partition, (this.busy.get(partition) ?? 0) + 1);
    return () => {
      const left = (this.busy.get(partition) ?? 1) - 1;
      if (left > 0) this.busy.set(partition, left);
      else this.busy.delete(partition);
      // Waiters check again: a waiter continues before the next batch can start.
      for (const wake of this.quietWaiters.splice(0)) wake();
    };
  }

  /** Checkpoints the partitions that are due every `intervalMs`. */
  start(partitions: () => Iterable<[number, CheckpointedPartition<S>]>): void {
    if (!this.store || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.saveDue(partitions())
        .catch((err: unknown) =>
          this.logger.error({ err }, 'checkpoint failed; the next one is tried at the next interval'),
        )
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes the checkpoints of the partitions that changed (or whose last one is getting old). */
  async saveDue(partitions: Iterable<[number, CheckpointedPartition<S>]>, now = Date.now()): Promise<void> {
    const store = this.store;
    if (!store) return;
    const refresh = (this.options.retentionMs ?? store.retentionMs) / 4;
    // Read once, before any partition is copied: every copy below comes after them.
    let outputs: Record<string, Record<string, string>> | undefined;
    for (const [partition, state] of partitions) {
      if (!state.changed && now - (this.savedAt.get(partition) ?? 0) < refresh) continue;
      const started = Date.now();
      if (!outputs) {
        outputs = {};
        for (const topic of this.options.outputTopics)
          outputs[topic] = Object.fromEntries(await this.options.bus.endOffsets(topic));
      }
      await this.quiet(partition);
      if (state.next === undefined) continue;
      const offset = String(state.next);
      state.changed = false;
      let bytes: number;
      try {
        const json = await this.copy(partition, state.snapshot());
        bytes = await store.save(partition, { offset, outputs, json, writtenAt: now });
      } catch (err) {
        state.changed = true;
        throw err;
      }
      this.savedAt.set(partition, now);
      this.options.onSaved?.();
      this.logger.debug({ partition, offset, bytes, ms: Date.now() - started }, 'checkpoint written');
    }
  }

  /** Stops; with `partitions`, writes their due checkpoints first (a clean stop: the next start replays nothing). */
  async stop(partitions?: Iterable<[number, CheckpointedPartition<S>]>): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    if (partitions)
      await this.saveDue(partitions).catch((err: unknown) => this.logger.error({ err }, 'the last checkpoint failed'));
    await this.store?.close();
  }

  /** The items as a JSON array, made while `partition` is held (nothing changes it meanwhile). */
  private async copy(partition: number, items: S): Promise<string> {
    let done = () => {};
    this.held.set(partition, new Promise<void>((resolve) => (done = resolve)));
    try {
      const parts: string[] = [];
      for (let i = 0; i < items.length; i++) {
        parts.push(JSON.stringify(items[i]));
        if (i % SLICE === SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
      }
      return `[${parts.join(',')}]`;
    } finally {
      this.held.delete(partition);
      done();
    }
  }

  private async quiet(partition: number): Promise<void> {
    while (this.busy.has(partition) || this.busy.has(ALL))
      await new Promise<void>((resolve) => this.quietWaiters.push(resolve));
  }
}

/** begin(ALL): a change to every partition's state. */
export const ALL = -1;

/**
 * Replays a partition of `spec` from `from` (a checkpoint's offset, or 0) up to the group's
 * committed offset, handing each event to `apply` (undecodable ones went to the dead-letter topic
 * the first time round); the events replayed and the offset the state now reflects.
 */
export async function replayToCommit<T>(
  bus: Bus,
  groupId: string,
  spec: TopicSpec<T>,
  partition: number,
  from: bigint,
  apply: (event: T) => void,
): Promise<{ replayed: number; next: bigint }> {
  const stored = (await bus.committedOffsets(groupId, spec.name)).get(partition);
  const committed = stored === undefined || BigInt(stored) < 0n ? 0n : BigInt(stored);
  if (committed <= from) return { replayed: 0, next: from };
  let replayed = 0;
  for await (const batch of bus.readPartition(spec.name, partition, { from: String(from), to: String(committed) }))
    for (const record of batch) {
      let event: T;
      try {
        event = spec.codec.decode(record.value);
      } catch {
        continue;
      }
      apply(event);
      replayed++;
    }
  return { replayed, next: committed };
}
