import type { Logger } from '../core/logger.ts';
import { backoffMs } from './types.ts';

/**
 * Runs one batch handler until it succeeds. A failure is retried with backoff rather than skipped,
 * because skipping would lose the batch and moving on would break per-key order. Returns false if
 * the consumer stopped before the handler succeeded (the batch is then left uncommitted).
 */
export async function handleUntilDone(
  run: () => Promise<void>,
  opts: { isRunning: () => boolean; logger: Logger; what: string; heartbeat?: () => Promise<void> },
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (!opts.isRunning()) return false;
    try {
      await run();
      if (attempt > 0) opts.logger.info({ what: opts.what, attempts: attempt + 1 }, 'batch handled after retries');
      return true;
    } catch (err) {
      const wait = backoffMs(attempt);
      opts.logger.error(
        { err, what: opts.what, attempt: attempt + 1, retryInMs: wait },
        'batch handler failed; retrying',
      );
      const until = Date.now() + wait;
      while (Date.now() < until && opts.isRunning()) {
        await sleep(Math.min(1000, until - Date.now()));
        // A missed heartbeat shows as a rebalance, which the consumer handles; the wait goes on.
        await opts.heartbeat?.().catch(() => undefined);
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
