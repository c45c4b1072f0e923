import { sleep } from './retry.ts';
import { backoffMs } from './types.ts';

/** The broker's answers that kafkajs itself takes for stale metadata (its protocol/error.js). */
const STALE_METADATA = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

function isStaleMetadata(err: unknown): boolean {
  return typeof err === 'object' && err !== null && STALE_METADATA.has(String((err as { type?: unknown }).type));
}

/**
 * Runs an admin read again while the broker answers that the client's metadata is stale. kafkajs's
 * producers and consumers refresh their metadata on such an answer, but its admin's offset reads
 * give up at once: a topic made a moment before, whose leadership the broker was still taking up,
 * failed a test on a busy machine with "This server is not the leader for that topic-partition".
 * `renew` replaces the admin client, whose cached metadata the admin offers no way to refresh.
 */
export async function retryStaleMetadata<T>(
  read: () => Promise<T>,
  renew: () => Promise<void>,
  opts: { attempts?: number; baseMs?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts || !isStaleMetadata(err)) throw err;
      await renew();
      await sleep(backoffMs(attempt - 1, opts.baseMs ?? 200, 2000));
    }
  }
}
