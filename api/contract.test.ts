// The shape of every GET route's answer, kept as a snapshot: a refactoring that changes what a
// client receives (a field renamed, dropped, or turned from a number into a string) fails here.
// Routes come from the OpenAPI document, so a new GET route joins the snapshot by itself.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { samplePlaybackEvent, sampleTrustScoreChange, sampleViolation } from '../testing/fixtures.ts';
import { generateHistory } from '../testing/history.ts';
import { loadHistory } from '../testing/load-history.ts';
import { apiGetPaths } from '../testing/api-paths.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { NotificationQueries } from '../warehouse/queries/notifications.ts';
import { playbackEventRow, trustChangeRow, violationRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';

const history = generateHistory({ seed: 11, plays: 40, livePlays: 2 });
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let loaded: Awaited<ReturnType<typeof loadHistory>>;
let app: FastifyInstance;
let base: string;
let cookie: string;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  loaded = await loadHistory(warehouse, history);
  const play = history.plays[0]!;
  const accountKey = play.accountKey;
  const userId = accountKey.slice(play.serverId.length + 1);
  const violationId = 'contract-violation';
  await warehouse.client.insert({
    table: warehouse.table('violations'),
    // Detected within the history, so that the range every ranged GET is walked with covers it.
    values: [
      violationRow(
        sampleViolation({ violationId, accountKey, serverId: play.serverId, userId, detectedAt: play.startedAt }),
        record,
      ),
    ],
    format: 'JSONEachRow',
  });
  await warehouse.client.insert({
    table: warehouse.table('trust_score_history'),
    values: [trustChangeRow(sampleTrustScoreChange({ accountKey, violationId }), record)],
    format: 'JSONEachRow',
  });
  // A play going on now, so that the live list has a row to show its shape.
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    // A phone on a real carrier's address (T-Mobile US): the API names its network.
    values: [
      playbackEventRow(
        samplePlaybackEvent({ sessionKey: 'now', observedAt: Date.now(), clientIp: '172.56.21.89' }),
        record,
      ),
    ],
    format: 'JSONEachRow',
  });
  await new NotificationQueries(warehouse).record(
    [
      {
        violationId,
        channelId: 'c1',
        channelName: 'Contract hook',
        channelType: 'webhook',
        status: 'FAILED',
        attempts: 3,
        error: 'HTTP 500',
        rule: 'CONCURRENT_STREAMS',
        accountKey,
        summary: 'two streams',
      },
    ],
    Date.now(),
  );
  app = await buildApi({
    warehouse,
    logger: createLogger('test'),
    configuration: testConfiguration(warehouse),
    clientId: 'contract-test',
    metrics: async () => [{ name: 'streamwarden_test', help: 'a figure', type: 'gauge', samples: [{ value: 1 }] }],
    serverStatus: () => [],
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
  const send = async (path: string, body: unknown) => {
    const response = await fetch(base + path, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  };
  await send('/api/v1/tokens', { name: 'contract' });
  await send('/api/v1/servers', {
    id: 'contract',
    name: 'Contract',
    type: 'jellyfin',
    url: 'http://10.0.0.9:8096',
    token: 'k',
  });
  await send('/api/v1/notifications/channels', {
    name: 'Contract hook',
    type: 'webhook',
    enabled: true,
    minSeverity: 'LOW',
    settings: { url: 'https://hooks.example.com/sw' },
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await loaded?.close();
  await warehouse?.drop();
});

/** A value's type, recursively: object keys sorted, every element of an array merged into one shape. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [value.map(shape).reduce(merge)] : [];
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

/** Two shapes as one: objects by key (a key one side lacks is marked optional), others as a union. */
function merge(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string')
    return [...new Set([...a.split('|'), ...b.split('|')])].sort().join('|');
  if (Array.isArray(a) && Array.isArray(b)) return a.length && b.length ? [merge(a[0], b[0])] : a.length ? a : b;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return Object.fromEntries(
      keys.map((k) => {
        const [x, y] = [(a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]];
        return [k, x === undefined ? merge(y, 'undefined') : y === undefined ? merge(x, 'undefined') : merge(x, y)];
      }),
    );
  }
  // Mixed kinds (an object or null): kept side by side.
  return { anyOf: [a, b] };
}

/** Every GET path of the API with its placeholders filled, and whether it takes a time range. */
function getPaths(): Array<{ path: string; ranged: boolean; limited: boolean }> {
  const play = history.plays[0]!;
  return apiGetPaths(app, {
    serverId: play.serverId,
    sessionKey: play.sessionKey,
    accountKey: encodeURIComponent(play.accountKey),
    id: 'contract',
  });
}

it('answers every GET route with the same shapes as before', async () => {
  const to = history.end;
  const from = to - 40 * 86_400_000;
  const shapes: Record<string, unknown> = {};
  for (const { path, ranged } of getPaths()) {
    if (path.startsWith('/api-docs') || path === '/metrics') continue;
    const query = ranged ? `?from=${from}&to=${to}` : '';
    const response = await fetch(base + path + query, { headers: { cookie } });
    const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
    shapes[`GET ${path}`] = { status: response.status, body: shape(body) };
  }
  expect(Object.keys(shapes).length).toBeGreaterThan(30);
  await expect(JSON.stringify(shapes, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/get-routes.json');
});

it('gives every time as ISO 8601 with its zone, in every GET answer', async () => {
  const to = history.end;
  const from = to - 40 * 86_400_000;
  const times: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(value)) times.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  // A long period (daily buckets) and a day (hourly buckets: instants, not dates).
  const reads = getPaths().flatMap(({ path, ranged }) =>
    ranged ? [`${path}?from=${from}&to=${to}`, `${path}?from=${to - 86_400_000}&to=${to}`] : [path],
  );
  for (const path of reads) {
    if (path.startsWith('/api-docs') || path === '/metrics' || path === '/api/v1/backup') continue;
    const response = await fetch(base + path, { headers: { cookie } });
    if (response.headers.get('content-type')?.includes('json')) collect(await response.json());
  }
  // Plays, users, violations, trust changes, deliveries, tokens, sessions, settings: many kinds.
  expect(times.length).toBeGreaterThan(100);
  expect(times.filter((t) => !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(t))).toEqual([]);
});

it('honours every documented limit: no list in the answer is longer than asked', async () => {
  const to = history.end;
  const from = to - 40 * 86_400_000;
  /** The lists of an answer: its top-level arrays and those of its `data`. */
  const lists = (body: unknown): unknown[][] => {
    if (Array.isArray(body)) return [body];
    if (!body || typeof body !== 'object') return [];
    return Object.values(body as Record<string, unknown>).flatMap((v) =>
      Array.isArray(v) ? [v] : v && typeof v === 'object' ? Object.values(v).filter(Array.isArray) : [],
    );
  };
  const ignored: string[] = [];
  let shortened = 0;
  for (const { path, ranged, limited } of getPaths()) {
    if (!limited) continue;
    const range = ranged ? `from=${from}&to=${to}&` : '';
    const read = async (query: string) => {
      const response = await fetch(`${base}${path}?${range}${query}`, { headers: { cookie } });
      expect(response.status, `${path}?${query}`).toBe(200);
      return lists(await response.json());
    };
    const all = await read('');
    const two = await read('limit=2');
    if (two.some((list) => list.length > 2)) ignored.push(path);
    if (all.some((list) => list.length > 2)) shortened++;
  }
  expect(ignored).toEqual([]);
  // The history has enough rows that most limited lists are longer than two without the limit.
  expect(shortened).toBeGreaterThan(10);
});

it('documents the declared shapes in the OpenAPI document, by name', () => {
  const document = app.swagger() as {
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
  };
  const schemas = Object.values(document.components.schemas);
  const session = schemas.find((s) => s.properties?.sessionKey && s.properties?.stoppedAt);
  expect(Object.keys(session?.properties ?? {})).toHaveLength(51);
  const history = JSON.stringify(document.paths['/api/v1/sessions/history']!.get!.responses);
  expect(history).toMatch(/#\/components\/schemas\/[\w-]+/);
  expect(history).toContain('nextCursor');
});

it('files every /api/v1 operation under its resource, each tag described', () => {
  const document = app.swagger() as {
    tags: Array<{ name: string; description: string }>;
    paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
  };
  const described = new Set(document.tags.map((t) => t.name));
  const untagged: string[] = [];
  const unsummarised: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const tags = operation.tags ?? [];
      if (tags.length === 0 || !tags.every((t) => described.has(t))) untagged.push(`${method} ${path}`);
      if (!operation.summary?.trim()) unsummarised.push(`${method} ${path}`);
    }
  }
  expect(untagged).toEqual([]);
  expect(unsummarised).toEqual([]);
  expect(document.paths['/api/v1/sessions/history']!.get!.tags).toEqual(['sessions']);
  expect(document.paths['/api/v1/violations/status']!.post!.tags).toEqual(['violations']);
});

it('declares the answer of every /api/v1 operation, and shows an example of every read', () => {
  const document = app.swagger() as {
    paths: Record<
      string,
      Record<
        string,
        { responses?: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown }> }> }
      >
    >;
  };
  const undeclared: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2/.test(status));
      // A 204 has no body; a redirect or a file says so in its own content type.
      const declared = success.some(
        ([status, r]) => status === '204' || Object.values(r.content ?? {}).some((c) => c.schema),
      );
      if (!declared) undeclared.push(`${method.toUpperCase()} ${path}`);
    }
  }
  expect(undeclared).toEqual([]);
  // Every read shows a filled-in answer (a file or an image is its own example).
  const noExample = Object.entries(document.paths).flatMap(([path, operations]) => {
    const json = operations.get?.responses?.['200']?.content?.['application/json'];
    return path.startsWith('/api/v1/') && json && json.example === undefined ? [`GET ${path}`] : [];
  });
  expect(noExample).toEqual([]);
});

it('shows what the connectors read of a play: network, hardware transcoding, reasons, container, client version, paused time', async () => {
  const response = await fetch(`${base}/api/v1/sessions/plex-home/now`, { headers: { cookie } });
  expect(response.status).toBe(200);
  const { session } = (await response.json()) as { session: Record<string, unknown> };
  expect(session).toMatchObject({
    networkLocation: 'WAN',
    transcodeHardware: true,
    transcodeAccelerator: 'vaapi',
    transcodeReasons: ['video bitrate exceeds limit'],
    container: 'mkv',
    productVersion: '10.1.0',
    pausedMs: 0,
    networkType: 'mobile',
  });
  expect(session.network).toMatch(/T-Mobile/);
  expect(session.asn).toBe(21928);
  const active = (await (await fetch(`${base}/api/v1/sessions/active`, { headers: { cookie } })).json()) as {
    sessions: Array<Record<string, unknown>>;
  };
  expect(active.sessions.find((s) => s.sessionKey === 'now')).toMatchObject({
    networkLocation: 'WAN',
    container: 'mkv',
  });
});
