// Suggestions by e-mail over real HTTP, with plex.tv played by a stand-in on 127.0.0.1 that serves
// its users list as plex.tv does (XML): a server owner's address (the server's user 1) and a
// friend's address on another server make one suggestion; Plex Home users without an address,
// accounts that never played, and a server whose token plex.tv refuses add nothing.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePlexTv } from '../connectors/fakes/fake-plex-tv.ts';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { playbackEventRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
const plexTv = new FakePlexTv();
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let app: FastifyInstance;
let base: string;
let cookie: string;

const play = (serverId: string, userId: string, userName: string, n: number) => {
  const e = samplePlaybackEvent({ observedAt: Date.now() - n * 3_600_000, sessionKey: `${serverId}-${userId}` });
  return {
    ...e,
    serverId,
    accountKey: `${serverId}:${userId}`,
    userId,
    userName,
    clientIp: `198.51.100.${n}`,
    device: { ...e.device, deviceId: `device-${serverId}-${userId}` },
  };
};

beforeAll(async () => {
  await plexTv.start();
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: [
      play('plex-home', '21', 'kit', 1),
      play('plex-b', '1', 'Kit B.', 2),
      play('plex-home', '22', 'Kid', 3),
      play('plex-b', '33', 'Kiddo', 4),
      play('plex-bad', '1', 'someone', 5),
    ].map((e) => playbackEventRow(e, record)),
    format: 'JSONEachRow',
  });
  const configuration = testConfiguration(warehouse);
  const home = plexTv.tokenFor({
    id: 100,
    username: 'home-owner',
    email: 'owner@example.org',
    owns: ['home-machine'],
    friends: [
      { id: 21, username: 'kit', email: 'Kit@Example.org', servers: ['home-machine'] },
      // Plex Home users have no address of their own.
      { id: 22, username: '', email: '', title: 'Kid', home: true, servers: ['home-machine'] },
      // A friend who never played here.
      { id: 23, username: 'lou', email: 'lou@example.org', servers: ['home-machine'] },
    ],
  });
  const b = plexTv.tokenFor({
    id: 200,
    username: 'kit',
    email: 'kit@example.org',
    owns: ['b-machine'],
    friends: [{ id: 33, username: 'kiddo', email: 'lou@example.org', servers: ['b-machine'] }],
  });
  for (const [id, token] of [
    ['plex-home', home],
    ['plex-b', b],
    ['plex-bad', 'a token plex.tv does not know'],
  ] as const)
    await configuration.servers.save(
      { id, name: id, type: 'plex', url: 'http://127.0.0.1:32400', token, enabled: true },
      'test',
      'add',
    );
  app = await buildApi({
    warehouse,
    logger,
    configuration,
    clientId: 'people-emails-test',
    plexTv: { baseUrl: plexTv.url },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await plexTv.stop();
  await warehouse?.drop();
});

describe('suggestions by e-mail', () => {
  it('suggest accounts whose plex.tv addresses are one, on played accounts only', async () => {
    const response = await fetch(`${base}/api/v1/people/suggestions`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const { suggestions } = (await response.json()) as { suggestions: Array<{ key: string; reasons: string[] }> };
    expect(suggestions).toEqual([
      {
        key: 'plex-b:1+plex-home:21',
        accounts: expect.any(Array),
        reasons: ['the same e-mail address, kit@example.org, on each (from plex.tv)'],
      },
    ]);
  });
});
