// One message to one channel, tried again while trying can help: a refused request (bad URL, wrong
// token) is given up at once, a timeout, a 5xx or a 429 waits (doubling, or as long as the receiver
// asked) and tries again. Every notifier sends through this. A channel whose last message failed
// gets one attempt a message until one gets through (channel-health.ts).
import type { Logger } from '../core/logger.ts';
import type { Channel } from './channels.ts';
import type { WebPushStore } from './web-push.ts';
import type { ChannelHealth } from './channel-health.ts';
import { deliver, DeliveryError } from './senders.ts';
import type { AlertContext } from './templates.ts';

/** Attempts per delivery and the first wait between them (doubling). */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
}

export interface SendOutcome {
  status: 'SENT' | 'FAILED';
  attempts: number;
  error: string;
}

export async function sendWithRetry(
  channel: Channel,
  context: AlertContext,
  templates: Parameters<typeof deliver>[2],
  retry: RetryPolicy | undefined,
  logger: Logger,
  via: { push?: WebPushStore; health?: ChannelHealth } = {},
): Promise<SendOutcome> {
  const policy = retry ?? { attempts: 6, baseMs: 1000 };
  const failingSince = via.health?.failingSince(channel.id);
  const { attempts, baseMs } = failingSince === undefined ? policy : { ...policy, attempts: 1 };
  let error = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await deliver(channel, context, templates, via.push);
      via.health?.record(channel.id, true);
      return { status: 'SENT', attempts: attempt, error: '' };
    } catch (err) {
      error = (err as Error).message;
      const retryable = err instanceof DeliveryError ? err.retryable : true;
      logger.warn(
        { channel: channel.name, type: channel.type, id: context.violationId, attempt, retryable, err: error },
        'alert not delivered',
      );
      if (!retryable || attempt === attempts) break;
      const wait =
        err instanceof DeliveryError && err.retryAfterS ? err.retryAfterS * 1000 : baseMs * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
    }
  }
  logger.error(
    { channel: channel.name, type: channel.type, id: context.violationId, err: error },
    'alert given up; shown as failed in the dashboard',
  );
  if (via.health?.record(channel.id, false))
    logger.warn(
      { channel: channel.name, type: channel.type },
      'channel failing: one attempt a message until one gets through, so the other channels are not held up',
    );
  return { status: 'FAILED', attempts, error };
}
