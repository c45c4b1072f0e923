// Security of the API as a client without credentials sees it, over real HTTP with raw paths:
// every private route refuses, however its path is spelt; the WebSocket likewise; headers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics } from '../schemas/index.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { concrete, rawRequest, rawUpgrade } from '../testing/raw-http.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';
import { LiveHub } from './live.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let live: LiveHub;
let app: FastifyInstance;
let base: string;
let cookie: string;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-security-')), logger, defaultPartitions: 1 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  live = new LiveHub({ bus, warehouse, logger });
  await live.start();
  app = await buildApi({
    warehouse,
    bus,
    logger,
    live,
    metrics: async () => [],
    configuration: testConfiguration(warehouse),
    clientId: 'security-test',
    allowedOrigins: ['https://grafana.example.org'],
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await live?.stop();
  await bus?.close();
  await warehouse?.drop();
});

const PUBLIC_ROUTES = [
  'GET /api/v1/setup',
  'HEAD /api/v1/setup',
  'POST /api/v1/setup',
  'POST /api/v1/auth/login',
  'GET /api/v1/auth/methods',
  'POST /api/v1/auth/plex/pin',
  'POST /api/v1/auth/plex/check',
  'HEAD /api/v1/auth/methods',
  'GET /health',
  'HEAD /health',
];

/** What an anonymous client may get back: a refusal, a JSON 404, or the app shell; never data. */
function refused(response: { status: number; headers: Record<string, unknown>; body: string }, what: string): void {
  const type = String(response.headers['content-type'] ?? '');
  // The app shell (index.html, or a note that it is not built) holds no data.
  const shell =
    (response.status === 503 && type.startsWith('text/plain')) ||
    (response.status === 200 && type.startsWith('text/html') && response.body.startsWith('<!doctype html>'));
  expect(
    [401, 404].includes(response.status) || shell,
    `${what} answered ${response.status}: ${response.body.slice(0, 200)}`,
  ).toBe(true);
  if (response.status === 401) expect(JSON.parse(response.body)).toMatchObject({ statusCode: 401 });
}

/** The ways one path can be spelt so that a prefix test on the raw URL misses it. */
function spellings(path: string): string[] {
  const out = new Set<string>();
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (!/[a-z]/i.test(c)) continue;
    const hex = c.charCodeAt(0).toString(16);
    out.add(`${path.slice(0, i)}%${hex}${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}%${hex.toUpperCase()}${path.slice(i + 1)}`);
  }
  const [, first, ...rest] = path.split('/');
  const tail = rest.join('/');
  for (const variant of [
    `/${first}%2f${tail}`,
    `/${first}%2F${tail}`,
    `//${first}/${tail}`,
    `/${first}//${tail}`,
    `${path}/`,
    `/${first!.toUpperCase()}/${tail}`,
    `/${first}./${tail}`,
    `${path}.`,
    `${path};x=1`,
    `/${first};x/${tail}`,
    `/${first}/./${tail}`,
    `/${first}/x/../${tail}`,
    `/%2e/${first}/${tail}`,
  ]) {
    out.add(variant);
  }
  return [...out];
}

describe('authentication is decided on the matched route', () => {
  it('lists exactly the intended public routes; everything else is private', () => {
    const publicApi = app
      .routeAccess()
      .filter((r) => r.public && !r.url.startsWith('/api-docs') && !r.url.startsWith('/_app') && !/\.\w+$/.test(r.url));
    expect(publicApi.map((r) => `${r.method} ${r.url}`).sort()).toEqual([...PUBLIC_ROUTES].sort());
    expect(app.routeAccess().filter((r) => !r.public).length).toBeGreaterThan(50);
  });

  it('refuses every private route without credentials (the list comes from the app)', async () => {
    const privateRoutes = app.routeAccess().filter((r) => !r.public);
    for (const route of privateRoutes) {
      const path = concrete(route.url);
      const response = await rawRequest(
        base,
        route.method,
        path,
        {},
        ['POST', 'PUT', 'PATCH'].includes(route.method) ? '{}' : undefined,
      );
      expect(response.status, `${route.method} ${path}`).toBe(401);
    }
  });

  it('refuses every private route of the OpenAPI document without credentials', async () => {
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const listed = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{(\w+)\}/g, ':$1') })),
    );
    expect(listed.length).toBeGreaterThan(40);
    for (const { method, path } of listed) {
      if (PUBLIC_ROUTES.includes(`${method} ${path}`)) continue;
      const response = await rawRequest(
        base,
        method,
        concrete(path),
        {},
        method === 'GET' || method === 'DELETE' ? undefined : '{}',
      );
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it('refuses every spelling of private paths: percent-encoded letters, %2f, //, upper case, dots, ;', async () => {
    const paths = ['/api/v1/sessions/active', '/api/v1/servers', '/metrics', '/api/v1/auth/me'];
    let tried = 0;
    for (const path of paths) {
      for (const spelt of spellings(path)) {
        refused(await rawRequest(base, 'GET', spelt), `GET ${spelt}`);
        tried++;
      }
    }
    for (const spelt of spellings('/api/v1/servers/plex-home')) {
      refused(await rawRequest(base, 'PUT', spelt, {}, JSON.stringify({ url: 'http://127.0.0.1:9/' })), `PUT ${spelt}`);
    }
    expect(tried).toBeGreaterThan(100);
    // The same paths with a session work, so the refusals above are about credentials.
    expect((await rawRequest(base, 'GET', '/%61pi/v1/sessions/active', { cookie })).status).toBe(200);
    expect((await rawRequest(base, 'GET', '/%6Detrics', { cookie })).status).toBe(200);
  });

  it('refuses the live WebSocket without credentials, however its path is spelt', async () => {
    const answers: string[] = [];
    for (const spelt of ['/api/v1/live', ...spellings('/api/v1/live')])
      answers.push(`${spelt} ${await rawUpgrade(base, spelt)}`);
    expect(answers.filter((a) => / 101$/.test(a))).toEqual([]);
    expect(await rawUpgrade(base, '/%61pi/v1/live', { cookie })).toBe(101);
  });
});

describe('cross-site WebSocket and headers', () => {
  it("opens the live feed only from the app's own origin or a configured one", async () => {
    expect(await rawUpgrade(base, '/api/v1/live', { cookie, origin: 'https://evil.example' })).toBe(403);
    expect(await rawUpgrade(base, '/api/v1/live', { cookie, origin: 'null' })).toBe(403);
    expect(await rawUpgrade(base, '/api/v1/live', { cookie, origin: base })).toBe(101);
    expect(await rawUpgrade(base, '/api/v1/live', { cookie, origin: 'https://grafana.example.org' })).toBe(101);
    expect(await rawUpgrade(base, '/api/v1/live', { cookie })).toBe(101);
  });

  it('sends a CSP, nosniff, a referrer policy and no framing on pages and API answers', async () => {
    for (const path of ['/', '/users', '/api/v1/setup', '/api/v1/sessions/active']) {
      const response = await rawRequest(base, 'GET', path, { cookie });
      const csp = String(response.headers['content-security-policy']);
      expect(csp, path).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/object-src 'none'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });
});

describe('parameters', () => {
  it('answers 400, never 500, to non-finite or huge numbers in any numeric query parameter', async () => {
    const document = app.swagger() as {
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> }>
      >;
    };
    const checked: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      const get = methods.get;
      if (!get) continue;
      for (const parameter of get.parameters ?? []) {
        if (parameter.in !== 'query' || !['integer', 'number'].includes(parameter.schema?.type ?? '')) continue;
        for (const value of ['1e309', '-1e309', 'Infinity', 'NaN', '1e30', '99999999999999999999999']) {
          const url = `${concrete(path.replace(/\{(\w+)\}/g, ':$1'))}?${parameter.name}=${value}`;
          const response = await rawRequest(base, 'GET', url, { cookie });
          expect(response.status, `${url}: ${response.body.slice(0, 200)}`).toBe(400);
        }
        checked.push(`${path} ${parameter.name}`);
      }
    }
    expect(checked.length).toBeGreaterThan(10);
  });
});
