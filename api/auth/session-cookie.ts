// The session cookie set once someone is signed in, whichever way (password, OIDC, Plex).
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './plugin.ts';
import type { AuthStore } from './store.ts';

/** Opens a dashboard session for a signed-in user: HttpOnly, SameSite=Strict, Secure behind HTTPS. */
export async function signedIn(
  store: AuthStore,
  request: FastifyRequest,
  reply: FastifyReply,
  username: string,
  secureCookies: boolean,
): Promise<void> {
  const session = await store.createSession(username, {
    userAgent: request.headers['user-agent'] ?? '',
    clientIp: request.ip,
  });
  reply.setCookie(SESSION_COOKIE, session.id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: secureCookies,
    path: '/',
    expires: new Date(session.expiresAt),
  });
}
