// Sign-in with OpenID Connect against a real provider (oidc-provider on 127.0.0.1): the code flow
// with PKCE through login and consent pages, roles from the groups claim, and every way it can go
// wrong refused with a clear message and nothing changed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { TestOidcProvider, walkSignIn } from '../testing/oidc-provider.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';
import type { OidcSettings } from './auth/oidc.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let provider: TestOidcProvider;
const apps: FastifyInstance[] = [];
let base: string;
let ownerCookie: string;

const CLIENT = { clientId: 'streamwarden', clientSecret: 'a client secret of the test' };
const settings = (issuer: string, extra: Partial<OidcSettings> = {}): OidcSettings => ({
  issuer,
  ...CLIENT,
  name: 'Test IdP',
  scopes: 'openid profile email groups',
  roleClaim: 'groups',
  roleValues: { owner: ['sw-owners'], admin: ['sw-admins'], viewer: ['sw-viewers', 'family'] },
  only: false,
  ...extra,
});

async function api(oidc: OidcSettings): Promise<string> {
  const app = await buildApi({
    warehouse,
    logger,
    configuration: testConfiguration(warehouse),
    clientId: 'oidc-test',
    oidc,
  });
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const me = async (at: string, cookie: string) => {
  const response = await fetch(`${at}/api/v1/auth/me`, { headers: { cookie } });
  return response.ok ? ((await response.json()) as { username: string; role: string }) : response.status;
};
const users = async () =>
  (
    (await (await fetch(`${base}/api/v1/dashboard-users`, { headers: { cookie: ownerCookie } })).json()) as {
      users: Array<{ username: string; role: string; source: string }>;
    }
  ).users;
const cookieOf = (jar: Map<string, string>) => `sw_session=${jar.get('sw_session')}`;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  provider = await TestOidcProvider.start({
    'sub-olivia': { preferred_username: 'olivia', email: 'olivia@example.org', groups: ['sw-owners'] },
    'sub-vic': { preferred_username: 'vic', groups: ['family', 'other'] },
    'sub-stranger': { preferred_username: 'stranger', groups: ['elsewhere'] },
    'sub-impostor': { preferred_username: 'admin', groups: ['sw-owners'] },
  });
  base = await api(settings(provider.issuer));
  provider.serve({ ...CLIENT, redirectUri: `${base}/api/v1/auth/oidc/callback` });
  ownerCookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await provider?.stop();
  await warehouse?.drop();
});

describe('sign-in with OpenID Connect', () => {
  it('offers the provider on the login page', async () => {
    expect(await (await fetch(`${base}/api/v1/auth/methods`)).json()).toEqual({
      password: true,
      oidc: { name: 'Test IdP' },
      plex: false,
    });
  });

  it('signs a user in through the login and consent pages, with the role their groups map to', async () => {
    const olivia = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-olivia');
    expect(olivia.location).toBe(`${base}/`);
    expect(await me(base, cookieOf(olivia.jar))).toMatchObject({ username: 'olivia', role: 'owner' });
    const vic = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-vic');
    expect(await me(base, cookieOf(vic.jar))).toMatchObject({ username: 'vic', role: 'viewer' });
    expect(await users()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ username: 'olivia', role: 'owner', source: 'oidc' }),
        expect.objectContaining({ username: 'vic', role: 'viewer', source: 'oidc' }),
      ]),
    );
    // Signing in again is the same user, not a second one; they have no password here.
    const again = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-vic');
    expect(await me(base, cookieOf(again.jar))).toMatchObject({ username: 'vic' });
    expect((await users()).filter((u) => u.username === 'vic')).toHaveLength(1);
    const reset = await fetch(`${base}/api/v1/dashboard-users/vic/password`, {
      method: 'POST',
      headers: { cookie: ownerCookie, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a password for vic' }),
    });
    expect(reset.status).toBe(409);
  });

  it('refuses a user whose groups give no role, and one whose name belongs to a password user', async () => {
    const before = await users();
    const stranger = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-stranger');
    expect(decodeURIComponent(stranger.location)).toContain(
      '/login?error=stranger signed in, but their "groups" (elsewhere) gives no role here.',
    );
    expect(stranger.jar.has('sw_session')).toBe(false);
    const impostor = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-impostor');
    expect(decodeURIComponent(impostor.location)).toContain('The name admin belongs to another user of this dashboard');
    expect(impostor.jar.has('sw_session')).toBe(false);
    expect(await users()).toEqual(before);
    expect(await me(base, ownerCookie)).toMatchObject({ username: 'admin', role: 'owner' });

    const audit = (
      (await (
        await fetch(`${base}/api/v1/audit?action=auth.login-oidc`, { headers: { cookie: ownerCookie } })
      ).json()) as {
        entries: Array<{ actor: string; outcome: string; detail: string }>;
      }
    ).entries;
    expect(audit.find((e) => e.actor === 'stranger')).toMatchObject({ outcome: 'failed' });
    expect(audit.find((e) => e.actor === 'olivia')).toMatchObject({ outcome: 'ok' });
  });

  it('refuses a callback whose state was not issued for this browser, and one without its transaction', async () => {
    const first = await walkSignIn(`${base}/api/v1/auth/oidc/start`, 'sub-vic');
    expect(first.location).toBe(`${base}/`);
    // A callback made up by someone else: a code and state this browser never asked for.
    const forged = await fetch(`${base}/api/v1/auth/oidc/callback?code=abc&state=xyz`, { redirect: 'manual' });
    expect(decodeURIComponent(forged.headers.get('location') ?? '')).toContain('This sign-in was not started here');
    expect(forged.headers.getSetCookie().some((c) => c.startsWith('sw_session='))).toBe(false);
  });

  it('says clearly when the provider is not the one configured (a wrong issuer), and signs no one in', async () => {
    const wrong = await api(settings(provider.issuer.replace('127.0.0.1', 'localhost')));
    const result = await walkSignIn(`${wrong}/api/v1/auth/oidc/start`, 'sub-olivia');
    expect(decodeURIComponent(result.location)).toMatch(
      /\/login\?error=Cannot use the OIDC provider at http:\/\/localhost:\d+: .*issuer/i,
    );
    expect(result.jar.has('sw_session')).toBe(false);
  });

  it('refuses an ID token made for another client (a wrong audience), and signs no one in', async () => {
    // A provider behind a front that swaps Streamwarden's client for another one the provider also
    // knows, in the authorisation request and at the token endpoint: the provider then issues a
    // correctly signed ID token whose audience is the other client.
    const front = createServer();
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const behind = await TestOidcProvider.start(
      { 'sub-olivia': { preferred_username: 'olivia', groups: ['sw-owners'] } },
      frontUrl,
    );
    const OTHER = { clientId: 'another-app', clientSecret: 'the other app secret' };
    const swap = (text: string) =>
      text
        .replaceAll(`client_id=${CLIENT.clientId}`, `client_id=${OTHER.clientId}`)
        .replaceAll(
          `client_secret=${encodeURIComponent(CLIENT.clientSecret).replaceAll('%20', '+')}`,
          `client_secret=${encodeURIComponent(OTHER.clientSecret).replaceAll('%20', '+')}`,
        );
    front.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        void fetch(behind.url + swap(req.url ?? '/'), {
          method: req.method,
          headers: {
            ...(Object.fromEntries(
              Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
            ) as Record<string, string>),
            'x-forwarded-host': new URL(frontUrl).host,
            'x-forwarded-proto': 'http',
          },
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : swap(body),
          redirect: 'manual',
        }).then(
          async (answer) => {
            const headers: Record<string, string | string[]> = {};
            answer.headers.forEach((v, k) => {
              if (!['content-length', 'content-encoding', 'transfer-encoding', 'set-cookie'].includes(k))
                headers[k] = v;
            });
            headers['set-cookie'] = answer.headers.getSetCookie();
            res.writeHead(answer.status, headers);
            res.end(Buffer.from(await answer.arrayBuffer()));
          },
          (err: Error) => (res.writeHead(502), res.end(err.message)),
        );
      });
    });
    const before = await users();
    try {
      const at = await api(settings(frontUrl));
      behind.serve(
        { ...CLIENT, redirectUri: `${at}/api/v1/auth/oidc/callback` },
        { ...OTHER, redirectUri: `${at}/api/v1/auth/oidc/callback` },
      );
      const result = await walkSignIn(`${at}/api/v1/auth/oidc/start`, 'sub-olivia');
      expect(decodeURIComponent(result.location)).toMatch(/\/login\?error=.*refused.*"aud" \(audience\)/);
      expect(result.jar.has('sw_session')).toBe(false);
      expect(await users()).toEqual(before);
    } finally {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
      await behind.stop();
    }
  });

  it('turns password sign-in off when the provider is the only way in', async () => {
    const only = await api(settings(provider.issuer, { only: true }));
    expect(await (await fetch(`${only}/api/v1/auth/methods`)).json()).toMatchObject({ password: false });
    const login = await fetch(`${only}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'a long enough password' }),
    });
    expect(login.status).toBe(403);
    expect(((await login.json()) as { message: string }).message).toMatch(/password is off/);
  });
});
