// The ids of the findings a stage has published, so that a batch processed again (after a crash,
// a rebalance or rewound commits) publishes nothing twice. At a partition's assignment the stage
// reads them back from its output topics, which hold the bus's retention (7 days by default): a
// stage that runs for months forgets, as it goes, the ids a restart would no longer find either,
// so the set holds about a retention's worth of findings however long the process lives.

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
