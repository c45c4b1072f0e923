// First-run setup, sign-in and sign-out.
import type {} from '@fastify/cookie';
import type {} from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { PUBLIC, SESSION_COOKIE } from '../auth/plugin.ts';
import type { AuthStore } from '../auth/store.ts';
import { AppError } from '../../core/errors.ts';
import { AttemptThrottle } from '../auth/throttle.ts';

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\s]+$' },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

export interface AuthRouteOptions {
  store: AuthStore;
  /** Mark the cookie Secure (behind HTTPS). */
  secureCookies: boolean;
  /** Login attempts per client address per minute, and per user name per minute. */
  loginAttemptsPerMinute: number;
}

export async function authRoutes(
  app: FastifyInstance,
  { store, secureCookies, loginAttemptsPerMinute }: AuthRouteOptions,
): Promise<void> {
  // Setups of this process one after the other; createFirstAdmin settles races between processes.
  let setupQueue: Promise<unknown> = Promise.resolve();
  const perUser = new AttemptThrottle(loginAttemptsPerMinute, 60_000);

  app.get('/api/v1/setup', PUBLIC, async () => ({ needsSetup: !(await store.hasAdmin()) }));

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/setup',
    {
      ...PUBLIC,
      schema: {
        body: {
          ...credentials,
          properties: { ...credentials.properties, password: { type: 'string', minLength: 10, maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      // One setup at a time; after the first, setup is closed for good.
      const attempt = setupQueue.then(() => store.createFirstAdmin(request.body.username, request.body.password));
      // The queue only orders setups; each caller gets its own attempt's error.
      setupQueue = attempt.catch(() => undefined);
      // Busy password hashing is refused as unavailable, with a time to try again.
      if (!(await attempt)) throw new AppError('conflict', 'Streamwarden is already set up: sign in instead.');
      return reply.code(201).send({ username: request.body.username });
    },
  );

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/auth/login',
    {
      schema: { body: credentials },
      config: { public: true, rateLimit: { max: loginAttemptsPerMinute, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      // Per name as well as per address: guessing one account from many addresses is limited too.
      const waitMs = perUser.hit(request.body.username.toLowerCase());
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        throw new AppError('rate-limited', `Too many sign-in attempts for this user: try again in ${seconds} s.`, {
          retryAfterS: seconds,
        });
      }
      const username = await store.checkPassword(request.body.username, request.body.password);
      if (!username) throw new AppError('unauthorized', 'Wrong user name or password.');
      const session = await store.createSession(username);
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        path: '/',
        expires: new Date(session.expiresAt),
      });
      return { username };
    },
  );

  app.post('/api/v1/auth/logout', async (request, reply) => {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) await store.revokeSession(cookie);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { signedOut: true };
  });

  app.get('/api/v1/auth/me', async (request) => ({ username: request.user }));
}
