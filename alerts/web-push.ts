// Web push: a signed-in dashboard user subscribes a browser (the dashboard's service worker shows
// what arrives), and a `webpush` channel sends to the browsers of the users it names. The install
// has one VAPID key pair, made the first time it is needed, its private half sealed like every
// secret; subscriptions are sealed too (the endpoint is a capability, the keys decrypt).
// `web-push` encrypts (RFC 8291, aes128gcm) and signs (RFC 8292); the request itself goes through
// fetch with a timeout and no redirects, as every other channel's does, so a push service's
// answer is classified the same way.
import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { AppError } from '../core/errors.ts';
import type { SecretBox } from '../core/secret-box.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';

const KEYS_DOCUMENT = 'web-push-keys';
const SUBSCRIPTIONS_DOCUMENT = 'web-push-subscriptions';
/** Browsers kept per user; the oldest goes when a user subscribes one more. */
const PER_USER = 20;
/** How long a push service keeps a message for a browser that is offline. */
const TTL_S = 24 * 3600;

export interface PushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** What a user sees of their subscribed browsers: never the endpoint or keys. */
export interface PublicPushSubscription {
  id: string;
  label: string;
  /** The push service (fcm.googleapis.com, updates.push.services.mozilla.com...). */
  service: string;
  createdAt: string;
}

interface StoredSubscription extends PublicPushSubscription {
  user: string;
  sealed: string;
}

interface StoredKeys {
  publicKey: string;
  sealedPrivateKey: string;
}

/** What the service worker shows: `tag` replaces an earlier notification with the same tag. */
export interface PushMessage {
  title: string;
  body: string;
  tag: string;
  url: string;
  urgent: boolean;
}

export interface PushOutcome {
  sent: number;
  /** Browsers the push service no longer knows (404/410): their subscriptions are removed. */
  expired: number;
  failures: Array<{ service: string; error: string; retryable: boolean }>;
}

class PushSubscriptionError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

const base64url = (value: string, bytes: number, what: string): void => {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value) || Buffer.from(value, 'base64url').length !== bytes)
    throw new PushSubscriptionError(`keys.${what} must be ${bytes} bytes in base64url`);
};

/**
 * A push service is reached over HTTPS; plain HTTP only on this machine (a push service the
 * operator runs beside the app, or a test's).
 */
function checkEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PushSubscriptionError('endpoint must be a URL');
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new PushSubscriptionError('endpoint must be an https: URL (a push service)');
  if (url.username || url.password) throw new PushSubscriptionError('endpoint must not hold a user name or password');
  return url;
}

function validateSubscription(input: PushSubscriptionInput): void {
  if (typeof input?.endpoint !== 'string' || input.endpoint.length > 2048)
    throw new PushSubscriptionError('endpoint must be a URL of at most 2048 characters');
  checkEndpoint(input.endpoint);
  base64url(input.keys?.p256dh ?? '', 65, 'p256dh');
  if (Buffer.from(input.keys.p256dh, 'base64url')[0] !== 0x04)
    throw new PushSubscriptionError('keys.p256dh must be an uncompressed P-256 point');
  base64url(input.keys?.auth ?? '', 16, 'auth');
}

export class WebPushStore {
  constructor(
    private readonly deps: {
      documents: ConfigDocuments;
      secrets: SecretBox;
      /** Who sends, for push services to contact (RFC 8292): an https: URL or a mailto:. */
      subject?: string;
    },
  ) {}

  /** The install's public key, which a browser needs to subscribe; made on first use. */
  async publicKey(): Promise<string> {
    return (await this.keys()).publicKey;
  }

  private async keys(): Promise<{ publicKey: string; privateKey: string }> {
    let stored = (await this.deps.documents.get<StoredKeys>(KEYS_DOCUMENT))?.body;
    if (!stored) {
      const made = webpush.generateVAPIDKeys();
      const candidate = { publicKey: made.publicKey, sealedPrivateKey: this.deps.secrets.seal(made.privateKey) };
      // Two processes asking at once: the first saved pair wins, the other reads it back.
      await this.deps.documents.update<StoredKeys>(KEYS_DOCUMENT, 'system', (body) => (body ? null : candidate));
      stored = (await this.deps.documents.get<StoredKeys>(KEYS_DOCUMENT))!.body;
    }
    return { publicKey: stored.publicKey, privateKey: this.deps.secrets.open(stored.sealedPrivateKey) };
  }

  /** Adds a browser for `user`; subscribing the same endpoint again replaces it. */
  async subscribe(user: string, input: PushSubscriptionInput, label: string): Promise<PublicPushSubscription> {
    validateSubscription(input);
    const entry: StoredSubscription = {
      id: randomUUID(),
      user,
      label: label.slice(0, 100) || 'A browser',
      service: new URL(input.endpoint).host,
      createdAt: new Date().toISOString(),
      sealed: this.deps.secrets.seal(JSON.stringify({ endpoint: input.endpoint, keys: input.keys })),
    };
    await this.deps.documents.update<StoredSubscription[]>(SUBSCRIPTIONS_DOCUMENT, user, (body = []) => {
      const others = body.filter((s) => s.user !== user || this.open(s).endpoint !== input.endpoint);
      const mine = others.filter((s) => s.user === user);
      const drop = new Set(mine.slice(0, Math.max(0, mine.length - (PER_USER - 1))).map((s) => s.id));
      return [...others.filter((s) => !drop.has(s.id)), entry];
    });
    return toPublic(entry);
  }

  async list(user: string): Promise<PublicPushSubscription[]> {
    return (await this.stored()).filter((s) => s.user === user).map(toPublic);
  }

  /** Removes one of `user`'s browsers. */
  async unsubscribe(user: string, id: string): Promise<boolean> {
    let removed = false;
    await this.deps.documents.update<StoredSubscription[]>(SUBSCRIPTIONS_DOCUMENT, user, (body = []) => {
      const kept = body.filter((s) => s.user !== user || s.id !== id);
      removed = kept.length < body.length;
      return removed ? kept : null;
    });
    return removed;
  }

  /** Forgets every browser of a dashboard user who is removed: they hear nothing more. */
  async forgetUser(user: string): Promise<void> {
    await this.deps.documents.update<StoredSubscription[]>(SUBSCRIPTIONS_DOCUMENT, 'system', (body = []) =>
      body.some((s) => s.user === user) ? body.filter((s) => s.user !== user) : null,
    );
  }

  /** Sends to every browser of `users` (empty: of every user). */
  async send(users: string[], message: PushMessage): Promise<PushOutcome> {
    const targets = (await this.stored()).filter((s) => users.length === 0 || users.includes(s.user));
    const outcome: PushOutcome = { sent: 0, expired: 0, failures: [] };
    if (targets.length === 0) return outcome;
    const { publicKey, privateKey } = await this.keys();
    const gone: string[] = [];
    await Promise.all(
      targets.map(async (target) => {
        const subscription = this.open(target);
        const request = webpush.generateRequestDetails(subscription, JSON.stringify(message), {
          vapidDetails: { subject: this.deps.subject ?? 'mailto:streamwarden@localhost', publicKey, privateKey },
          TTL: TTL_S,
          urgency: message.urgent ? 'high' : 'normal',
          contentEncoding: 'aes128gcm',
        });
        // fetch sets the length itself and refuses a caller's.
        const headers = Object.fromEntries(
          Object.entries(request.headers)
            .filter(([k]) => k.toLowerCase() !== 'content-length')
            .map(([k, v]) => [k, String(v)]),
        );
        try {
          const response = await fetch(request.endpoint, {
            method: 'POST',
            headers,
            body: request.body ? new Uint8Array(request.body) : undefined,
            signal: AbortSignal.timeout(15_000),
            redirect: 'error',
          });
          if (response.ok) return void outcome.sent++;
          if (response.status === 404 || response.status === 410) return void gone.push(target.id);
          const detail = (await response.text().catch(() => '')).slice(0, 200);
          outcome.failures.push({
            service: target.service,
            error: `${target.service} answered ${response.status}${detail ? `: ${detail}` : ''}`,
            retryable: response.status === 429 || response.status >= 500,
          });
        } catch (err) {
          const cause = (err as Error).cause ? String((err as Error).cause) : (err as Error).message;
          outcome.failures.push({ service: target.service, error: `${target.service}: ${cause}`, retryable: true });
        }
      }),
    );
    if (gone.length > 0) {
      outcome.expired = gone.length;
      await this.deps.documents.update<StoredSubscription[]>(SUBSCRIPTIONS_DOCUMENT, 'system', (body = []) =>
        body.filter((s) => !gone.includes(s.id)),
      );
    }
    return outcome;
  }

  private async stored(): Promise<StoredSubscription[]> {
    return (await this.deps.documents.get<StoredSubscription[]>(SUBSCRIPTIONS_DOCUMENT))?.body ?? [];
  }

  private open(stored: StoredSubscription): PushSubscriptionInput {
    return JSON.parse(this.deps.secrets.open(stored.sealed)) as PushSubscriptionInput;
  }
}

function toPublic({ id, label, service, createdAt }: StoredSubscription): PublicPushSubscription {
  return { id, label, service, createdAt };
}
