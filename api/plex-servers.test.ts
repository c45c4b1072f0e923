// Adding Plex servers through plex.tv, over real HTTP with plex.tv played by a stand-in on
// 127.0.0.1: after the PIN is approved, the servers the account reaches are listed with their
// addresses and no token; adding one stores the token plex.tv gives for it (which the server
// takes), only at an address plex.tv lists for it, and only for a manager.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { FakePlexTv, type FakePlexAccount } from '../connectors/fakes/fake-plex-tv.ts';
import { testConnection } from '../connectors/server-registry.ts';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
const plexTv = new FakePlexTv();
const plex = new FakePlexServer('the-servers-own-token', 'Attic Plex');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let configuration: ReturnType<typeof testConfiguration>;
let app: FastifyInstance;
let base: string;
let cookie: string;
let account: FakePlexAccount;

const post = (path: string, body: unknown, headers: Record<string, string> = { cookie }) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  await plexTv.start();
  await plex.start();
  account = {
    id: 500,
    username: 'attic-owner',
    email: 'owner@example.org',
    owns: ['attic-machine'],
    sharedWith: ['friends-machine'],
    reach: { 'attic-machine': { url: plex.url, token: 'the-servers-own-token', name: 'Attic Plex' } },
  };
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  configuration = testConfiguration(warehouse);
  app = await buildApi({
    warehouse,
    logger,
    configuration,
    clientId: 'plex-servers-test',
    plexTv: { baseUrl: plexTv.url },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await plexTv.stop();
  await plex.stop();
  await warehouse?.drop();
});

describe('adding Plex servers through plex.tv', () => {
  it('lists the servers an approved account reaches, with addresses and no token, and adds one with its token', async () => {
    expect((await post('/api/v1/servers/plex/pin', {}, {})).status).toBe(401);
    const started = await post('/api/v1/servers/plex/pin', {});
    expect(started.status).toBe(201);
    const pin = (await started.json()) as { code: string; authUrl: string; transaction: string };
    expect(pin.authUrl).toContain(pin.code);

    expect(await (await post('/api/v1/servers/plex/found', { transaction: pin.transaction })).json()).toEqual({
      status: 'waiting',
    });
    plexTv.approve(pin.code, account);
    const found = await post('/api/v1/servers/plex/found', { transaction: pin.transaction });
    const text = await found.text();
    expect(text).not.toContain('the-servers-own-token');
    const { status, servers } = JSON.parse(text) as {
      status: string;
      servers: Array<{
        machineId: string;
        name: string;
        owned: boolean;
        connections: Array<{ uri: string; local: boolean }>;
      }>;
    };
    expect(status).toBe('approved');
    expect(servers.map((s) => [s.machineId, s.owned])).toEqual([
      ['attic-machine', true],
      ['friends-machine', false],
    ]);
    // The local address first.
    expect(servers[0]!.connections[0]).toEqual({ uri: plex.url.replace(/\/$/, ''), local: true, relay: false });

    // Only an address plex.tv lists for that server.
    const elsewhere = await post('/api/v1/servers/plex/add', {
      transaction: pin.transaction,
      machineId: 'attic-machine',
      uri: 'http://127.0.0.1:1',
      id: 'attic',
    });
    expect(elsewhere.status).toBe(400);

    const added = await post('/api/v1/servers/plex/add', {
      transaction: pin.transaction,
      machineId: 'attic-machine',
      uri: servers[0]!.connections[0]!.uri,
      id: 'attic',
    });
    expect(added.status).toBe(201);
    expect(JSON.stringify(await added.json())).not.toContain('the-servers-own-token');
    const [stored] = await configuration.servers.list();
    expect(stored).toMatchObject({ id: 'attic', name: 'Attic Plex', type: 'plex', token: 'the-servers-own-token' });
    // The token plex.tv gave is the one the server takes.
    const test = await testConnection({ type: 'plex', url: stored!.url, token: stored!.token }, 'plex-servers-test');
    expect(test).toMatchObject({ ok: true, server: { name: 'Attic Plex' } });
  });

  it('refuses a transaction it did not seal, or one sealed for signing in', async () => {
    const forged = await post('/api/v1/servers/plex/found', { transaction: 'not-a-sealed-value' });
    expect(forged.status).toBe(401);
  });
});
