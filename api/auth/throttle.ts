// Counts attempts per key (a user name) in fixed windows. The per-address limit of
// @fastify/rate-limit cannot stop guessing spread over many addresses; this one can. Bounded in
// memory: the oldest keys are forgotten first when it is full.
export class AttemptThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one attempt; the ms to wait when over the limit, else 0. */
  hit(key: string, now = Date.now()): number {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > this.max ? window.resetAt - now : 0;
  }
}
