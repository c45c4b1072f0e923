// Authentication of every /api route (and, later, the WebSocket): a session cookie from the login
// form, or `Authorization: Bearer sw_...` for scripts. Only setup and login are open.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStore } from './store.ts';

export const SESSION_COOKIE = 'sw_session';

const OPEN = new Set(['GET /api/v1/setup', 'POST /api/v1/setup', 'POST /api/v1/auth/login']);

declare module 'fastify' {
  interface FastifyRequest {
    user: string | null;
  }
}

export function requireAuth(app: FastifyInstance, store: AuthStore): void {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    if ((!path.startsWith('/api/') && path !== '/metrics') || OPEN.has(`${request.method} ${path}`)) return;
    const header = request.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const cookie = request.cookies[SESSION_COOKIE];
    request.user = bearer ? await store.tokenUser(bearer) : cookie ? await store.sessionUser(cookie) : null;
    if (!request.user) {
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'Sign in, or send an API token as "Authorization: Bearer sw_...".' });
    }
  });
}
