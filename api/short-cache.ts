// Answers kept a few seconds, keyed by what was asked: a dashboard open on ten screens, or ten
// panels asking at once, costs the warehouse one query per question rather than one per request.
// Requests for a key whose answer is still being read wait for that read (one query in flight).
// Failures are never kept.

export class ShortCache<T> {
  private readonly entries = new Map<string, { until: number; value: Promise<T> }>();

  /** `ttlMs` 0 keeps nothing (every request reads); `maxEntries` bounds memory, oldest out first. */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get limit(): number {
    return this.maxEntries;
  }

  read(key: string, load: () => Promise<T>, now = Date.now()): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const kept = this.entries.get(key);
    if (kept && kept.until > now) return kept.value;
    if (kept) this.entries.delete(key);
    const value = load();
    this.entries.set(key, { until: now + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

/** A stable key for a query string's values: the same question asked with its fields in any order. */
export function queryKey(route: string, query: object): string {
  const fields = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${route}?${JSON.stringify(fields)}`;
}
