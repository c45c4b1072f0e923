// First-run setup and sign-in under attack: concurrent setups, guessing from many addresses,
// forged X-Forwarded-For, floods of password hashing; and the live feed's Origin check.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { TEST_ADMIN } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { rawRequest } from '../testing/raw-http.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi, type ApiOptions } from './app.ts';
import { originAllowed } from './routes/live.ts';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { captureLogger } from '../testing/logs.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { allTopics } from '../schemas/index.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
}, 60_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await warehouse?.drop();
});

async function start(options: Partial<ApiOptions> = {}): Promise<string> {
  const app = await buildApi({
    warehouse,
    logger,
    configuration: testConfiguration(warehouse),
    clientId: 'login-test',
    ...options,
  });
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const login = (base: string, username: string, password: string, headers: Record<string, string> = {}) =>
  rawRequest(base, 'POST', '/api/v1/auth/login', headers, JSON.stringify({ username, password }));

describe('first-run setup', () => {
  it('lets exactly one of several concurrent setups win, also across two API processes', async () => {
    const [a, b] = [await start(), await start()];
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        rawRequest(
          i % 2 ? a : b,
          'POST',
          '/api/v1/setup',
          {},
          JSON.stringify({ username: `admin${i}`, password: 'a long enough password' }),
        ),
      ),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    const result = await warehouse.client.query({
      query: `SELECT username FROM ${warehouse.table('admin_users')} FINAL WHERE NOT deleted`,
      format: 'JSONEachRow',
    });
    const admins = await result.json<{ username: string }>();
    expect(admins).toHaveLength(1);
    const winner = JSON.parse(attempts.find((r) => r.status === 201)!.body) as { username: string };
    expect(admins[0]!.username).toBe(winner.username);
    TEST_ADMIN.username = winner.username;
  });
});

describe('sign-in limits', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted, and limits per user name across addresses', async () => {
    const base = await start({ loginAttemptsPerMinute: 5 });
    // Rotating the header does not make new clients: the socket address is the key.
    const forged = [];
    for (let i = 0; i < 7; i++)
      forged.push((await login(base, `nobody${i}`, 'wrong password', { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(forged.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(forged.slice(5)).toEqual([429, 429]);

    // Behind a trusted proxy each forwarded address is a client, but one user name is limited
    // however many addresses guess it.
    const proxied = await start({ loginAttemptsPerMinute: 5, trustedProxies: ['127.0.0.1'] });
    const spread = [];
    for (let i = 0; i < 7; i++)
      spread.push((await login(proxied, 'victim', `guess ${i}`, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    expect(spread).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await login(proxied, 'Victim', 'guess', { 'x-forwarded-for': '198.51.100.99' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    // Another name from another forwarded address still gets its answer.
    expect((await login(proxied, 'someone-else', 'guess', { 'x-forwarded-for': '198.51.100.100' })).status).toBe(401);
  });

  it('bounds password hashing: a flood gets 503 with Retry-After, never a pile of scrypt work', async () => {
    const base = await start({ loginAttemptsPerMinute: 1000 });
    const flood = await Promise.all(Array.from({ length: 80 }, (_, i) => login(base, `flood${i}`, 'wrong password')));
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401 || s === 503)).toBe(true);
    expect(flood.find((r) => r.status === 503)!.headers['retry-after']).toBe('5');
    // Once the flood is over, signing in works.
    expect((await login(base, TEST_ADMIN.username, TEST_ADMIN.password)).status).toBe(200);
  });
});

describe('revocations across API processes', () => {
  it('signs a session out and deletes a token on every API process at once, not after their caches expire', async () => {
    const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-revoke-')), logger, defaultPartitions: 2 });
    await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
    try {
      const [a, b] = [await start({ bus }), await start({ bus })];
      const signedIn = await login(a, TEST_ADMIN.username, TEST_ADMIN.password);
      const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
      const token = JSON.parse(
        (await rawRequest(a, 'POST', '/api/v1/tokens', { cookie }, JSON.stringify({ name: 'script' }))).body,
      ) as { token: string; tokenId: string };
      const bearer = { authorization: `Bearer ${token.token}` };
      // Both processes have the session and the token in their caches.
      for (const base of [a, b]) {
        expect((await rawRequest(base, 'GET', '/api/v1/auth/me', { cookie })).status).toBe(200);
        expect((await rawRequest(base, 'GET', '/api/v1/auth/me', bearer)).status).toBe(200);
      }
      expect((await rawRequest(a, 'DELETE', `/api/v1/tokens/${token.tokenId}`, { cookie })).status).toBe(200);
      expect((await rawRequest(a, 'POST', '/api/v1/auth/logout', { cookie })).status).toBe(200);
      await waitFor(
        async () =>
          (await rawRequest(b, 'GET', '/api/v1/auth/me', { cookie })).status === 401 &&
          (await rawRequest(b, 'GET', '/api/v1/auth/me', bearer)).status === 401,
        'process b to drop both',
        5000,
      );
    } finally {
      for (const app of apps.splice(-2)) await app.close();
      await bus.close();
    }
  });
});

describe('health', () => {
  it('reports damage the embedded bus quarantined, as a warning that keeps the process in service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-health-'));
    let bus = new EmbeddedBus({ dir, logger, defaultPartitions: 1 });
    await bus.ensureTopics(allTopics.map((t) => ({ name: t.name, partitions: 1 })));
    await (
      await bus.producer()
    ).send(
      'streamwarden.playback-events',
      Array.from({ length: 50 }, (_, i) => ({ key: 'k', value: Buffer.from(`record ${i}`) })),
    );
    await bus.close();
    const segmentDir = join(dir, 'topics', 'streamwarden.playback-events', '0');
    const segment = join(
      segmentDir,
      readdirSync(segmentDir).find((f) => f.endsWith('.log'))!,
    );
    const bytes = readFileSync(segment);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(segment, bytes);
    bus = new EmbeddedBus({ dir, logger: captureLogger().logger, defaultPartitions: 1 });
    try {
      const base = await start({ bus });
      const health = await rawRequest(base, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({
        status: 'warning',
        warehouse: true,
        bus: true,
        problems: [expect.stringMatching(/damaged records in .*quarantine/)],
      });
    } finally {
      await apps.pop()!.close();
      await bus.close();
    }
  });
});

describe('live feed origin', () => {
  it('allows the app itself, configured origins and non-browser clients only', () => {
    expect(originAllowed(undefined, 'sw.example.org', [])).toBe(true);
    expect(originAllowed('https://sw.example.org', 'sw.example.org', [])).toBe(true);
    expect(originAllowed('http://localhost:3000', 'localhost:3000', [])).toBe(true);
    expect(originAllowed('https://evil.example', 'sw.example.org', [])).toBe(false);
    expect(originAllowed('https://sw.example.org.evil.example', 'sw.example.org', [])).toBe(false);
    expect(originAllowed('null', 'sw.example.org', [])).toBe(false);
    expect(originAllowed('https://grafana.example.org', 'sw.example.org', ['https://grafana.example.org'])).toBe(true);
  });
});
