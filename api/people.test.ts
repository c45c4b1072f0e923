// People over real HTTP: suggestions from the same name on two servers and from one shared device,
// linking, merging, unlinking and renaming with the version each change was made against, a
// person's trust as the lowest of its accounts', and every bad request refused with nothing changed.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import type { PlaybackEvent } from '../schemas/index.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { samplePlaybackEvent, sampleTrustScoreChange, sampleViolation } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { playbackEventRow, trustChangeRow, violationRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let app: FastifyInstance;
let base: string;
let cookie: string;

// Whole hours back from the start of this hour: plays meant to share an hour do, whatever the clock.
const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
function play(
  serverId: string,
  userId: string,
  userName: string,
  deviceId: string,
  minutesAgo: number,
  clientIp = `198.51.100.${userId.length > 2 ? 200 : Number(userId)}`,
): PlaybackEvent {
  const base = samplePlaybackEvent({
    observedAt: hourStart - minutesAgo * 60_000,
    sessionKey: `${serverId}-${userId}-${minutesAgo}`,
  });
  return {
    ...base,
    clientIp,
    serverId,
    serverType: serverId.startsWith('jf') ? 'JELLYFIN' : 'PLEX',
    accountKey: `${serverId}:${userId}`,
    userId,
    userName,
    device: { ...base.device, deviceId, deviceName: `${deviceId} name` },
  };
}

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
const version = async () => (await call('GET', '/api/v1/people')).json.version as number;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  const events = [
    play('plex-home', '7', 'Sam', 'sams-phone', 300),
    play('jf', 'abc', 'sam ', 'sams-jf-tv', 200),
    play('plex-home', '8', 'Alex', 'family-tv', 100),
    play('plex-home', '9', 'Jo', 'family-tv', 50),
    play('plex-home', '10', 'Kim', 'kims-tablet', 40),
    // One home broadband address within an hour: a household. One carrier address: strangers.
    play('plex-home', '11', 'Lee', 'lees-tv', 175, '81.2.69.142'),
    play('plex-home', '12', 'Max', 'max-phone', 170, '81.2.69.142'),
    play('plex-home', '13', 'Ann', 'ann-phone', 235, '172.56.21.89'),
    play('plex-home', '14', 'Bo', 'bo-phone', 230, '172.56.21.89'),
  ];
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: events.map((e) => playbackEventRow(e, record)),
    format: 'JSONEachRow',
  });
  await warehouse.client.insert({
    table: warehouse.table('trust_score_history'),
    values: [
      trustChangeRow(sampleTrustScoreChange({ accountKey: 'jf:abc', newScore: 55, previousScore: 100 }), record),
    ],
    format: 'JSONEachRow',
  });
  app = await buildApi({ warehouse, logger, configuration: testConfiguration(warehouse), clientId: 'people-test' });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await warehouse?.drop();
});

describe('people', () => {
  it('suggests accounts with the same name on two servers and accounts sharing a device, with the reasons', async () => {
    const { suggestions } = (await call('GET', '/api/v1/people/suggestions')).json as {
      suggestions: Array<{ key: string; reasons: string[] }>;
    };
    expect(suggestions.map((s) => [s.key, s.reasons])).toEqual([
      ['jf:abc+plex-home:7', ['the same user name "sam" on jf and plex-home']],
      ['plex-home:8+plex-home:9', ['one device, family-tv name (family-tv), played for each']],
      [
        'plex-home:11+plex-home:12',
        [expect.stringMatching(/^one home address, 81\.2\.69\.142 \(.+\), used by each within the same hour$/)],
      ],
    ]);
  });

  it('links a suggestion into a person whose trust is its lowest account score, explained', async () => {
    const created = await call('POST', '/api/v1/people', {
      accountKeys: ['plex-home:7', 'jf:abc'],
      version: await version(),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'sam',
      accountKeys: ['jf:abc', 'plex-home:7'],
      servers: ['jf', 'plex-home'],
      trustScore: 55,
      trustExplanation: "The lowest of its accounts' scores: jf:abc (55).",
    });
    // The person stage's finding over both accounts, beside an account's own.
    const personId = created.json.personId as string;
    await warehouse.client.insert({
      table: warehouse.table('violations'),
      values: [
        sampleViolation({
          violationId: 'e'.repeat(32),
          accountKey: 'jf:abc',
          serverId: 'jf',
          personId,
          trustPenalty: 0,
        }),
        sampleViolation({ violationId: 'f'.repeat(32), accountKey: 'plex-home:7' }),
      ].map((v) => violationRow(v, record)),
      format: 'JSONEachRow',
    });
    const page = (await call('GET', `/api/v1/people/${personId}`)).json;
    expect(page.acrossAccounts).toEqual([expect.objectContaining({ violationId: 'e'.repeat(32), status: 'OPEN' })]);
    const filtered = (await call('GET', `/api/v1/violations?person=${personId}`)).json.violations as Array<
      Record<string, unknown>
    >;
    expect(filtered.map((v) => [v.violation_id, v.person_id])).toEqual([['e'.repeat(32), personId]]);
    expect((await call('GET', '/api/v1/violations?person=not-a-person')).status).toBe(400);
    expect((page.accounts as unknown[]).length).toBe(2);
    expect(page.watch).toMatchObject({ plays: 2 });
    expect(
      (page.watch as { byAccount: Array<{ accountKey: string }> }).byAccount.map((a) => a.accountKey).sort(),
    ).toEqual(['jf:abc', 'plex-home:7']);
    expect((page.devices as Array<{ accountKey: string }>).map((d) => d.accountKey).sort()).toEqual([
      'jf:abc',
      'plex-home:7',
    ]);
    // Linked now: no longer suggested.
    const { suggestions } = (await call('GET', '/api/v1/people/suggestions')).json as {
      suggestions: Array<{ key: string }>;
    };
    expect(suggestions.map((s) => s.key)).toEqual(['plex-home:8+plex-home:9', 'plex-home:11+plex-home:12']);
  });

  it('refuses a change made against an older version, a second link of one account, and a merge into itself', async () => {
    const stale = await version();
    const { json: person } = await call('GET', '/api/v1/people');
    const sam = (person.people as Array<{ personId: string }>)[0]!;
    expect((await call('PUT', `/api/v1/people/${sam.personId}`, { name: 'Samantha', version: stale })).status).toBe(
      200,
    );
    const late = await call('PUT', `/api/v1/people/${sam.personId}`, { name: 'Sammy', version: stale });
    expect(late.status).toBe(409);
    expect(late.json.message).toMatch(/changed by someone else/);
    const twice = await call('POST', '/api/v1/people', {
      accountKeys: ['plex-home:7', 'jf:abc'],
      version: await version(),
    });
    expect(twice.status).toBe(409);
    expect(twice.json.message).toBe('These accounts are linked to this person already.');
    const self = await call('POST', `/api/v1/people/${sam.personId}/merge`, {
      from: sam.personId,
      version: await version(),
    });
    expect(self.status).toBe(400);
    expect(self.json.message).toBe('A person cannot be merged into itself.');
    expect(
      (
        await call('POST', '/api/v1/people', {
          accountKeys: ['plex-home:404', 'plex-home:10'],
          version: await version(),
        })
      ).status,
    ).toBe(404);
    const after = (await call('GET', '/api/v1/people')).json.people as Array<{ name: string; accountKeys: string[] }>;
    expect(after.map((p) => [p.name, p.accountKeys])).toEqual([['Samantha', ['jf:abc', 'plex-home:7']]]);
  });

  it('puts tags on a person for rules on groups: each once, trimmed, checked, against the version seen', async () => {
    const { json: list } = await call('GET', '/api/v1/people');
    const sam = (list.people as Array<{ personId: string; tags: string[] }>)[0]!;
    expect(sam.tags).toEqual([]);
    const tagged = await call('PUT', `/api/v1/people/${sam.personId}/tags`, {
      tags: ['family', ' family ', 'night owl'],
      version: await version(),
    });
    expect(tagged.status).toBe(200);
    expect(tagged.json.tags).toEqual(['family', 'night owl']);
    expect((await call('GET', `/api/v1/people/${sam.personId}`)).json).toMatchObject({
      tags: ['family', 'night owl'],
    });
    const wrong = await call('PUT', `/api/v1/people/${sam.personId}/tags`, {
      tags: ['<script>'],
      version: await version(),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toMatch(/^tag "<script>": 1 to 40 letters/);
    const stale = await call('PUT', `/api/v1/people/${sam.personId}/tags`, { tags: [], version: 1 });
    expect(stale.status).toBe(409);
  });

  it('merges two people, adds an account to one, unlinks, and dissolves a person left with one account', async () => {
    const family = await call('POST', '/api/v1/people', {
      accountKeys: ['plex-home:8', 'plex-home:9'],
      name: 'Family',
      version: await version(),
    });
    const sam = ((await call('GET', '/api/v1/people')).json.people as Array<{ personId: string; name: string }>).find(
      (p) => p.name === 'Samantha',
    )!;
    const mixed = await call('POST', '/api/v1/people', {
      accountKeys: ['plex-home:8', 'plex-home:7'],
      version: await version(),
    });
    expect(mixed.status).toBe(409);
    expect(mixed.json.message).toMatch(/belong to different people already: merge those people instead/);
    const merged = await call('POST', `/api/v1/people/${sam.personId}/merge`, {
      from: family.json.personId,
      version: await version(),
    });
    expect(merged.json.accountKeys).toEqual(['jf:abc', 'plex-home:7', 'plex-home:8', 'plex-home:9']);
    const added = await call('POST', '/api/v1/people', {
      accountKeys: ['plex-home:10', 'plex-home:7'],
      version: await version(),
    });
    expect(added.json.personId).toBe(sam.personId);
    for (const account of ['plex-home:10', 'plex-home:9', 'plex-home:8'])
      expect(
        (await call('DELETE', `/api/v1/people/${sam.personId}/accounts/${account}?version=${await version()}`)).status,
      ).toBe(200);
    const last = await call('DELETE', `/api/v1/people/${sam.personId}/accounts/jf:abc?version=${await version()}`);
    expect(last.json).toEqual({ dissolved: sam.personId });
    expect((await call('GET', '/api/v1/people')).json.people).toEqual([]);
  });

  it('leaves out devices the rules trust as shared', async () => {
    expect(
      (await call('PUT', '/api/v1/rules', { rules: { exemptions: { trustedDeviceIds: ['family-tv'] } } })).status,
    ).toBe(200);
    const { suggestions } = (await call('GET', '/api/v1/people/suggestions')).json as {
      suggestions: Array<{ key: string }>;
    };
    expect(suggestions.map((s) => s.key)).toEqual(['jf:abc+plex-home:7', 'plex-home:11+plex-home:12']);
    expect((await call('PUT', '/api/v1/rules', { rules: { exemptions: { trustedDeviceIds: [] } } })).status).toBe(200);
  });

  it('does not suggest again what an admin dismissed', async () => {
    expect((await call('POST', '/api/v1/people/suggestions/dismiss', { key: 'plex-home:8+plex-home:9' })).status).toBe(
      200,
    );
    const { suggestions } = (await call('GET', '/api/v1/people/suggestions')).json as {
      suggestions: Array<{ key: string }>;
    };
    expect(suggestions.map((s) => s.key)).toEqual(['jf:abc+plex-home:7', 'plex-home:11+plex-home:12']);
  });
});

describe('bulk actions on accounts', () => {
  const rulesOf = async (accountKey: string) =>
    (
      (await call('GET', '/api/v1/rules')).json.accounts as Record<
        string,
        Record<string, { enabled?: boolean; maxStreams?: number }>
      >
    )[accountKey];

  it('exempts accounts from every rule, keeps their other overrides, and takes the exemption back', async () => {
    await call('PUT', '/api/v1/users/plex-home:8/rules', { concurrentStreams: { maxStreams: 5 } });
    const done = await call('POST', '/api/v1/users/bulk', {
      accountKeys: ['plex-home:8', 'plex-home:9'],
      action: 'EXEMPT',
    });
    expect(done.json).toEqual({ action: 'EXEMPT', accounts: 2 });
    const eight = await rulesOf('plex-home:8');
    expect(Object.values(eight!).every((r) => r.enabled === false)).toBe(true);
    expect(eight!.concurrentStreams).toEqual({ maxStreams: 5, enabled: false });
    await call('POST', '/api/v1/users/bulk', { accountKeys: ['plex-home:8', 'plex-home:9'], action: 'UNEXEMPT' });
    expect(await rulesOf('plex-home:8')).toEqual({ concurrentStreams: { maxStreams: 5 } });
    expect(await rulesOf('plex-home:9')).toBeUndefined();
  });

  it('applies one set of overrides to many accounts, and resets trust only with a reason', async () => {
    await call('POST', '/api/v1/users/bulk', {
      accountKeys: ['plex-home:9', 'plex-home:10'],
      action: 'APPLY_OVERRIDES',
      overrides: { concurrentStreams: { maxStreams: 3 } },
    });
    expect((await rulesOf('plex-home:10'))?.concurrentStreams).toEqual({ maxStreams: 3 });
    const noReason = await call('POST', '/api/v1/users/bulk', { accountKeys: ['jf:abc'], action: 'RESET_TRUST' });
    expect(noReason.status).toBe(400);
    const reset = await call('POST', '/api/v1/users/bulk', {
      accountKeys: ['jf:abc', 'plex-home:7'],
      action: 'RESET_TRUST',
      reason: 'new season, clean slate',
    });
    expect(reset.json).toEqual({ action: 'RESET_TRUST', accounts: 2 });
    const unknown = await call('POST', '/api/v1/users/bulk', { accountKeys: ['plex-home:404'], action: 'EXEMPT' });
    expect(unknown.status).toBe(404);
  });

  it('proposes a new account matching an existing person, never links it silently, and adds it on confirmation', async () => {
    const played = (events: PlaybackEvent[]) =>
      warehouse.client.insert({
        table: warehouse.table('playback_events'),
        values: events.map((e) => playbackEventRow(e, record)),
        format: 'JSONEachRow',
      });
    const suggestionFor = async (account: string) =>
      (
        (await call('GET', '/api/v1/people/suggestions')).json.suggestions as Array<{
          key: string;
          accounts: Array<{ accountKey: string; personId: string | null }>;
        }>
      ).find((s) => s.key.includes(account));
    await played([
      play('jf3', '1', 'Robin', 'robin-tv', 30, '198.51.100.31'),
      play('plex-home', '31', 'robin', 'robin-phone', 20, '198.51.100.32'),
    ]);
    const first = await suggestionFor('jf3:1');
    const person = await call('POST', '/api/v1/people', {
      accountKeys: ['jf3:1', 'plex-home:31'],
      version: await version(),
    });
    expect(person.status).toBe(201);
    expect(first?.key).toBe('jf3:1+plex-home:31');

    // A new account of the same name on a third server: proposed beside the person, not linked.
    await played([play('emby9', '5', 'ROBIN ', 'robin-emby', 10, '198.51.100.33')]);
    const proposal = await suggestionFor('emby9:5');
    expect(proposal?.accounts.map((a) => [a.accountKey, a.personId]).sort()).toEqual([
      ['emby9:5', null],
      ['jf3:1', person.json.personId],
      ['plex-home:31', person.json.personId],
    ]);
    const still = (await call('GET', `/api/v1/people/${person.json.personId as string}`)).json;
    expect(still.accountKeys).toEqual(['jf3:1', 'plex-home:31']);

    // Confirmed: it joins the person it matched.
    const joined = await call('POST', '/api/v1/people', {
      accountKeys: ['emby9:5', 'jf3:1'],
      version: await version(),
    });
    expect(joined.json).toMatchObject({
      personId: person.json.personId,
      accountKeys: ['emby9:5', 'jf3:1', 'plex-home:31'],
    });
    expect(await suggestionFor('emby9:5')).toBeUndefined();
  });
});
