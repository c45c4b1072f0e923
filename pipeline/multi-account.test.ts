// The multi-account check over a real warehouse and the real broker: one device or one home
// address used by several accounts is a finding, published once; what is known (one person, a
// dismissed suggestion, an exempt account, a trusted device), a carrier's address and sharing
// older than the window are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type Violation } from '../schemas/index.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { newKafkaBus, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { playbackEventRow, violationRow } from '../warehouse/rows.ts';
import { MultiAccountCheck } from './multi-account.ts';
import type { People } from './people-store.ts';
import { DEFAULT_RULES, settingsFor, type RuleOverrides } from './rules/settings.ts';

const logger = createLogger('test');
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
const HOUR = 3_600_000;
const now = Math.floor(Date.now() / HOUR) * HOUR;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: Bus;

function play(account: string, deviceId: string, hoursAgo: number, clientIp = '198.51.100.9'): PlaybackEvent {
  const [serverId, userId] = account.split(':') as [string, string];
  const base = samplePlaybackEvent({
    observedAt: now - hoursAgo * HOUR,
    sessionKey: `${account}-${deviceId}-${hoursAgo}`,
  });
  return {
    ...base,
    serverId,
    accountKey: account,
    userId,
    userName: `name ${userId}`,
    clientIp,
    device: { ...base.device, deviceId, deviceName: `${deviceId} name` },
  };
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = newKafkaBus();
  const events = [
    // One device for two accounts: a finding.
    play('plex:1', 'family-tv', 3),
    play('plex:2', 'family-tv', 2),
    // One home broadband address within the hour: a finding. A carrier's: strangers.
    play('plex:11', 'lee-tv', 5, '81.2.69.142'),
    play('plex:12', 'max-phone', 5, '81.2.69.142'),
    play('plex:13', 'ann-phone', 6, '172.56.21.89'),
    play('plex:14', 'bo-phone', 6, '172.56.21.89'),
    // A device the rules trust as shared; one of an account's own trusted devices.
    play('plex:3', 'club-tv', 2),
    play('plex:4', 'club-tv', 1),
    play('plex:40', 'lent-tv', 2),
    play('plex:41', 'lent-tv', 1),
    // One person's accounts on two servers.
    play('plex:7', 'sam-tv', 2),
    play('jf:7', 'sam-tv', 1),
    // An account exempt from the rule; a suggestion dismissed.
    play('plex:20', 'd20', 2),
    play('plex:21', 'd20', 1),
    play('plex:30', 'd30', 2),
    play('plex:31', 'd30', 1),
    // Older than the window (24 hours).
    play('plex:50', 'old-tv', 40),
    play('plex:51', 'old-tv', 39),
  ];
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: events.map((e) => playbackEventRow(e, record)),
    format: 'JSONEachRow',
  });
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await warehouse?.drop();
});

describe('multi-account check', () => {
  it('finds one device or one home address used by several accounts, once, and leaves out what is known', async () => {
    const violationsTopic = uniqueName('ma-violations');
    await bus.ensureTopics([{ name: violationsTopic, partitions: 2 }]);
    const settings = settingsFor(DEFAULT_RULES, { exemptions: { trustedDeviceIds: ['club-tv'] } });
    const overrides: Record<string, RuleOverrides> = {
      'plex:21': { multiAccount: { enabled: false } },
      'plex:41': { exemptions: { trustedDeviceIds: ['lent-tv'] } },
    };
    const people: People = {
      version: 3,
      people: {
        p: { personId: 'p', name: 'Sam', accountKeys: ['jf:7', 'plex:7'], createdAt: 0, updatedAt: 0, updatedBy: 'x' },
      },
      dismissed: ['plex:30+plex:31'],
    };
    const check = (runsHere = true) =>
      new MultiAccountCheck({
        bus,
        warehouse,
        logger,
        rules: () => ({ settings, overrides: (a) => overrides[a] }),
        people: () => people,
        runsHere: () => runsHere,
        everyMs: 0,
        violationsTopic,
      });
    const first = check();
    const found = await first.run(now);
    expect(found.map((v) => [v.rule, v.accountKey, v.evidence.deviceIds, v.evidence.ips]).sort()).toEqual([
      ['MULTI_ACCOUNT', 'plex:1', ['family-tv'], []],
      ['MULTI_ACCOUNT', 'plex:11', [], ['81.2.69.142']],
    ]);
    const device = found.find((v) => v.accountKey === 'plex:1')!;
    expect(device).toMatchObject({ trustPenalty: 0, severity: 'LOW', userName: 'name 1', serverId: 'plex' });
    expect(device.summary).toBe('2 accounts (name 1, name 2): one device, family-tv name (family-tv), played for each');
    expect(device.evidence.locations.map((l) => l.accountKey)).toEqual(['plex:1', 'plex:2']);
    expect(device.evidence.innocentIf[0]).toMatch(/link them on the People page/);
    // Again: nothing new, from this check or from another once the findings are stored.
    expect(await first.run(now)).toEqual([]);
    await warehouse.client.insert({
      table: warehouse.table('violations'),
      values: found.map((v) => violationRow(v, record)),
      format: 'JSONEachRow',
    });
    expect(await check().run(now + HOUR)).toEqual([]);
    // Off: nothing.
    settings.multiAccount.enabled = false;
    expect(await check().run(now)).toEqual([]);

    const published: Violation[] = [];
    for (const p of (await bus.endOffsets(violationsTopic)).keys())
      for await (const batch of bus.readPartition(violationsTopic, p))
        published.push(...batch.map((r) => topics.violations.codec.decode(r.value)));
    expect(published.map((v) => v.violationId).sort()).toEqual(found.map((v) => v.violationId).sort());
  });
});
