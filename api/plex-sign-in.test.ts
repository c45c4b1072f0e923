// Sign-in with Plex through the PIN flow, against a stand-in for plex.tv that speaks its PIN API
// and a fake Plex server whose machine identifier tells its owner: the owner gets in as an owner,
// invited accounts with the role given, everyone else is refused, and expired or foreign PINs
// change nothing.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { FakePlexTv, type FakePlexAccount } from '../connectors/fakes/fake-plex-tv.ts';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let app: FastifyInstance;
let base: string;
let ownerCookie: string;
const plex = new FakePlexServer('plex-token', 'Home Plex');
const plexTv = new FakePlexTv();
let owner: FakePlexAccount;
const friend: FakePlexAccount = { id: 2002, username: 'fred', email: 'friend@example.org', owns: [], sharedWith: [] };
const stranger: FakePlexAccount = {
  id: 3003,
  username: 'sam',
  email: 'sam@example.org',
  owns: ['someone-elses-server'],
};

/** The browser's side: ask for a PIN, keep its cookie. */
async function startPin(): Promise<{ code: string; authUrl: string; cookie: string }> {
  const response = await fetch(`${base}/api/v1/auth/plex/pin`, { method: 'POST' });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { code: string; authUrl: string };
  return { ...body, cookie: response.headers.getSetCookie()[0]!.split(';')[0]! };
}

async function check(cookie?: string) {
  const response = await fetch(`${base}/api/v1/auth/plex/check`, {
    method: 'POST',
    headers: cookie ? { cookie } : {},
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith('sw_session='));
  return {
    status: response.status,
    body: (await response.json()) as { status?: string; username?: string; message?: string },
    session: session?.split(';')[0],
  };
}

async function signInAs(account: FakePlexAccount) {
  const pin = await startPin();
  expect((await check(pin.cookie)).body).toEqual({ status: 'waiting' });
  plexTv.approve(pin.code, account);
  return check(pin.cookie);
}

const me = async (cookie: string) =>
  (await (await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).json()) as { username: string; role: string };

beforeAll(async () => {
  await plex.start();
  await plexTv.start();
  owner = { id: 1001, username: 'olga', email: 'olga@example.org', owns: [plex.machineIdentifier] };
  friend.sharedWith = [plex.machineIdentifier];
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  const configuration = testConfiguration(warehouse);
  await configuration.servers.save(
    { id: 'plex-home', name: 'Home', type: 'plex', url: plex.url, token: 'plex-token' },
    'test',
    'add',
  );
  app = await buildApi({
    warehouse,
    logger,
    configuration,
    clientId: 'plex-sign-in-test',
    plexTv: { baseUrl: plexTv.url, appUrl: 'https://app.plex.tv/auth' },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  ownerCookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await plex.stop();
  await plexTv.stop();
  await warehouse?.drop();
});

describe('sign-in with Plex', () => {
  it('offers Plex once a Plex server is watched, with the Plex app address to approve the PIN', async () => {
    expect(await (await fetch(`${base}/api/v1/auth/methods`)).json()).toMatchObject({ plex: true });
    const pin = await startPin();
    const url = new URL(pin.authUrl.replace('#?', '?'));
    expect(url.origin + url.pathname).toBe('https://app.plex.tv/auth');
    expect(url.searchParams.get('code')).toBe(pin.code);
    expect(url.searchParams.get('clientID')).toBe('plex-sign-in-test');
    expect(pin.code).toHaveLength(25);
  });

  it("lets the watched server's owner in as an owner once the PIN is approved", async () => {
    const result = await signInAs(owner);
    expect(result.body).toEqual({ status: 'signed-in', username: 'olga' });
    expect(await me(result.session!)).toMatchObject({ username: 'olga', role: 'owner', via: 'session' });
  });

  it('refuses a Plex account nobody invited, even one owning another server, and lets it in once invited', async () => {
    const refused = await signInAs(stranger);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'The Plex account sam is not a user of this dashboard: the owner adds Plex accounts under Settings > Team.',
    );
    expect(refused.session).toBeUndefined();

    const invite = await fetch(`${base}/api/v1/dashboard-users`, {
      method: 'POST',
      headers: { cookie: ownerCookie, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'friend@example.org', role: 'viewer', signIn: 'plex' }),
    });
    expect(invite.status).toBe(201);
    const invited = await signInAs(friend);
    expect(invited.body).toEqual({ status: 'signed-in', username: 'friend@example.org' });
    expect(await me(invited.session!)).toMatchObject({ role: 'viewer' });
    // Bound to the account now: the next sign-in is the same user.
    const again = await signInAs(friend);
    expect(again.body.username).toBe('friend@example.org');
    const users = (
      (await (await fetch(`${base}/api/v1/dashboard-users`, { headers: { cookie: ownerCookie } })).json()) as {
        users: Array<{ username: string; source: string }>;
      }
    ).users;
    expect(users.map((u) => `${u.username}:${u.source}`).sort()).toEqual([
      'admin:password',
      'friend@example.org:plex',
      'olga:plex',
    ]);
  });

  it('refuses an expired PIN and a check from a browser that did not ask, signing no one in', async () => {
    const pin = await startPin();
    plexTv.approve(pin.code, owner);
    expect((await check()).status).toBe(401);
    const forged = await check('sw_plex=not-sealed-by-this-install');
    expect(forged.status).toBe(401);
    expect(forged.session).toBeUndefined();

    const late = await startPin();
    plexTv.expire([...plexTv.pins.values()].at(-1)!.id);
    plexTv.approve(late.code, owner);
    const expired = await check(late.cookie);
    expect(expired.status).toBe(404);
    expect(expired.body.message).toBe('This Plex PIN expired or was not found: start the sign-in again.');
    expect(expired.session).toBeUndefined();
  });

  it('audits sign-ins and refusals, not the polls that wait', async () => {
    const entries = (
      (await (
        await fetch(`${base}/api/v1/audit?action=auth.login-plex&limit=500`, { headers: { cookie: ownerCookie } })
      ).json()) as {
        entries: Array<{ actor: string; outcome: string; statusCode: number }>;
      }
    ).entries;
    expect(
      entries
        .filter((e) => e.outcome === 'ok')
        .map((e) => e.actor)
        .sort(),
    ).toEqual(['friend@example.org', 'friend@example.org', 'olga']);
    expect(
      entries
        .filter((e) => e.outcome === 'failed')
        .map((e) => e.statusCode)
        .sort(),
    ).toEqual([401, 401, 403, 404]);
  });
});
