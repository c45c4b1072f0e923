// The dashboard's own users (people who sign in to Streamwarden, not the media servers' accounts
// under /api/v1/users): the owner adds them with a role, changes roles, resets passwords, sees and
// ends their sessions, and removes them. There is always at least one owner.
import type { FastifyInstance } from 'fastify';
import type { WebPushStore } from '../../alerts/web-push.ts';
import { AppError } from '../../core/errors.ts';
import { ROLES, type Role } from '../../core/roles.ts';
import { can } from '../auth/plugin.ts';
import type { AuthStore } from '../auth/store.ts';
import { NEW_PASSWORD, sessionView } from './auth.ts';
import {
  DashboardUsers,
  errors,
  PasswordReset,
  Removed,
  SavedDashboardUser,
  SignedOut,
  SignInSessions,
} from '../contract.ts';

const USERNAME = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\s]+$' } as const;
const ROLE = { type: 'string', enum: [...ROLES] } as const;
const nameParam = { type: 'object', required: ['username'], properties: { username: USERNAME } } as const;

export async function dashboardUserRoutes(
  app: FastifyInstance,
  { store, push }: { store: AuthStore; push: WebPushStore },
): Promise<void> {
  app.get(
    '/api/v1/dashboard-users',
    { ...can('owner'), schema: { response: { 200: DashboardUsers, ...errors } } },
    async () => ({ users: await store.users() }),
  );

  app.post<{ Body: { username: string; password?: string; role: Role; signIn?: 'password' | 'plex' } }>(
    '/api/v1/dashboard-users',
    {
      ...can('owner', 'dashboard-user.add'),
      schema: {
        body: {
          type: 'object',
          required: ['username', 'role'],
          additionalProperties: false,
          properties: {
            username: { ...USERNAME, description: 'For a Plex user: their plex.tv user name or e-mail' },
            password: NEW_PASSWORD,
            role: ROLE,
            signIn: {
              type: 'string',
              enum: ['password', 'plex'],
              description: 'password (the default: give one) or plex (signs in with that Plex account)',
            },
          },
        },
        response: { 201: SavedDashboardUser, ...errors },
      },
    },
    async (request, reply) => {
      const { username, password, role, signIn = 'password' } = request.body;
      if (signIn === 'password' && password === undefined)
        throw new AppError('invalid', 'body must have a password, or "signIn": "plex" for a Plex account');
      if (signIn === 'plex' && password !== undefined)
        throw new AppError('invalid', 'a Plex user signs in with Plex: leave the password out');
      return reply.code(201).send(await store.createUser(username, signIn === 'plex' ? undefined : password, role));
    },
  );

  app.put<{ Params: { username: string }; Body: { role: Role } }>(
    '/api/v1/dashboard-users/:username/role',
    {
      ...can('owner', 'dashboard-user.role'),
      schema: {
        params: nameParam,
        body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: ROLE } },
        response: { 200: SavedDashboardUser, ...errors },
      },
    },
    async (request) => store.setRole(request.params.username, request.body.role),
  );

  app.post<{ Params: { username: string }; Body: { password: string } }>(
    '/api/v1/dashboard-users/:username/password',
    {
      ...can('owner', 'dashboard-user.password-reset'),
      schema: {
        params: nameParam,
        body: {
          type: 'object',
          required: ['password'],
          additionalProperties: false,
          properties: { password: NEW_PASSWORD },
        },
        response: { 200: PasswordReset, ...errors },
      },
    },
    async (request) => {
      // The owner resetting their own password here stays signed in on this session.
      const self = request.params.username === request.identity!.username;
      await store.setPassword(
        request.params.username,
        request.body.password,
        self ? request.identity!.sessionHash : undefined,
      );
      return { reset: request.params.username, note: 'Their sessions are signed out.' };
    },
  );

  app.get<{ Params: { username: string } }>(
    '/api/v1/dashboard-users/:username/sessions',
    { ...can('owner'), schema: { params: nameParam, response: { 200: SignInSessions, ...errors } } },
    async (request) => ({
      sessions: (await store.sessions(request.params.username, request.identity!.sessionHash)).map(sessionView),
    }),
  );

  app.post<{ Params: { username: string } }>(
    '/api/v1/dashboard-users/:username/sign-out-everywhere',
    {
      ...can('owner', 'dashboard-user.sign-out-everywhere'),
      schema: { params: nameParam, response: { 200: SignedOut, ...errors } },
    },
    async (request) => ({
      signedOut: await store.signOutEverywhere(
        request.params.username,
        request.params.username === request.identity!.username ? request.identity!.sessionHash : undefined,
      ),
    }),
  );

  app.delete<{ Params: { username: string } }>(
    '/api/v1/dashboard-users/:username',
    { ...can('owner', 'dashboard-user.remove'), schema: { params: nameParam, response: { 200: Removed, ...errors } } },
    async (request) => {
      await store.deleteUser(request.params.username);
      // Their browsers hear nothing more.
      await push.forgetUser(request.params.username);
      return { removed: request.params.username };
    },
  );
}
