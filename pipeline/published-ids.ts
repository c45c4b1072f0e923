// The ids of the findings a stage has published, so that a batch processed again (after a crash,
// a rebalance or rewound commits) publishes nothing twice. At a partition's assignment the stage
// reads them back from its output topics, which hold the bus's retention (7 days by default): a
// stage that runs for months forgets, as it goes, the ids a restart would no longer find either,
// so the set holds about a retention's worth of findings however long the process lives.

import type { Bus } from '../bus/types.ts';
import type { TopicSpec } from '../schemas/index.ts';

/** The bus's default retention (bus/embedded/embedded-bus.ts; Kafka and Redpanda's default too). */
const DEFAULT_PUBLISHED_HORIZON_MS = 7 * 86_400_000;

export class PublishedIds {
  /** Id -> when the finding happened; Map keeps them in insertion order, which is roughly time. */
  private readonly ids = new Map<string, number>();
  private newest = Number.NEGATIVE_INFINITY;
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** How long after the newest finding an older one is still remembered. */
    private readonly horizonMs = DEFAULT_PUBLISHED_HORIZON_MS,
  ) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers `id`, published for a finding of time `at` (ms). */
  add(id: string, at: number): void {
    this.ids.set(id, at);
    if (at > this.newest) this.newest = at;
    // Ids become old only as newer findings come: a sweep (one look at every id) each time the
    // newest has moved on by an eighth of the horizon keeps at most 9/8 of it.
    if (this.newest - this.sweptAt >= this.horizonMs / 8) this.sweep();
  }

  get size(): number {
    return this.ids.size;
  }

  /** Forgets the ids of findings older than the horizon before the newest one. */
  private sweep(): void {
    this.sweptAt = this.newest;
    const before = this.newest - this.horizonMs;
    for (const [id, at] of this.ids) if (at < before) this.ids.delete(id);
  }
}

/** Where to read each output topic from (topic -> partition -> offset). */
export type PublishedSince = Map<string, Map<number, string>>;

/**
 * Reads the findings that are `ours` in an output topic (every partition: an account's findings
 * keep to one, but the topic may be partitioned otherwise) from `since`, else from the oldest
 * record, and hands each to `add`.
 */
export async function readPublishedIds<T>(
  bus: Bus,
  spec: TopicSpec<T>,
  ours: (finding: T) => boolean,
  since: PublishedSince | undefined,
  add: (finding: T) => void,
): Promise<void> {
  for (const p of (await bus.endOffsets(spec.name)).keys()) {
    const from = since ? (since.get(spec.name)?.get(p) ?? '0') : undefined;
    for await (const batch of bus.readPartition(spec.name, p, { from })) {
      for (const record of batch) {
        let finding: T;
        try {
          finding = spec.codec.decode(record.value);
        } catch {
          continue; // not ours to judge: the output topic's consumers dead-letter it
        }
        if (ours(finding)) add(finding);
      }
    }
  }
}

/**
 * Where the output topics need reading from for the findings published after these partitions'
 * checkpoints: the oldest of the ends they recorded; undefined (everything) when one has none.
 */
export function publishedSince(
  checkpoints: ReadonlyArray<{ outputs: Record<string, Record<string, string>> } | undefined>,
): PublishedSince | undefined {
  const since: PublishedSince = new Map();
  for (const checkpoint of checkpoints) {
    if (!checkpoint) return undefined;
    for (const [topic, ends] of Object.entries(checkpoint.outputs)) {
      const oldest = since.get(topic) ?? new Map<number, string>();
      since.set(topic, oldest);
      for (const [partition, offset] of Object.entries(ends)) {
        const known = oldest.get(Number(partition));
        if (known === undefined || BigInt(offset) < BigInt(known)) oldest.set(Number(partition), offset);
      }
    }
  }
  return since;
}
