/** How full a cache or in-memory state is, for /metrics: entries held, and the most it may hold. */
export interface CacheSize {
  cache: string;
  entries: number;
  /** Absent where the bound is not a count (plays forgotten when stale, ids of the retained topics). */
  limit?: number;
}
