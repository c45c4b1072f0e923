// Backup and restore round trip: a populated install (users, tokens, servers with sealed tokens,
// rules, alert channels, plays, violations, trust changes, deliveries) downloaded as an archive
// from the API, restored into an empty warehouse, answers every API read exactly as the original
// does. Cut, foreign and newer archives are refused and leave the target untouched.
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn, signIn, TEST_ADMIN } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { sampleTrustScoreChange, sampleViolation } from '../testing/fixtures.ts';
import { generateHistory } from '../testing/history.ts';
import { loadHistory } from '../testing/load-history.ts';
import { apiGetPaths } from '../testing/api-paths.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { checkBackup, restoreBackup } from '../warehouse/backup.ts';
import { migrate } from '../warehouse/migrations.ts';
import { NotificationQueries } from '../warehouse/queries/notifications.ts';
import { trustChangeRow, violationRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
const history = generateHistory({ seed: 23, plays: 60, livePlays: 0 });
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
type Opened = Awaited<ReturnType<typeof openTestWarehouse>>;
let source: Opened;
let target: Opened;
let loaded: Awaited<ReturnType<typeof loadHistory>>;
const apps: FastifyInstance[] = [];
let sourceBase: string;
let sourceCookie: string;
let archive: string;
const dir = mkdtempSync(join(tmpdir(), 'sw-backup-'));

async function api(warehouse: Opened): Promise<string> {
  const app = await buildApi({
    warehouse,
    logger,
    configuration: testConfiguration(warehouse),
    clientId: 'backup-test',
  });
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const json = { 'content-type': 'application/json' };
async function send(method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(sourceBase + path, {
    method,
    headers: { cookie: sourceCookie, ...json },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
}

beforeAll(async () => {
  source = await openTestWarehouse();
  loaded = await loadHistory(source, history);
  const play = history.plays[0]!;
  const accountKey = play.accountKey;
  await source.client.insert({
    table: source.table('violations'),
    values: [
      violationRow(
        sampleViolation({
          violationId: 'backup-violation',
          accountKey,
          serverId: play.serverId,
          userId: accountKey.slice(play.serverId.length + 1),
          detectedAt: play.startedAt,
        }),
        record,
      ),
    ],
    format: 'JSONEachRow',
  });
  await source.client.insert({
    table: source.table('trust_score_history'),
    values: [trustChangeRow(sampleTrustScoreChange({ accountKey, violationId: 'backup-violation' }), record)],
    format: 'JSONEachRow',
  });
  await new NotificationQueries(source).record(
    [
      {
        violationId: 'backup-violation',
        channelId: 'c1',
        channelName: 'Hook',
        channelType: 'webhook',
        status: 'SENT',
        attempts: 1,
        error: '',
        rule: 'CONCURRENT_STREAMS',
        accountKey,
        summary: 'two streams',
      },
    ],
    Date.now(),
  );
  sourceBase = await api(source);
  sourceCookie = await setupAndSignIn(sourceBase);
  await send('POST', '/api/v1/dashboard-users', {
    username: 'vera',
    password: 'vera has a long password',
    role: 'viewer',
  });
  await send('POST', '/api/v1/tokens', { name: 'grafana', role: 'viewer' });
  await send('POST', '/api/v1/servers', {
    id: 'jf',
    name: 'Jelly',
    type: 'jellyfin',
    url: 'http://10.0.0.9:8096',
    token: 'sealed-token',
  });
  await send('PUT', '/api/v1/rules', { rules: { concurrentStreams: { maxStreams: 4 } } });
  await send('PUT', `/api/v1/users/${encodeURIComponent(accountKey)}/rules`, { concurrentStreams: { maxStreams: 6 } });
  await send('POST', '/api/v1/notifications/channels', {
    name: 'Hook',
    type: 'webhook',
    enabled: true,
    minSeverity: 'LOW',
    settings: { url: 'https://hooks.example.com/secret-path' },
  });
  await send('PUT', '/api/v1/settings', { instanceName: 'Backed up' });
  // A browser subscribed to web push: the install's key pair and the subscription travel too.
  await fetch(`${sourceBase}/api/v1/notifications/push/key`, { headers: { cookie: sourceCookie } });
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  await send('POST', '/api/v1/notifications/push/subscriptions', {
    endpoint: 'https://push.example.org/subscription/1',
    keys: { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
    label: 'Phone',
  });

  const download = await fetch(`${sourceBase}/api/v1/backup`, { headers: { cookie: sourceCookie } });
  expect(download.status).toBe(200);
  expect(download.headers.get('content-disposition')).toMatch(
    /attachment; filename="streamwarden-backup-.*\.jsonl\.gz"/,
  );
  archive = join(dir, 'backup.jsonl.gz');
  writeFileSync(archive, Buffer.from(await download.arrayBuffer()));

  target = await openTestWarehouse();
  await restoreBackup(target, archive, logger);
}, 180_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await loaded?.close();
  await source?.drop();
  await target?.drop();
});

/** Every GET path of the API with example parameters, for both installs. */
function getPaths(app: FastifyInstance): string[] {
  const play = history.plays[0]!;
  return apiGetPaths(app, {
    serverId: play.serverId,
    sessionKey: play.sessionKey,
    accountKey: encodeURIComponent(play.accountKey),
    id: 'backup-violation',
    name: 'plays',
    username: 'vera',
  }).map(({ path, ranged }) => (ranged ? `${path}?from=${history.end - 40 * 86_400_000}&to=${history.end}` : path));
}

/** Reads that differ by nature between two installs: the archive itself, the sign-ins, live state. */
const DIFFERENT_BY_NATURE = [
  /^\/api-docs/,
  /^\/api\/v1\/backup/,
  /^\/api\/v1\/audit/,
  /^\/api\/v1\/auth\/sessions/,
  /^\/api\/v1\/dashboard-users\/[^/]+\/sessions/,
  /^\/api\/v1\/live/,
  /^\/metrics/,
];

describe('backup and restore', () => {
  it('restores an install that answers every API read as the original does, signing in with the same passwords', async () => {
    const targetBase = await api(target);
    const targetCookie = await signIn(targetBase, TEST_ADMIN.username, TEST_ADMIN.password);
    await signIn(targetBase, 'vera', 'vera has a long password');
    const paths = getPaths(apps[0]!).filter((p) => !DIFFERENT_BY_NATURE.some((re) => re.test(p)));
    expect(paths.length).toBeGreaterThan(40);
    const differences: string[] = [];
    for (const path of paths) {
      const read = async (base: string, cookie: string) => {
        const response = await fetch(base + path, { headers: { cookie } });
        return `${response.status} ${await response.text()}`;
      };
      const [a, b] = await Promise.all([read(sourceBase, sourceCookie), read(targetBase, targetCookie)]);
      if (a !== b) differences.push(`${path}\n  before:  ${a.slice(0, 300)}\n  restored: ${b.slice(0, 300)}`);
    }
    expect(differences).toEqual([]);
    // The media server's token is still sealed and opens with the install's key.
    const servers = (await fetch(`${targetBase}/api/v1/servers`, { headers: { cookie: targetCookie } }).then((r) =>
      r.json(),
    )) as {
      servers: Array<{ id: string; tokenSet: boolean }>;
    };
    expect(servers.servers.find((s) => s.id === 'jf')?.tokenSet).toBe(true);
    expect(readFileSync(archive).includes(Buffer.from('sealed-token'))).toBe(false);
    expect(gunzipSync(readFileSync(archive)).includes(Buffer.from('sealed-token'))).toBe(false);
  });

  it('refuses a cut, a foreign and a newer archive before writing anything, and a target that has data', async () => {
    const whole = gunzipSync(readFileSync(archive)).toString('utf8');
    const lines = whole.trimEnd().split('\n');
    const cut = join(dir, 'cut.jsonl.gz');
    writeFileSync(cut, gzipSync(lines.slice(0, Math.floor(lines.length / 2)).join('\n')));
    const halfGzip = join(dir, 'half-gzip.jsonl.gz');
    writeFileSync(halfGzip, readFileSync(archive).subarray(0, Math.floor(readFileSync(archive).length / 2)));
    const foreign = join(dir, 'foreign.jsonl.gz');
    writeFileSync(foreign, gzipSync('{"hello":"world"}\n'));
    const notGzip = join(dir, 'photo.jpg');
    writeFileSync(notGzip, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const newer = join(dir, 'newer.jsonl.gz');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    writeFileSync(newer, gzipSync([JSON.stringify({ ...header, schema: 999 }), ...lines.slice(1)].join('\n')));

    await expect(checkBackup(cut)).rejects.toThrow(/is cut short \(no end record\)/);
    await expect(checkBackup(halfGzip)).rejects.toThrow(/is damaged/);
    await expect(checkBackup(foreign)).rejects.toThrow(/is not a Streamwarden backup/);
    await expect(checkBackup(notGzip)).rejects.toThrow(/is damaged or cut short|is not a Streamwarden backup/);
    await expect(checkBackup(newer)).rejects.toThrow(/was made by a newer Streamwarden \(warehouse schema 999/);

    const empty = await openTestWarehouse();
    try {
      await migrate(empty, logger);
      for (const bad of [cut, halfGzip, foreign, newer])
        await expect(restoreBackup(empty, bad, logger)).rejects.toThrow();
      const [row] = await (
        await empty.client.query({
          query: `SELECT (SELECT count() FROM ${empty.table('admin_users')}) + (SELECT count() FROM ${empty.table('playback_events')}) AS n`,
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      expect(Number(row!.n)).toBe(0);
    } finally {
      await empty.drop();
    }
    await expect(restoreBackup(target, archive, logger)).rejects.toThrow(/The target install is not empty/);
  });
});
