// One message to one channel, tried again while trying can help: a refused request (bad URL, wrong
// token) is given up at once, a timeout, a 5xx or a 429 waits (doubling, or as long as the receiver
// asked) and tries again. Both notifiers send through this.
import type { Logger } from '../core/logger.ts';
import type { Channel } from './channels.ts';
import type { WebPushStore } from './web-push.ts';
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
  templates: { title: string; body: string; html?: string } | undefined,
  retry: RetryPolicy | undefined,
  logger: Logger,
  push?: WebPushStore,
): Promise<SendOutcome> {
  const { attempts, baseMs } = retry ?? { attempts: 6, baseMs: 1000 };
  let error = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await deliver(channel, context, templates, push);
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
  return { status: 'FAILED', attempts, error };
}
