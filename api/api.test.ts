import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { generateHistory } from '../testing/history.ts';
import { loadHistory } from '../testing/load-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { Analytics } from '../warehouse/queries/index.ts';
import { playbackEventRow, serverMetricsRow, trustChangeRow, violationRow } from '../warehouse/rows.ts';
import { sampleServerMetrics, sampleTrustScoreChange, sampleViolation } from '../testing/fixtures.ts';
import { buildApi } from './app.ts';
import { testConfiguration } from '../testing/configuration.ts';

const history = generateHistory({ seed: 4, plays: 60, livePlays: 2 });
const range = `from=${Date.UTC(2026, 9, 1)}&to=${history.end}`;
const PASSWORD = 'correct horse battery staple';
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let loaded: Awaited<ReturnType<typeof loadHistory>>;
let app: FastifyInstance;
let base: string;
let configuration: ReturnType<typeof testConfiguration>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  loaded = await loadHistory(warehouse, history);
  const hostile = samplePlaybackEvent({
    sessionKey: 'xss',
    observedAt: history.end - 60_000,
    playStartedAt: history.end - 60_000,
    device: { ...samplePlaybackEvent().device, deviceName: '<img src=x onerror=alert(1)>' },
  });
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: [
      playbackEventRow(hostile, {
        topic: 'test',
        partition: 0,
        offset: '0',
        key: null,
        value: null,
        headers: {},
        timestamp: 0,
      }),
    ],
    format: 'JSONEachRow',
  });
  app = await buildApi({
    warehouse,
    logger: createLogger('test'),
    loginAttemptsPerMinute: 8,
    configuration: (configuration = testConfiguration(warehouse)),
    clientId: 'api-test',
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await loaded?.close();
  await warehouse?.drop();
});

const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(base + path, {
    ...init,
    headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });

const message = async (response: Response) => ((await response.json()) as { message: string }).message;

let session: string | undefined;

/** One session for the data tests: logging in every time would trip the login rate limit. */
async function login(): Promise<string> {
  if (session) return session;
  const response = await call('/api/v1/auth/login', {
    method: 'POST',
    json: { username: 'admin', password: PASSWORD },
  });
  expect(response.status).toBe(200);
  session = response.headers.get('set-cookie')!.split(';')[0]!;
  return session;
}

describe('API authentication', () => {
  it('refuses every data route without a session or token', async () => {
    for (const path of [
      '/api/v1/sessions/active',
      `/api/v1/sessions/history?${range}`,
      '/api/v1/analytics/overview',
      `/api/v1/analytics/plays?${range}`,
      '/api/v1/violations',
      '/api/v1/tokens',
      '/api/v1/auth/me',
    ]) {
      const response = await call(path);
      expect(response.status, path).toBe(401);
      expect(await response.json()).toMatchObject({ statusCode: 401, message: expect.stringMatching(/Sign in/) });
    }
    expect((await call('/api/v1/tokens', { method: 'POST', json: { name: 'x' } })).status).toBe(401);
  });

  it('creates the first administrator once, with a hashed password', async () => {
    expect(await (await call('/api/v1/setup')).json()).toEqual({ needsSetup: true });
    const weak = await call('/api/v1/setup', { method: 'POST', json: { username: 'admin', password: 'short' } });
    expect(weak.status).toBe(400);
    expect(await message(weak)).toMatch(/password must NOT have fewer than 10 characters/);
    expect(
      (await call('/api/v1/setup', { method: 'POST', json: { username: 'admin', password: PASSWORD } })).status,
    ).toBe(201);
    expect(
      (await call('/api/v1/setup', { method: 'POST', json: { username: 'evil', password: PASSWORD } })).status,
    ).toBe(409);
    expect(await (await call('/api/v1/setup')).json()).toEqual({ needsSetup: false });
    const stored = await warehouse.client.query({
      query: `SELECT password_hash FROM ${warehouse.table('admin_users')} FINAL`,
      format: 'JSONEachRow',
    });
    const [row] = await stored.json<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row!.password_hash).not.toContain(PASSWORD);
  });

  it('signs in with an HttpOnly, SameSite cookie and signs out', async () => {
    expect(
      (await call('/api/v1/auth/login', { method: 'POST', json: { username: 'admin', password: 'wrong password' } }))
        .status,
    ).toBe(401);
    const response = await call('/api/v1/auth/login', {
      method: 'POST',
      json: { username: 'admin', password: PASSWORD },
    });
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^sw_session=[\w-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect(await (await call('/api/v1/auth/me', { headers: { cookie } })).json()).toEqual({
      username: 'admin',
      role: 'owner',
      via: 'session',
    });
    expect((await call('/api/v1/auth/logout', { method: 'POST', headers: { cookie } })).status).toBe(200);
    expect((await call('/api/v1/auth/me', { headers: { cookie } })).status).toBe(401);
  });

  it('issues API tokens shown once, stored hashed, revocable', async () => {
    const cookie = await login();
    const created = await call('/api/v1/tokens', { method: 'POST', headers: { cookie }, json: { name: 'grafana' } });
    expect(created.status).toBe(201);
    const { token, tokenId } = (await created.json()) as { token: string; tokenId: string };
    expect(token).toMatch(/^sw_[0-9a-f]{12}_[\w-]{32}$/);
    // The secret is what follows "sw_<12 hex>_" (it may itself contain "_").
    const secret = token.slice('sw_'.length + 12 + 1);
    expect(secret).toHaveLength(32);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await call('/api/v1/sessions/active', { headers: bearer })).status).toBe(200);
    const listed = await (await call('/api/v1/tokens', { headers: bearer })).json();
    expect(JSON.stringify(listed)).not.toContain(secret);
    const stored = await warehouse.client.query({
      query: `SELECT token_hash FROM ${warehouse.table('api_tokens')} FINAL`,
      format: 'JSONEachRow',
    });
    expect(JSON.stringify(await stored.json())).not.toContain(secret);
    expect((await call(`/api/v1/tokens/${tokenId}`, { method: 'DELETE', headers: { cookie } })).status).toBe(200);
    expect((await call('/api/v1/sessions/active', { headers: bearer })).status).toBe(401);
    expect((await call('/api/v1/sessions/active', { headers: { authorization: 'Bearer sw_nonsense' } })).status).toBe(
      401,
    );
  });
});

describe('API data', () => {
  it('serves the analytics of the warehouse', async () => {
    const cookie = await login();
    const response = await call(`/api/v1/analytics/plays?${range}`, { headers: { cookie } });
    const body = (await response.json()) as { data: unknown };
    expect(body.data).toEqual(
      await new Analytics(warehouse).playsOverTime({ from: Date.UTC(2026, 9, 1), to: history.end }),
    );
    for (const name of [
      'heatmap',
      'decisions',
      'resolutions',
      'platforms',
      'top-users',
      'top-titles',
      'concurrency',
      'bandwidth',
      'countries',
    ]) {
      expect((await call(`/api/v1/analytics/${name}?${range}`, { headers: { cookie } })).status, name).toBe(200);
    }
    expect(await (await call('/api/v1/analytics/overview', { headers: { cookie } })).json()).toMatchObject({
      totalUsers: expect.any(Number),
    });
  });

  it('cuts every ranked analytics list at the limit it documents, and returns all of it without one', async () => {
    const cookie = await login();
    const get = async (path: string) =>
      ((await (await call(path, { headers: { cookie } })).json()) as { data: unknown[] }).data;
    const document = (await (await call('/api-docs/json')).json()) as {
      paths: Record<string, { get: { parameters: Array<{ name: string; in: string; schema?: { enum?: string[] } }> } }>;
    };
    // The ranked lists are the analytics operations that document a limit.
    const ranked = Object.entries(document.paths)
      .filter(
        ([path, item]) => path.startsWith('/api/v1/analytics/') && item.get?.parameters.some((p) => p.name === 'limit'),
      )
      .map(([path]) => path.slice('/api/v1/analytics/'.length));
    expect(ranked).toContain('countries');
    expect(ranked).toHaveLength(10);
    for (const name of ranked) {
      const all = await get(`/api/v1/analytics/${name}?${range}&limit=100`);
      const two = await get(`/api/v1/analytics/${name}?${range}&limit=2`);
      expect(two, name).toEqual(all.slice(0, 2));
    }
    // Before: limit=2 on countries gave every country.
    const countries = await get(`/api/v1/analytics/countries?${range}`);
    expect(countries.length).toBeGreaterThan(2);
    expect(await get(`/api/v1/analytics/countries?${range}&limit=2`)).toHaveLength(2);
  });

  it('answers invalid requests with 400 and a clear message', async () => {
    const cookie = await login();
    // Each analytic is an operation of its own: an unknown one is no route at all.
    const unknown = await call('/api/v1/analytics/teleports', { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect(await message(unknown)).toMatch(/teleports/);
    const backwards = await call(`/api/v1/sessions/history?from=${history.end}&to=${Date.UTC(2026, 9, 1)}`, {
      headers: { cookie },
    });
    expect(backwards.status).toBe(400);
    expect(await message(backwards)).toBe('"from" must be before "to"');
    const cursor = await call(`/api/v1/sessions/history?${range}&cursor=bogus`, { headers: { cookie } });
    expect(await cursor.json()).toMatchObject({ statusCode: 400, message: 'invalid history cursor' });
    const badBody = await call('/api/v1/tokens', {
      method: 'POST',
      headers: { cookie },
      json: { name: '', admin: true },
    });
    expect(badBody.status).toBe(400);
  });

  it('returns a device name containing HTML as data, never as markup', async () => {
    const cookie = await login();
    const response = await call(`/api/v1/sessions/history?${range}&search=onerror`, { headers: { cookie } });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { sessions: Array<{ deviceName: string }> };
    expect(body.sessions.map((s) => s.deviceName)).toEqual(['<img src=x onerror=alert(1)>']);
  });

  it('pages the history by cursor', async () => {
    const cookie = await login();
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await call(`/api/v1/sessions/history?${range}&limit=25${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: { cookie },
        })
      ).json()) as { sessions: Array<{ sessionKey: string }>; nextCursor: string | null };
      keys.push(...page.sessions.map((s) => s.sessionKey));
      cursor = page.nextCursor;
    } while (cursor);
    expect(keys).toHaveLength(history.plays.length + 1);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('shows one play with its timeline, and where plays came from for the map', async () => {
    const cookie = await login();
    const page = (await (await call(`/api/v1/sessions/history?${range}&limit=5`, { headers: { cookie } })).json()) as {
      sessions: Array<{ serverId: string; sessionKey: string; title: string }>;
    };
    const first = page.sessions.find((s) => s.sessionKey !== 'xss')!;
    const detail = (await (
      await call(`/api/v1/sessions/${first.serverId}/${encodeURIComponent(first.sessionKey)}`, { headers: { cookie } })
    ).json()) as { session: { title: string }; timeline: Array<{ at: number; eventType: string }> };
    expect(detail.session.title).toBe(first.title);
    const events = history.events.filter((e) => e.serverId === first.serverId && e.sessionKey === first.sessionKey);
    expect(detail.timeline.map((e) => e.at)).toEqual(events.map((e) => e.observedAt).sort((a, b) => a - b));
    expect((await call(`/api/v1/sessions/${first.serverId}/no-such-play`, { headers: { cookie } })).status).toBe(404);

    const map = (await (await call(`/api/v1/map/places?${range}`, { headers: { cookie } })).json()) as {
      places: Array<{ plays: number; latitude: number }>;
    };
    const located = await warehouse.client.query({
      query: `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE isNotNull(latitude) AND started_at >= fromUnixTimestamp64Milli(toInt64({from:Int64})) AND started_at < fromUnixTimestamp64Milli(toInt64({to:Int64}))`,
      query_params: { from: Date.UTC(2026, 9, 1), to: history.end },
      format: 'JSONEachRow',
    });
    const n = (await located.json<{ n: string }>())[0]?.n;
    expect(map.places.length).toBeGreaterThan(1);
    expect(map.places.reduce((sum, p) => sum + p.plays, 0)).toBe(Number(n));
  });

  it('serves server load over time, averaged per bucket', async () => {
    const cookie = await login();
    const hour = Date.UTC(2026, 10, 1, 20, 0, 0);
    const samples = [0, 20, 40].map((minute, i) =>
      sampleServerMetrics({
        sampleId: `m${i}`,
        serverId: 'load-test',
        sampledAt: hour + minute * 60_000,
        hostCpuPercent: 10 * (i + 1),
        activeSessions: i + 2,
        totalBandwidthKbps: 1000 * (i + 1),
        status: i === 2 ? 'DOWN' : 'UP',
      }),
    );
    await warehouse.client.insert({
      table: warehouse.table('server_metrics'),
      values: samples.map((m, i) =>
        serverMetricsRow(m, {
          topic: 'test',
          partition: 0,
          offset: String(i),
          key: null,
          value: null,
          headers: {},
          timestamp: 0,
        }),
      ),
      format: 'JSONEachRow',
    });
    const response = await call(
      `/api/v1/server-metrics?servers=load-test&from=${hour}&to=${hour + 3_600_000}&bucket=3600`,
      { headers: { cookie } },
    );
    expect(await response.json()).toMatchObject({
      bucketSeconds: 3600,
      points: [{ serverId: 'load-test', at: hour, cpuPercent: 20, sessions: 4, bandwidthKbps: 2000, downSamples: 1 }],
    });
    expect((await call(`/api/v1/server-metrics?bucket=5`, { headers: { cookie } })).status).toBe(400);
  });

  it('reports health without authentication', async () => {
    expect(await (await call('/health')).json()).toEqual({ status: 'ok', warehouse: true, bus: null, problems: [] });
  });
});

describe('users and violations', () => {
  const account = history.plays[0]!.accountKey;
  const violationId = 'a'.repeat(32);

  beforeAll(async () => {
    const record = { topic: 'test', partition: 0, offset: '1', key: null, value: null, headers: {}, timestamp: 0 };
    const [serverId, userId] = account.split(':');
    await warehouse.client.insert({
      table: warehouse.table('violations'),
      values: [
        violationRow(
          sampleViolation({ violationId, accountKey: account, serverId: serverId!, userId: userId! }),
          record,
        ),
      ],
      format: 'JSONEachRow',
    });
    await warehouse.client.insert({
      table: warehouse.table('trust_score_history'),
      values: [trustChangeRow(sampleTrustScoreChange({ accountKey: account, violationId }), record)],
      format: 'JSONEachRow',
    });
  });

  it('lists users with their trust score, lowest first, and open violations', async () => {
    const cookie = await login();
    const { users } = (await (await call('/api/v1/users', { headers: { cookie } })).json()) as {
      users: Array<{ accountKey: string; trustScore: number; openViolations: number }>;
    };
    expect(users[0]).toMatchObject({ accountKey: account, trustScore: 80, openViolations: 1 });
    expect(users.slice(1).every((u) => u.trustScore === 100)).toBe(true);
    expect(users).toHaveLength(new Set(history.events.map((e) => e.accountKey)).size + 1);
  });

  it("shows a user's profile: devices, places, violations, trust history", async () => {
    const cookie = await login();
    const profile = (await (
      await call(`/api/v1/users/${encodeURIComponent(account)}`, { headers: { cookie } })
    ).json()) as Record<string, unknown[]> & { trustScore: number };
    expect(profile.trustScore).toBe(80);
    expect(profile.devices!.length).toBeGreaterThan(0);
    expect(profile.locations!.length).toBeGreaterThan(0);
    expect(profile.violations).toEqual([
      expect.objectContaining({ violationId, rule: 'IMPOSSIBLE_TRAVEL', status: 'OPEN' }),
    ]);
    expect(profile.trustHistory).toEqual([
      expect.objectContaining({ previousScore: 100, newScore: 80, reason: 'VIOLATION' }),
    ]);
    expect((await call('/api/v1/users/plex-a%3Anobody', { headers: { cookie } })).status).toBe(404);
  });

  it('acknowledges and dismisses violations', async () => {
    const cookie = await login();
    const ack = await call(`/api/v1/violations/${violationId}/status`, {
      method: 'POST',
      headers: { cookie },
      json: { status: 'ACKNOWLEDGED' },
    });
    expect(await ack.json()).toEqual({ violationId, status: 'ACKNOWLEDGED' });
    const open = (await (await call('/api/v1/violations?status=OPEN', { headers: { cookie } })).json()) as {
      violations: unknown[];
    };
    expect(open.violations).toEqual([]);
    const dismissed = await call(`/api/v1/violations/${violationId}/status`, {
      method: 'POST',
      headers: { cookie },
      json: { status: 'DISMISSED', note: 'family trip' },
    });
    expect(await dismissed.json()).toEqual({ violationId, status: 'DISMISSED' });
    expect(
      (
        await call(`/api/v1/violations/${violationId}/status`, {
          method: 'POST',
          headers: { cookie },
          json: { status: 'DELETED' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(`/api/v1/violations/${'b'.repeat(32)}/status`, {
          method: 'POST',
          headers: { cookie },
          json: { status: 'OPEN' },
        })
      ).status,
    ).toBe(404);
  });

  it('adjusts or resets a trust score by hand, always with a reason', async () => {
    const cookie = await login();
    const trust = (json: unknown, key = account) =>
      call(`/api/v1/users/${encodeURIComponent(key)}/trust`, { method: 'POST', headers: { cookie }, json });
    const added = await trust({ action: 'ADJUST', points: 10, reason: 'known second home' });
    expect(added.status).toBe(202);
    expect(((await added.json()) as { adjustment: unknown }).adjustment).toMatchObject({
      accountKey: account,
      kind: 'ADJUST',
      points: 10,
      by: 'admin',
      reason: 'known second home',
    });
    expect((await trust({ action: 'RESET', reason: 'new season, clean slate' })).status).toBe(202);
    expect((await configuration.trustAdjustments.list()).map((a) => a.kind)).toEqual(['ADJUST', 'RESET']);
    // Refused, and nothing stored: no reason, no points, zero points, an unknown account.
    expect((await trust({ action: 'RESET' })).status).toBe(400);
    const noPoints = await trust({ action: 'ADJUST', reason: 'why not' });
    expect(noPoints.status).toBe(400);
    expect(await message(noPoints)).toMatch(/needs points/);
    expect((await trust({ action: 'ADJUST', points: 0, reason: 'nothing' })).status).toBe(400);
    expect((await trust({ action: 'RESET', reason: 'nobody' }, 'plex-a:nobody')).status).toBe(404);
    expect(await configuration.trustAdjustments.list()).toHaveLength(2);
  });

  it('marks a false alarm: the points it took are given back, the rule counts it, reopening withdraws it', async () => {
    const cookie = await login();
    const mark = await call(`/api/v1/violations/${violationId}/status`, {
      method: 'POST',
      headers: { cookie },
      json: { status: 'FALSE_ALARM' },
    });
    expect(await mark.json()).toEqual({ violationId, status: 'FALSE_ALARM' });
    // What the processors read: the account, the rule and the 20 points the violation took.
    expect(await configuration.falseAlarms.get()).toEqual({
      [violationId]: expect.objectContaining({ rule: 'IMPOSSIBLE_TRAVEL', points: 20, markedBy: 'admin' }),
    });
    const listed = (await (await call('/api/v1/violations?status=FALSE_ALARM', { headers: { cookie } })).json()) as {
      violations: Array<{ violation_id: string }>;
    };
    expect(listed.violations.map((v) => v.violation_id)).toEqual([violationId]);
    const { review } = (await (await call('/api/v1/rules', { headers: { cookie } })).json()) as {
      review: Record<string, { raised: number; reviewed: number; falseAlarms: number }>;
    };
    expect(review.IMPOSSIBLE_TRAVEL).toEqual({ raised: 1, reviewed: 1, falseAlarms: 1 });
    await call(`/api/v1/violations/${violationId}/status`, {
      method: 'POST',
      headers: { cookie },
      json: { status: 'OPEN' },
    });
    expect(await configuration.falseAlarms.get()).toEqual({});
  });

  it('reports media server status (none when the connectors run elsewhere)', async () => {
    const cookie = await login();
    expect(await (await call('/api/v1/servers/status', { headers: { cookie } })).json()).toEqual({ servers: [] });
  });

  it('reviews many violations at once: chosen ids, or everything a filter covers', async () => {
    const cookie = await login();
    const record = { topic: 'test', partition: 0, offset: '2', key: null, value: null, headers: {}, timestamp: 0 };
    const [serverId, userId] = account.split(':');
    const more = [
      ['c', 'CONCURRENT_STREAMS'],
      ['d', 'CONCURRENT_STREAMS'],
      ['e', 'GEO_RESTRICTION'],
    ] as const;
    await warehouse.client.insert({
      table: warehouse.table('violations'),
      values: more.map(([c, rule]) =>
        violationRow(
          sampleViolation({
            violationId: c.repeat(32),
            rule,
            accountKey: account,
            serverId: serverId!,
            userId: userId!,
          }),
          record,
        ),
      ),
      format: 'JSONEachRow',
    });
    const bulk = (json: unknown) => call('/api/v1/violations/status', { method: 'POST', headers: { cookie }, json });
    const listed = async (query: string) =>
      (
        (await (await call(`/api/v1/violations?${query}`, { headers: { cookie } })).json()) as {
          violations: Array<{ violation_id: string }>;
        }
      ).violations.map((v) => v.violation_id[0]);

    expect(await listed('rule=CONCURRENT_STREAMS')).toEqual(['c', 'd']);
    const dismissed = await bulk({
      filter: { rule: 'CONCURRENT_STREAMS' },
      status: 'DISMISSED',
      note: 'a family of six',
    });
    expect(await dismissed.json()).toEqual({ status: 'DISMISSED', updated: 2, limit: 5000 });
    expect((await listed('status=DISMISSED')).sort()).toEqual(['c', 'd']);
    expect(await listed('rule=GEO_RESTRICTION&status=OPEN')).toEqual(['e']);

    const marked = await bulk({ ids: ['c'.repeat(32), 'e'.repeat(32)], status: 'FALSE_ALARM' });
    expect(await marked.json()).toMatchObject({ updated: 2 });
    expect(Object.keys(await configuration.falseAlarms.get()).sort()).toEqual(['c'.repeat(32), 'e'.repeat(32)]);
    await bulk({ ids: ['c'.repeat(32)], status: 'OPEN' });
    expect(Object.keys(await configuration.falseAlarms.get())).toEqual(['e'.repeat(32)]);

    // Both or neither of ids and filter, an unknown rule, a malformed id: refused, nothing changed.
    expect((await bulk({ ids: ['d'.repeat(32)], filter: {}, status: 'OPEN' })).status).toBe(400);
    expect((await bulk({ status: 'OPEN' })).status).toBe(400);
    expect((await bulk({ filter: { rule: 'TELEPORT' }, status: 'OPEN' })).status).toBe(400);
    expect((await bulk({ ids: ['nope'], status: 'OPEN' })).status).toBe(400);
    expect(await listed('status=DISMISSED')).toEqual(['d']);
  });
});

describe('API documents and library', () => {
  it('publishes its OpenAPI document and interactive docs', async () => {
    const doc = (await (await call('/api-docs/json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sessions/history',
        '/api/v1/analytics/top-titles',
        '/api/v1/sessions/{serverId}/{sessionKey}/terminate',
        '/api/v1/users/{accountKey}',
        '/api/v1/tokens',
      ]),
    );
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['session', 'token']);
    const page = await call('/api-docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('serves library analytics and validates their parameters', async () => {
    const cookie = await login();
    for (const path of [
      'libraries',
      'distribution?by=videoCodec',
      'most-watched?limit=5',
      'never-watched',
      'duplicates',
    ]) {
      expect((await call(`/api/v1/library/${path}`, { headers: { cookie } })).status, path).toBe(200);
    }
    expect((await call('/api/v1/library/distribution?by=colour', { headers: { cookie } })).status).toBe(400);
  });

  it('shows the rule parameters and backtests other ones on stored history', async () => {
    const cookie = await login();
    const current = (await (await call('/api/v1/rules', { headers: { cookie } })).json()) as {
      rules: { concurrentStreams: { maxStreams: number } };
    };
    expect(current.rules.concurrentStreams.maxStreams).toBe(3);
    const body = { from: Date.UTC(2026, 9, 1), to: history.end, rules: { deviceVelocity: { maxIps: 1 } } };
    const report = (await (
      await call('/api/v1/rules/backtest', { method: 'POST', headers: { cookie }, json: body })
    ).json()) as { events: number; byRule: Record<string, number> };
    expect(report.events).toBe(history.events.length + 1);
    expect(report.byRule.DEVICE_VELOCITY).toBeGreaterThan(0);
    const withDefaults = (await (
      await call('/api/v1/rules/backtest', {
        method: 'POST',
        headers: { cookie },
        json: { from: body.from, to: body.to },
      })
    ).json()) as { byRule: Record<string, number> };
    expect(withDefaults.byRule.DEVICE_VELOCITY).toBeUndefined();
    const wrong = await call('/api/v1/rules/backtest', {
      method: 'POST',
      headers: { cookie },
      json: { ...body, rules: { teleport: {} } },
    });
    expect(wrong.status).toBe(400);
    expect(await message(wrong)).toMatch(/unknown rule "teleport"/);
    expect(
      (await call('/api/v1/rules/backtest', { method: 'POST', headers: { cookie }, json: { from: 10, to: 5 } })).status,
    ).toBe(400);
  });

  it('has no /metrics when nothing collects figures (security.test.ts covers it private)', async () => {
    expect((await call('/metrics')).status).toBe(404);
  });
});

describe('login rate limit', () => {
  it('stops password guessing after the allowed attempts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push(
        (await call('/api/v1/auth/login', { method: 'POST', json: { username: 'admin', password: `guess ${i}` } }))
          .status,
      );
    expect(statuses).toContain(429);
    expect(statuses.slice(-1)).toEqual([429]);
  });
});
