// Web push for the signed-in user: the install's public key, and the browsers they subscribed
// (add, list, remove). Any signed-in role may subscribe its own browsers; which channels send to
// them is an admin's choice (a `webpush` channel names users, or none for all).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { WebPushStore } from '../../alerts/web-push.ts';
import { can } from '../auth/plugin.ts';
import {
  errors,
  PushKey,
  PushSubscribeBody,
  PushSubscription,
  PushSubscriptions,
  Removed,
  type PushSubscribeInput,
} from '../contract.ts';

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

export async function pushRoutes(app: FastifyInstance, { push }: { push: WebPushStore }): Promise<void> {
  app.get(
    '/api/v1/notifications/push/key',
    { ...can('view'), schema: { response: { 200: PushKey, ...errors } } },
    async () => ({ publicKey: await push.publicKey() }),
  );

  app.get(
    '/api/v1/notifications/push/subscriptions',
    { ...can('view'), schema: { response: { 200: PushSubscriptions, ...errors } } },
    async (request) => ({ subscriptions: await push.list(request.user!) }),
  );

  app.post<{ Body: PushSubscribeInput }>(
    '/api/v1/notifications/push/subscriptions',
    {
      ...can('view', 'push.subscribe'),
      schema: { body: PushSubscribeBody, response: { 201: PushSubscription, ...errors } },
    },
    async (request, reply) => {
      const { endpoint, keys, label } = request.body;
      const agent = request.headers['user-agent'] ?? '';
      const subscription = await push.subscribe(request.user!, { endpoint, keys }, label ?? browserName(agent));
      return reply.code(201).send(subscription);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/notifications/push/subscriptions/:id',
    {
      ...can('view', 'push.unsubscribe'),
      schema: { params: idParam, response: { 200: Removed, ...errors } },
    },
    async (request) => {
      if (!(await push.unsubscribe(request.user!, request.params.id)))
        throw new AppError('not-found', 'No such browser among yours.');
      return { removed: request.params.id };
    },
  );
}

/** "Chrome on Android" from a user agent, for telling one's browsers apart; rough by design. */
function browserName(agent: string): string {
  const browser = /Edg\//.test(agent)
    ? 'Edge'
    : /Firefox\//.test(agent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : 'A browser';
  const system = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Mac OS X/.test(agent)
        ? 'macOS'
        : /Windows/.test(agent)
          ? 'Windows'
          : /Linux/.test(agent)
            ? 'Linux'
            : '';
  return system ? `${browser} on ${system}` : browser;
}
