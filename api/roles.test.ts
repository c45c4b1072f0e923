// Roles over real HTTP: every private route, as listed by the app itself, answers each role as its
// declared permission says (owner, admin, viewer; sessions and tokens alike); tokens never act
// above their creator; users, passwords and sessions are managed as documented; every changing
// action lands in the audit log.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { allows, ROLES, type Role } from '../core/roles.ts';
import { setupAndSignIn, signIn, TEST_ADMIN } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { concrete, rawRequest } from '../testing/raw-http.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let app: FastifyInstance;
let base: string;
const cookies: Partial<Record<Role, string>> = {};
const PASSWORD = 'another long password';
const NAMES = { admin: 'alex', viewer: 'vera' } as const;
const isToken = (credential: string) => /^sw_[0-9a-f]{12}_/.test(credential);

async function call(
  method: string,
  path: string,
  credential: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (credential !== undefined && isToken(credential)) headers.authorization = `Bearer ${credential}`;
  else if (credential) headers.cookie = credential;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  app = await buildApi({
    warehouse,
    logger,
    metrics: async () => [],
    configuration: testConfiguration(warehouse),
    clientId: 'roles-test',
    loginAttemptsPerMinute: 100,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookies.owner = await setupAndSignIn(base);
  for (const role of ['admin', 'viewer'] as const) {
    const made = await call('POST', '/api/v1/dashboard-users', cookies.owner, {
      username: NAMES[role],
      password: PASSWORD,
      role,
    });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    cookies[role] = await signIn(base, NAMES[role], PASSWORD);
  }
}, 60_000);

afterAll(async () => {
  await app?.close();
  await warehouse?.drop();
});

describe('every route answers each role as its declared permission says', () => {
  it('declares a permission on every private route and an audit name on every changing one', () => {
    const routes = app.routeAccess();
    expect(routes.filter((r) => !r.public && !r.permission)).toEqual([]);
    expect(routes.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !r.audit)).toEqual([]);
    expect(routes.filter((r) => r.permission === 'owner').length).toBeGreaterThanOrEqual(6);
  });

  it('refuses a role below the permission with 403 and lets the others through, for sessions and tokens', async () => {
    // Tokens of each role, made by the owner: a token acts exactly like a session of its role.
    const tokens: Partial<Record<Role, string>> = {};
    for (const role of ROLES) {
      const made = await call('POST', '/api/v1/tokens', cookies.owner, { name: `sweep ${role}`, role });
      expect(made.status).toBe(201);
      tokens[role] = made.json.token as string;
    }
    const routes = app.routeAccess().filter((r) => !r.public && !r.websocket && r.method !== 'HEAD');
    let checked = 0;
    for (const route of routes) {
      const path = concrete(route.url);
      for (const role of ROLES) {
        for (const credential of [cookies[role]!, tokens[role]!]) {
          const auth: Record<string, string> = isToken(credential)
            ? { authorization: `Bearer ${credential}` }
            : { cookie: credential };
          // Changing routes get a body of a type no route parses: past the role check it is refused
          // with 415 before any handler runs, so the sweep changes nothing (no sign-out, no
          // removal). DELETE has no body: its made-up ids name nothing, so it answers 400 or 404.
          const response =
            route.method === 'GET' || route.method === 'DELETE'
              ? await rawRequest(base, route.method, path, auth)
              : await rawRequest(base, route.method, path, { ...auth, 'content-type': 'application/x-sweep' }, 'x');
          const what = `${role} ${isToken(credential) ? 'token' : 'session'} ${route.method} ${path}: ${response.status} ${response.body.slice(0, 160)}`;
          if (allows(role, route.permission!)) {
            expect([401, 403], what).not.toContain(response.status);
            if (route.method === 'DELETE') expect([400, 404], what).toContain(response.status);
            else if (route.method !== 'GET') expect(response.status, what).toBe(415);
          } else {
            expect(response.status, what).toBe(403);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('keeps a viewer from stopping streams, changing settings and tokens, and says why', async () => {
    const stop = await call('POST', '/api/v1/sessions/plex-home/42/terminate', cookies.viewer, {});
    expect(stop.status).toBe(403);
    expect(stop.json.message).toMatch(/viewer may not do this/);
    expect((await call('PUT', '/api/v1/settings', cookies.viewer, { terminateMessage: 'x' })).status).toBe(403);
    expect((await call('GET', '/api/v1/tokens', cookies.viewer)).status).toBe(403);
    expect((await call('GET', '/api/v1/sessions/active', cookies.viewer)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', cookies.viewer)).json).toEqual({
      username: 'vera',
      role: 'viewer',
      via: 'session',
    });
  });
});

describe('tokens carry a role no higher than their creator', () => {
  it("refuses a token above its creator's role and caps a token when its creator is demoted", async () => {
    const tooHigh = await call('POST', '/api/v1/tokens', cookies.admin, { name: 'owner please', role: 'owner' });
    expect(tooHigh.status).toBe(403);
    const adminToken = (await call('POST', '/api/v1/tokens', cookies.admin, { name: 'ci' })).json;
    expect(adminToken.role).toBe('admin');
    const token = adminToken.token as string;
    expect((await call('GET', '/api/v1/audit', token)).status).toBe(200);

    await call('POST', '/api/v1/dashboard-users', cookies.owner, {
      username: 'temp',
      password: PASSWORD,
      role: 'admin',
    });
    const tempCookie = await signIn(base, 'temp', PASSWORD);
    const tempToken = (await call('POST', '/api/v1/tokens', tempCookie, { name: 'x' })).json.token as string;
    expect((await call('GET', '/api/v1/audit', tempToken)).status).toBe(200);
    // Demoted: the token acts as a viewer from the next request on, not after a cache expires.
    expect((await call('PUT', '/api/v1/dashboard-users/temp/role', cookies.owner, { role: 'viewer' })).status).toBe(
      200,
    );
    expect((await call('GET', '/api/v1/audit', tempToken)).status).toBe(403);
    expect((await call('GET', '/api/v1/auth/me', tempToken)).json.role).toBe('viewer');
    expect((await call('GET', '/api/v1/audit', tempCookie)).status).toBe(403);
    // Removed: their session and token are gone.
    expect((await call('DELETE', '/api/v1/dashboard-users/temp', cookies.owner)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', tempToken)).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', tempCookie)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'temp', password: PASSWORD })).status).toBe(
      401,
    );
  });
});

describe('dashboard users, passwords and sessions', () => {
  it('never leaves the install without an owner, and refuses a second user of one name', async () => {
    const demote = await call('PUT', `/api/v1/dashboard-users/${TEST_ADMIN.username}/role`, cookies.owner, {
      role: 'admin',
    });
    expect(demote.status).toBe(409);
    expect(demote.json.message).toMatch(/last owner/);
    expect((await call('DELETE', `/api/v1/dashboard-users/${TEST_ADMIN.username}`, cookies.owner)).status).toBe(409);
    const twice = await call('POST', '/api/v1/dashboard-users', cookies.owner, {
      username: 'vera',
      password: PASSWORD,
      role: 'admin',
    });
    expect(twice.status).toBe(409);
    expect((await call('GET', '/api/v1/auth/me', cookies.viewer)).json.role).toBe('viewer');
    const users = (await call('GET', '/api/v1/dashboard-users', cookies.owner)).json.users as Array<{
      username: string;
      role: string;
    }>;
    expect(users.map((u) => `${u.username}:${u.role}`)).toEqual([
      `${TEST_ADMIN.username}:owner`,
      'alex:admin',
      'vera:viewer',
    ]);
    expect(JSON.stringify(users)).not.toMatch(/scrypt/);
  });

  it('changes your own password only with the current one, keeping this session and ending the others', async () => {
    const second = await signIn(base, 'vera', PASSWORD);
    const sessions = (await call('GET', '/api/v1/auth/sessions', cookies.viewer)).json.sessions as Array<{
      id: string;
      current: boolean;
    }>;
    expect(sessions.length).toBe(2);
    expect(sessions.filter((s) => s.current).length).toBe(1);
    const wrong = await call('POST', '/api/v1/auth/password', cookies.viewer, {
      currentPassword: 'nope',
      newPassword: 'a new long password',
    });
    expect(wrong.status).toBe(403);
    expect((await call('GET', '/api/v1/auth/me', second)).status).toBe(200);
    const changed = await call('POST', '/api/v1/auth/password', cookies.viewer, {
      currentPassword: PASSWORD,
      newPassword: 'a new long password',
    });
    expect(changed.status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', cookies.viewer)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', second)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'vera', password: PASSWORD })).status).toBe(
      401,
    );
    cookies.viewer = await signIn(base, 'vera', 'a new long password');
  });

  it("lets the owner reset another user's password, which signs them out everywhere", async () => {
    const before = await signIn(base, 'alex', PASSWORD);
    const reset = await call('POST', '/api/v1/dashboard-users/alex/password', cookies.owner, {
      password: 'reset by the owner',
    });
    expect(reset.status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', before)).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', cookies.admin)).status).toBe(401);
    cookies.admin = await signIn(base, 'alex', 'reset by the owner');
  });

  it('ends one session by its id, or every other session at once', async () => {
    const a = await signIn(base, 'alex', 'reset by the owner');
    const b = await signIn(base, 'alex', 'reset by the owner');
    const list = (await call('GET', '/api/v1/auth/sessions', cookies.admin)).json.sessions as Array<{
      id: string;
      current: boolean;
    }>;
    expect(list.length).toBe(3);
    const mine = (await call('GET', '/api/v1/auth/sessions', a)).json.sessions as Array<{
      id: string;
      current: boolean;
    }>;
    const aId = mine.find((s) => s.current)!.id;
    expect((await call('DELETE', `/api/v1/auth/sessions/${aId}`, cookies.admin)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', a)).status).toBe(401);
    // Another user's session id is not yours to end.
    const ownerSessions = (await call('GET', '/api/v1/auth/sessions', cookies.owner)).json.sessions as Array<{
      id: string;
    }>;
    expect((await call('DELETE', `/api/v1/auth/sessions/${ownerSessions[0]!.id}`, cookies.admin)).status).toBe(404);
    expect((await call('GET', '/api/v1/auth/me', cookies.owner)).status).toBe(200);
    const everywhere = await call('POST', '/api/v1/auth/sign-out-everywhere', cookies.admin);
    expect(everywhere.json.signedOut).toBe(1);
    expect((await call('GET', '/api/v1/auth/me', b)).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', cookies.admin)).status).toBe(200);
  });
});

describe('the audit log', () => {
  it('records sign-ins, failures and changes with who, what and the outcome, secrets hidden', async () => {
    await call('POST', '/api/v1/auth/login', undefined, { username: 'alex', password: 'wrong password' });
    await call('PUT', '/api/v1/settings', cookies.admin, { terminateMessage: 'Sharing is not allowed here' });
    await call('PUT', '/api/v1/settings', cookies.viewer, { terminateMessage: 'viewer tries' });
    const entries = (await call('GET', '/api/v1/audit?limit=500', cookies.admin)).json.entries as Array<
      Record<string, unknown>
    >;
    const find = (test: (e: Record<string, unknown>) => boolean) => entries.find(test);
    expect(find((e) => e.action === 'auth.login' && e.outcome === 'failed' && e.actor === 'alex')).toMatchObject({
      statusCode: 401,
      via: 'anonymous',
    });
    expect(find((e) => e.action === 'auth.login' && e.outcome === 'ok' && e.actor === 'vera')).toBeTruthy();
    const change = find((e) => e.action === 'settings.change' && e.actor === 'alex')!;
    expect(change).toMatchObject({ outcome: 'ok', actorRole: 'admin', via: 'session', clientIp: '127.0.0.1' });
    expect(JSON.parse(change.detail as string)).toEqual({ body: { terminateMessage: 'Sharing is not allowed here' } });
    expect(find((e) => e.action === 'settings.change' && e.actor === 'vera')).toMatchObject({
      outcome: 'failed',
      statusCode: 403,
    });
    expect(find((e) => e.action === 'dashboard-user.role' && e.target === 'username=temp')).toMatchObject({
      outcome: 'ok',
    });
    expect(find((e) => e.action === 'token.issue' && e.actor === 'alex')).toBeTruthy();
    expect(find((e) => e.action === 'dashboard-user.password-reset' && e.target === 'username=alex')).toBeTruthy();
    // No password, token or hash ever reaches the log.
    const all = JSON.stringify(entries);
    for (const secret of [PASSWORD, 'reset by the owner', 'wrong password', TEST_ADMIN.password, 'a new long password'])
      expect(all).not.toContain(secret);
    expect(all).not.toMatch(/sw_[0-9a-f]{12}_/);
  });

  it('filters by action family, actor and outcome, and pages with a cursor', async () => {
    const failed = (await call('GET', '/api/v1/audit?outcome=failed&action=auth.', cookies.owner)).json
      .entries as Array<{ action: string; outcome: string }>;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.action.startsWith('auth.') && e.outcome === 'failed')).toBe(true);
    const firstPage = (await call('GET', '/api/v1/audit?limit=3', cookies.owner)).json;
    const secondPage = (
      await call('GET', `/api/v1/audit?limit=3&before=${encodeURIComponent(firstPage.next as string)}`, cookies.owner)
    ).json;
    const ids = [
      ...(firstPage.entries as Array<{ auditId: string }>),
      ...(secondPage.entries as Array<{ auditId: string }>),
    ].map((e) => e.auditId);
    expect(new Set(ids).size).toBe(6);
    const everything = (await call('GET', '/api/v1/audit?limit=6', cookies.owner)).json.entries as Array<{
      auditId: string;
    }>;
    expect(ids).toEqual(everything.map((e) => e.auditId));
    expect((await call('GET', '/api/v1/audit?before=garbage', cookies.owner)).status).toBe(400);
    expect((await call('GET', '/api/v1/audit', cookies.viewer)).status).toBe(403);
  });
});
