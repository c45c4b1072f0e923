// First-run setup, sign-in and sign-out, and what a signed-in user manages of their own: their
// password and their sessions.
import type {} from '@fastify/cookie';
import type {} from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { can, PUBLIC, SESSION_COOKIE } from '../auth/plugin.ts';
import type { AuthStore, SessionInfo } from '../auth/store.ts';
import { errors, Me, PasswordChanged, Revoked, SetupState, SignedOut, SignInSessions, Username } from '../contract.ts';
import { AppError } from '../../core/errors.ts';
import { AttemptThrottle } from '../auth/throttle.ts';
import { signedIn } from '../auth/session-cookie.ts';

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\s]+$' },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

/** Passwords chosen here: long enough to resist guessing at scrypt's cost. */
export const NEW_PASSWORD = { type: 'string', minLength: 10, maxLength: 1024 } as const;
const SESSION_ID = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
} as const;

export interface AuthRouteOptions {
  store: AuthStore;
  /** Mark the cookie Secure (behind HTTPS). */
  secureCookies: boolean;
  /** Login attempts per client address per minute, and per user name per minute. */
  loginAttemptsPerMinute: number;
  /** False when only an outside provider signs people in (OIDC only). */
  passwordSignIn: boolean;
}

export async function authRoutes(
  app: FastifyInstance,
  { store, secureCookies, loginAttemptsPerMinute, passwordSignIn }: AuthRouteOptions,
): Promise<void> {
  // Setups of this process one after the other; createFirstAdmin settles races between processes.
  let setupQueue: Promise<unknown> = Promise.resolve();
  const perUser = new AttemptThrottle(loginAttemptsPerMinute, 60_000);

  app.get('/api/v1/setup', { ...PUBLIC, schema: { response: { 200: SetupState, ...errors } } }, async () => ({
    needsSetup: !(await store.hasAdmin()),
  }));

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/setup',
    {
      config: { public: true, audit: 'auth.setup' },
      schema: {
        body: {
          ...credentials,
          properties: { ...credentials.properties, password: NEW_PASSWORD },
        },
        response: { 201: Username, ...errors },
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
      schema: { body: credentials, response: { 200: Username, ...errors } },
      config: { public: true, audit: 'auth.login', rateLimit: { max: loginAttemptsPerMinute, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      if (!passwordSignIn)
        throw new AppError(
          'forbidden',
          'Signing in with a password is off here: use the sign-in button of your provider.',
        );
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
      request.user = username;
      await signedIn(store, request, reply, username, secureCookies);
      return { username };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { ...can('view', 'auth.logout'), schema: { response: { 200: SignedOut, ...errors } } },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await store.revokeSession(cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { signedOut: true };
    },
  );

  app.get('/api/v1/auth/me', { ...can('view'), schema: { response: { 200: Me, ...errors } } }, async (request) => ({
    username: request.identity!.username,
    role: request.identity!.role,
    via: request.identity!.via,
  }));

  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/api/v1/auth/password',
    {
      config: {
        permission: 'view',
        audit: 'auth.password-change',
        rateLimit: { max: loginAttemptsPerMinute, timeWindow: 60_000 },
      },
      schema: {
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: { currentPassword: credentials.properties.password, newPassword: NEW_PASSWORD },
        },
        response: { 200: PasswordChanged, ...errors },
      },
    },
    async (request) => {
      const { username, sessionHash } = request.identity!;
      if (!(await store.checkPassword(username, request.body.currentPassword)))
        throw new AppError('forbidden', 'The current password is wrong.');
      await store.setPassword(username, request.body.newPassword, sessionHash);
      return { changed: true, note: 'Your other sessions are signed out.' };
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    { ...can('view'), schema: { response: { 200: SignInSessions, ...errors } } },
    async (request) => ({
      sessions: (await store.sessions(request.identity!.username, request.identity!.sessionHash)).map(sessionView),
    }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/auth/sessions/:id',
    { ...can('view', 'auth.session-revoke'), schema: { params: SESSION_ID, response: { 200: Revoked, ...errors } } },
    async (request) => {
      if (!(await store.revokeUserSession(request.identity!.username, request.params.id)))
        throw new AppError('not-found', 'You have no such session.');
      return { revoked: request.params.id };
    },
  );

  app.post(
    '/api/v1/auth/sign-out-everywhere',
    { ...can('view', 'auth.sign-out-everywhere'), schema: { response: { 200: SignedOut, ...errors } } },
    async (request) => {
      const { username, sessionHash } = request.identity!;
      return { signedOut: await store.signOutEverywhere(username, sessionHash) };
    },
  );
}

/** A session as its owner sees it: named by the SHA-256 of its cookie, never the cookie. */
export const sessionView = (s: SessionInfo) => ({
  id: s.sessionHash,
  createdAt: s.createdAt,
  expiresAt: s.expiresAt,
  userAgent: s.userAgent,
  clientIp: s.clientIp,
  current: s.current,
});
