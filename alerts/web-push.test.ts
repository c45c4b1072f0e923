// Web push over real HTTP: dashboard users subscribe browsers through the API (keys a browser
// would make), a webpush channel's test and a finding reach a push service on 127.0.0.1 that
// checks the VAPID signature and decrypts each message per RFC 8291 with node:crypto alone. A
// browser that has left (410) is forgotten, a removed dashboard user's browsers hear nothing more,
// and a subscription that is not one is refused with its reason.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/app.ts';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn, signIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { LocalPushService } from '../testing/push-service.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import type { Configuration } from '../api/configuration.ts';
import { sendWithRetry } from './retry.ts';
import { sampleAlert } from './sample.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let configuration: Configuration;
let app: FastifyInstance;
let base: string;
const cookies: Record<string, string> = {};
const push = new LocalPushService(() => configuration.channels.push.publicKey());

async function call(method: string, path: string, cookie: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  configuration = testConfiguration(warehouse);
  app = await buildApi({ warehouse, logger, configuration, clientId: 'web-push-test' });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookies.owner = await setupAndSignIn(base);
  for (const [username, role] of [
    ['vera', 'viewer'],
    ['adam', 'admin'],
  ] as const) {
    const made = await call('POST', '/api/v1/dashboard-users', cookies.owner, {
      username,
      password: 'a long enough password',
      role,
    });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    cookies[username] = await signIn(base, username, 'a long enough password');
  }
  await push.start();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await push.stop();
  configuration?.close();
  await warehouse?.drop();
});

describe('web push', () => {
  it(
    "delivers encrypted, signed messages to the named users' browsers, once each, and forgets those that left",
    { timeout: 60_000 },
    async () => {
      const key = await call('GET', '/api/v1/notifications/push/key', cookies.vera!);
      expect(key.status).toBe(200);
      expect(Buffer.from(key.json.publicKey as string, 'base64url')).toHaveLength(65);
      // The same key for everyone, every time: browsers subscribed with it stay valid.
      expect((await call('GET', '/api/v1/notifications/push/key', cookies.adam!)).json).toEqual(key.json);

      const phone = push.browser('vera-phone');
      const laptop = push.browser('vera-laptop');
      const adams = push.browser('adam-desk');
      for (const [who, browser, label] of [
        ['vera', phone, 'Phone'],
        ['vera', laptop, undefined],
        ['adam', adams, 'Desk'],
      ] as const) {
        const made = await call('POST', '/api/v1/notifications/push/subscriptions', cookies[who]!, {
          ...browser.subscription,
          expirationTime: null,
          ...(label ? { label } : {}),
        });
        expect(made.status, JSON.stringify(made.json)).toBe(201);
      }
      // Subscribing the same browser again replaces it.
      await call('POST', '/api/v1/notifications/push/subscriptions', cookies.vera!, {
        ...phone.subscription,
        label: 'Phone',
      });
      const mine = (await call('GET', '/api/v1/notifications/push/subscriptions', cookies.vera!)).json
        .subscriptions as Array<{ id: string; label: string; service: string }>;
      expect(mine.map((s) => s.label).sort()).toEqual(['A browser', 'Phone'].sort());
      expect(mine[0]!.service).toBe(new URL(push.origin).host);
      expect(JSON.stringify(mine)).not.toContain(phone.subscription.keys.auth);

      // A viewer may subscribe but not make channels.
      const channelBody = { name: 'Vera and Adam', type: 'webpush', settings: { users: ['vera', 'adam'] } };
      expect((await call('POST', '/api/v1/notifications/channels', cookies.vera!, channelBody)).status).toBe(403);
      const channel = await call('POST', '/api/v1/notifications/channels', cookies.owner!, channelBody);
      expect(channel.status, JSON.stringify(channel.json)).toBe(201);
      const onlyVera = await call('POST', '/api/v1/notifications/channels', cookies.owner!, {
        name: 'Vera',
        type: 'webpush',
        settings: { users: ['vera'] },
      });

      const tested = await call(
        'POST',
        `/api/v1/notifications/channels/${channel.json.id as string}/test`,
        cookies.owner!,
      );
      expect(tested.json).toEqual({ ok: true });
      expect(push.refused).toEqual([]);
      expect(push.received.map((r) => r.path).sort()).toEqual(
        ['/push/adam-desk', '/push/vera-laptop', '/push/vera-phone'].sort(),
      );
      const first = push.received[0]!;
      // The sample finding is HIGH: an urgent push.
      expect(first.message).toMatchObject({ url: '/violations', urgent: true });
      expect(first.urgency).toBe('high');
      expect(first.message.body).toContain('This is a test alert from Streamwarden');
      expect(first.ttl).toBe('86400');
      expect(first.subject).toBe('mailto:streamwarden@localhost');

      // A finding through the notifiers' path: a LOW one is no urgent push; one browser has left meanwhile.
      push.gone('vera-laptop');
      push.received.length = 0;
      const channels = await configuration.channels.list();
      const vera = channels.find((c) => c.id === onlyVera.json.id)!;
      const alert = { ...sampleAlert(Date.now()), severity: 'LOW', violationId: 'v-1' };
      const outcome = await sendWithRetry(vera, alert, undefined, { attempts: 1, baseMs: 1 }, logger, {
        push: configuration.channels.push,
      });
      expect(outcome.status).toBe('SENT');
      expect(push.received.map((r) => [r.path, r.urgency, r.message.tag])).toEqual([
        ['/push/vera-phone', 'normal', 'v-1'],
      ]);
      expect(
        ((await call('GET', '/api/v1/notifications/push/subscriptions', cookies.vera!)).json.subscriptions as unknown[])
          .length,
      ).toBe(1);

      // Removing a browser by hand, and a dashboard user with theirs.
      const [phoneEntry] = (await call('GET', '/api/v1/notifications/push/subscriptions', cookies.vera!)).json
        .subscriptions as Array<{ id: string }>;
      expect(
        (await call('DELETE', `/api/v1/notifications/push/subscriptions/${phoneEntry!.id}`, cookies.adam!)).status,
      ).toBe(404);
      expect(
        (await call('DELETE', `/api/v1/notifications/push/subscriptions/${phoneEntry!.id}`, cookies.vera!)).status,
      ).toBe(200);
      expect((await call('DELETE', '/api/v1/dashboard-users/adam', cookies.owner!)).status).toBe(200);
      push.received.length = 0;
      const none = await call(
        'POST',
        `/api/v1/notifications/channels/${channel.json.id as string}/test`,
        cookies.owner!,
      );
      expect(none.json).toEqual({ ok: false, error: 'web push: no browser is subscribed by vera, adam' });
      expect(push.received).toEqual([]);
    },
  );

  it('refuses what is not a browser subscription, saying what is wrong', async () => {
    const good = push.browser('checks').subscription;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, endpoint: 'http://push.example.org/x' }, /endpoint must be an https: URL/],
      [{ ...good, endpoint: 'https://user:pw@push.example.org/x' }, /must not hold a user name/],
      [{ ...good, keys: { ...good.keys, p256dh: good.keys.auth } }, /keys.p256dh must be 65 bytes/],
      [{ ...good, keys: { ...good.keys, auth: 'short' } }, /keys.auth must be 16 bytes/],
      [{ ...good, extra: 1 }, /unknown field .*extra/],
    ];
    for (const [body, reason] of cases) {
      const answer = await call('POST', '/api/v1/notifications/push/subscriptions', cookies.vera!, body);
      expect(answer.status, JSON.stringify(answer.json)).toBe(400);
      expect(JSON.stringify(answer.json)).toMatch(reason);
    }
    expect((await call('GET', '/api/v1/notifications/push/key', '')).status).toBe(401);
  });
});
