// Automation rules over the real Kafka broker: the presets (refuse 4K transcodes, four hours a
// day, long pauses) stop what they should once, not what is old (a replay), not twice across a restart that
// replays everything; a dry run only records; a rule tells its channels; every firing is in the
// ledger and the audit log. Rules are checked with errors that name the field.
import { createServer, type Server } from 'node:http';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../bus/typed.ts';
import type { KafkaBus } from '../bus/kafka.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { eventsOfPlay } from '../pipeline/operator-events.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse, storeEvents } from '../testing/warehouse.ts';
import { ConfigDocuments } from '../warehouse/config-documents.ts';
import { migrate } from '../warehouse/migrations.ts';
import { AuditQueries } from '../warehouse/queries/audit.ts';
import { AutomationQueries } from '../warehouse/queries/automations.ts';
import { AutomationEngine } from './automation-engine.ts';
import type { StreamControl } from '../connectors/commands.ts';
import { AutomationStore, PRESETS, validateAutomation } from './automations.ts';
import { ChannelStore } from './channels.ts';
import { PeopleStore } from '../pipeline/people-store.ts';
import { startOfDay } from '../core/time-zone.ts';
import { TrustAdjustmentStore } from '../pipeline/trust-adjustments.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: KafkaBus;
let http: Server;
const told: string[] = [];
let automations: AutomationStore;
let channels: ChannelStore;
let people: PeopleStore;
let trustAdjustments: TrustAdjustmentStore;

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => (told.push(body), res.end('{}')));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = newKafkaBus();
  const documents = new ConfigDocuments(warehouse, 0);
  automations = new AutomationStore(documents);
  channels = new ChannelStore({ documents, secrets: new SecretBox('automation-test-secret-key') });
  people = new PeopleStore(documents);
  trustAdjustments = new TrustAdjustmentStore(documents);
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await new Promise((resolve) => http.close(resolve));
  await warehouse?.drop();
});

/** An engine over the test's stores, reading `eventsTopic` as `groupId`. */
const newEngine = (control: StreamControl, groupId: string, eventsTopic: string, attempts: number) =>
  new AutomationEngine({
    bus,
    warehouse,
    automations,
    channels,
    people,
    trustAdjustments,
    control,
    settings: async () => ({ timeZone: 'UTC', defaultLanguage: 'en' }),
    logger,
    groupId,
    eventsTopic,
    retry: { attempts, baseMs: 10 },
  });

/** The operator events of a Plex play beginning at `at` (a start, and a transcode start). */
const playStarting = (sessionKey: string, user: string, at: number, personId: string | null) =>
  eventsOfPlay(
    samplePlaybackEvent({
      serverId: 'plex-home',
      accountKey: `plex-home:${user}`,
      userId: user,
      personId,
      sessionKey,
      observedAt: at,
      playStartedAt: at,
    }),
    new Map(),
  );

/** Turns every saved rule off, then saves these on. */
async function onlyThese(rules: Array<Record<string, unknown>>): Promise<void> {
  for (const rule of await automations.list())
    if (rule.enabled) await automations.save({ ...rule, enabled: false }, 'admin');
  for (const rule of rules) await automations.save({ ...rule, enabled: true }, 'admin');
}

/** Runs a fresh engine over these events until it has read them all; the messages it showed. */
async function messagesFor(events: OperatorEvent[], name: string): Promise<string[]> {
  const calls: string[] = [];
  const control = {
    terminate: async () => 'requested' as const,
    message: async (server: string, key: string, text: string) => (
      calls.push(`${server}:${key}: ${text}`),
      'requested' as const
    ),
  };
  const eventsTopic = uniqueName(`automation-${name}`);
  await bus.ensureTopics([{ name: eventsTopic, partitions: 1 }]);
  const producer = await bus.producer();
  await publish(producer, { ...topics.events, name: eventsTopic }, events);
  await producer.close();
  const engine = newEngine(control, uniqueName(`automations-${name}`), eventsTopic, 1);
  await engine.start();
  expect(await engine.drain(30_000)).toBe(true);
  await engine.stop();
  return calls;
}

describe('automation rules', () => {
  it('names the field of a wrong rule', () => {
    const base = { name: 'x', trigger: 'STREAM_STARTED', conditions: [], actions: [{ type: 'stop', message: 'm' }] };
    expect(() => validateAutomation({ ...base, trigger: 'SOMETHING' })).toThrow(/^trigger: must be one of/);
    expect(() => validateAutomation({ ...base, conditions: [{ field: 'colour', op: 'in', values: ['x'] }] })).toThrow(
      'conditions[0].field: unknown field "colour"',
    );
    expect(() =>
      validateAutomation({ ...base, conditions: [{ field: 'bandwidthKbps', op: 'over', value: '20 Mbit' }] }),
    ).toThrow('conditions[0].value: must be a number of kbit/s, 0 or more');
    expect(() =>
      validateAutomation({ ...base, conditions: [{ field: 'localTime', from: '22:00', to: '22:00', weekdays: [] }] }),
    ).toThrow('conditions[0]: from and to are the same time');
    expect(() => validateAutomation({ ...base, trigger: 'SERVER_DOWN' })).toThrow(
      'actions: a SERVER_DOWN event has no stream to stop',
    );
    expect(() => validateAutomation({ ...base, actions: [{ type: 'stop', message: '' }] })).toThrow(
      'actions[0].message: the viewer is shown a message',
    );
    expect(() => validateAutomation({ ...base, actions: [{ type: 'adjustTrust', points: 0 }] })).toThrow(
      'actions[0].points: must be a whole number of points from -100 to 100, not 0',
    );
    expect(() =>
      validateAutomation({ ...base, trigger: 'IMPORT_FINISHED', actions: [{ type: 'adjustTrust', points: -5 }] }),
    ).toThrow('actions: a IMPORT_FINISHED event is of no account whose trust could change');
    expect(() => validateAutomation({ ...base, actions: [{ type: 'tag', tag: '<b>vip</b>' }] })).toThrow(
      "actions[0].tag: 1 to 40 letters, digits, spaces, '-' or '_'",
    );
    expect(validateAutomation({ ...base, actions: [{ type: 'tag', tag: ' night owl ' }] }).actions).toEqual([
      { type: 'tag', tag: 'night owl' },
    ]);
  });

  it(
    'stops a fresh 4K transcode and a play past four hours once, never an old one, across a replay; a dry run only records',
    { timeout: 120_000 },
    async () => {
      const now = Date.now();
      const eventsTopic = uniqueName('automation-events');
      await bus.ensureTopics([
        { name: eventsTopic, partitions: 2 },
        { name: topics.deadLetter.name, partitions: 1 },
      ]);
      const hook = await channels.save(
        {
          name: 'Hook',
          type: 'webhook',
          settings: {
            url: `http://127.0.0.1:${(http.address() as { port: number }).port}/`,
            bodyTemplate: '{"text": "{{rule}}"}',
          },
        },
        'admin',
      );
      for (const preset of PRESETS.slice(0, 3)) await automations.save({ ...preset, enabled: true }, 'admin');
      await automations.save(
        {
          name: 'Germany, dry run',
          enabled: true,
          dryRun: true,
          trigger: 'STREAM_STARTED',
          conditions: [{ field: 'country', op: 'in', values: ['DE'] }],
          actions: [{ type: 'stop', message: 'no' }],
        },
        'admin',
      );
      await automations.save(
        {
          name: 'New devices',
          enabled: true,
          trigger: 'NEW_DEVICE',
          conditions: [],
          actions: [{ type: 'notify', channels: [hook.id] }],
        },
        'admin',
      );
      // 250 minutes watched today by plex-home:9 already.
      const morning = samplePlaybackEvent({
        sessionKey: 'morning',
        accountKey: 'plex-home:9',
        userId: '9',
        eventType: 'STOPPED',
        observedAt: now - 60_000,
        playStartedAt: now - 2 * 60_000,
        playedMs: 250 * 60_000,
      });
      await storeEvents(warehouse, [morning]);

      const play = (sessionKey: string, at: number, overrides: Parameters<typeof samplePlaybackEvent>[0] = {}) =>
        eventsOfPlay(samplePlaybackEvent({ sessionKey, observedAt: at, playStartedAt: at, ...overrides }), new Map());
      const berlin = {
        countryCode: 'DE',
        region: null,
        city: 'Berlin',
        latitude: null,
        longitude: null,
        accuracyRadiusKm: null,
      };
      const events: OperatorEvent[] = [
        ...play('uhd', now),
        ...play('hd', now, { quality: { ...samplePlaybackEvent().quality, sourceVideoResolution: '1080' } }),
        // The same kind of play 45 minutes ago: a replay never stops it.
        ...play('old-uhd', now - 45 * 60_000),
        ...play('tired', now, {
          accountKey: 'plex-home:9',
          userId: '9',
          quality: { ...samplePlaybackEvent().quality, isTranscode: false },
        }),
        ...play('berlin', now, {
          accountKey: 'plex-home:5',
          quality: { ...samplePlaybackEvent().quality, isTranscode: false },
          location: berlin,
          geoSource: 'dbip-lite',
        }),
        {
          ...play('new-device', now)[0]!,
          eventId: 'NEW_DEVICE:plex-home:42:phone',
          type: 'NEW_DEVICE',
        },
        ...[25, 30].map((minutes) => {
          const e = play('long-pause', now)[0]!;
          return {
            ...e,
            eventId: `STREAM_STILL_PAUSED:plex-home:long-pause:${now}:${minutes}`,
            type: 'STREAM_STILL_PAUSED' as const,
            details: { ...e.details, pausedMinutes: String(minutes) },
          };
        }),
      ];
      const stops: Array<[string, string, string]> = [];
      const control = {
        terminate: async (server: string, key: string, message: string) => (
          stops.push([server, key, message]),
          'requested' as const
        ),
      };
      const groupId = uniqueName('automations');
      const start = async () => {
        const engine = newEngine(control, groupId, eventsTopic, 2);
        await engine.start();
        return engine;
      };
      const producer = await bus.producer();
      const spec = { ...topics.events, name: eventsTopic };
      const firings = new AutomationQueries(warehouse);
      const first = await start();
      await publish(producer, spec, events);
      await waitFor(async () => (await firings.list(100)).length === 6, 'six firings', 30_000);
      await first.stop();

      // A crash before the commit: everything is handed out again.
      const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
      await admin.connect();
      await admin.resetOffsets({ groupId, topic: eventsTopic, earliest: true });
      await admin.disconnect();
      const second = await start();
      expect(await second.drain(30_000)).toBe(true);
      await second.stop();
      await producer.close();

      expect(stops.sort()).toEqual([
        ['plex-home', 'long-pause', 'This stream was paused for half an hour and has been stopped to free the server.'],
        ['plex-home', 'tired', 'You have watched four hours today; see you tomorrow.'],
        ['plex-home', 'uhd', PRESETS[0]!.actions[0]!.type === 'stop' ? PRESETS[0]!.actions[0]!.message : ''],
      ]);
      const byTarget = Object.fromEntries((await firings.list(100)).map((f) => [f.target, f]));
      expect(Object.keys(byTarget).sort()).toEqual([
        'plex-home:berlin',
        'plex-home:long-pause',
        'plex-home:new-device',
        'plex-home:old-uhd',
        'plex-home:tired',
        'plex-home:uhd',
      ]);
      expect(byTarget['plex-home:old-uhd']).toMatchObject({
        status: 'FAILED',
        detail: 'not stopped: the event is 45 min old (a replay)',
      });
      expect(byTarget['plex-home:berlin']).toMatchObject({
        status: 'DRY_RUN',
        actions: 'would stop plex-home:berlin with "no"',
      });
      expect(byTarget['plex-home:new-device']).toMatchObject({ status: 'FIRED', actions: 'told Hook' });
      expect(told.map((t) => (JSON.parse(t) as { text: string }).text)).toEqual(['New devices: New device']);
      const audit = await new AuditQueries(warehouse).list({ action: 'automation.', limit: 50 });
      expect(audit.map((e) => e.action).sort()).toEqual([
        'automation.dry-run',
        'automation.fire',
        'automation.fire',
        'automation.fire',
        'automation.fire',
        'automation.fire',
      ]);
    },
  );

  it(
    "warns a person's third stream and stops a fourth across two accounts, counting starts read together; a replay does neither again",
    { timeout: 120_000 },
    async () => {
      const now = Date.now();
      for (const rule of await automations.list())
        if (rule.enabled) await automations.save({ ...rule, enabled: false }, 'admin');
      for (const id of ['preset-third-stream-warning', 'preset-fourth-stream-stopped'])
        await automations.save({ ...PRESETS.find((p) => p.id === id)!, enabled: true }, 'admin');
      await automations.save(
        {
          name: 'A fourth stream costs trust',
          enabled: true,
          trigger: 'STREAM_STARTED',
          conditions: [{ field: 'streamsNow', op: 'over', value: 3 }],
          actions: [{ type: 'adjustTrust', points: -15 }],
        },
        'admin',
      );
      const person = await people.link(['plex-home:21', 'jellyfin-1:33'], 'admin', (await people.get()).version);
      const on = (server: string, user: string) => ({
        serverId: server,
        accountKey: `${server}:${user}`,
        userId: user,
        personId: person.personId,
      });
      // Known only to the warehouse: a film begun two hours ago and still playing, and one that ended.
      await storeEvents(warehouse, [
        samplePlaybackEvent({
          ...on('plex-home', '21'),
          sessionKey: 'film',
          eventType: 'PROGRESS',
          observedAt: now - 60_000,
          playStartedAt: now - 2 * 3600_000,
        }),
        samplePlaybackEvent({
          ...on('plex-home', '21'),
          sessionKey: 'ended',
          eventType: 'STOPPED',
          observedAt: now - 5 * 60_000,
          playStartedAt: now - 3600_000,
        }),
      ]);
      const started = (sessionKey: string, server: string, user: string, at: number) =>
        eventsOfPlay(
          samplePlaybackEvent({ ...on(server, user), sessionKey, observedAt: at, playStartedAt: at }),
          new Map(),
        ).filter((e) => e.type === 'STREAM_STARTED');
      const stopped = (sessionKey: string, at: number) =>
        eventsOfPlay(
          samplePlaybackEvent({ ...on('plex-home', '21'), sessionKey, eventType: 'STOPPED', observedAt: at }),
          new Map(),
        );
      // Read in one batch, in this order: film + second (2), + third (3: warned), second ends,
      // + fourth (3 again: warned), + fifth (4: stopped).
      const events = [
        ...started('second', 'plex-home', '21', now),
        ...started('third', 'jellyfin-1', '33', now + 1),
        ...stopped('second', now + 2),
        ...started('fourth', 'plex-home', '21', now + 3),
        ...started('fifth', 'plex-home', '21', now + 4),
      ];
      const calls: string[] = [];
      const control = {
        terminate: async (server: string, key: string, message: string) => (
          calls.push(`stop ${server}:${key}: ${message}`),
          'requested' as const
        ),
        message: async (server: string, key: string, text: string) => (
          calls.push(`message ${server}:${key}: ${text}`),
          'requested' as const
        ),
      };
      const eventsTopic = uniqueName('automation-streams');
      await bus.ensureTopics([{ name: eventsTopic, partitions: 1 }]);
      const groupId = uniqueName('automations-streams');
      const engine = () => newEngine(control, groupId, eventsTopic, 1);
      const producer = await bus.producer();
      await publish(producer, { ...topics.events, name: eventsTopic }, events);
      const first = engine();
      await first.start();
      expect(await first.drain(30_000)).toBe(true);
      await first.stop();
      const warning = 'This is your third stream at once. Two are allowed: a fourth will be stopped.';
      const expected = [
        `message jellyfin-1:third: ${warning}`,
        `message plex-home:fourth: ${warning}`,
        'stop plex-home:fifth: Three streams at once is the most: please close one and start again.',
      ];
      expect(calls).toEqual(expected);

      // Handed out again from the start: each is done already.
      const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
      await admin.connect();
      await admin.resetOffsets({ groupId, topic: eventsTopic, earliest: true });
      await admin.disconnect();
      const second = engine();
      await second.start();
      expect(await second.drain(30_000)).toBe(true);
      expect(second.stats.skippedAsDone).toBe(4);
      await second.stop();
      await producer.close();
      expect(calls).toEqual(expected);
      // The fifth stream's account lost 15 points once, dated at its start, with the rule as the reason.
      expect(await trustAdjustments.list()).toEqual([
        expect.objectContaining({
          accountKey: 'plex-home:21',
          kind: 'ADJUST',
          points: -15,
          at: now + 4,
          reason: expect.stringMatching(/^A fourth stream costs trust: /),
        }),
      ]);
    },
  );

  it('tags a person, and a rule on the tag then acts on their plays only; an account of no one matches neither way', async () => {
    const now = Date.now();
    await onlyThese([
      {
        name: 'Transcodes mark a person',
        trigger: 'TRANSCODE_STARTED',
        conditions: [{ field: 'personTag', op: 'notIn', values: ['transcoder'] }],
        actions: [{ type: 'tag', tag: 'transcoder' }],
      },
      {
        name: 'Transcoders get a word',
        trigger: 'STREAM_STARTED',
        conditions: [{ field: 'personTag', op: 'in', values: ['transcoder'] }],
        actions: [{ type: 'message', message: 'Try direct play: set quality to Original.' }],
      },
    ]);
    const person = await people.link(['plex-home:71', 'plex-home:72'], 'admin', (await people.get()).version);
    // Each start of a transcode is STREAM_STARTED then TRANSCODE_STARTED: the first play tags the
    // person after its start was judged, so only the person's second play gets the message.
    const events = [
      ...playStarting('t1', '71', now, person.personId),
      ...playStarting('t2', '72', now + 1, person.personId),
      ...playStarting('loner', '99', now + 2, null),
    ];
    const calls = await messagesFor(events, 'tags');
    expect((await people.get()).people[person.personId]!.tags).toEqual(['transcoder']);
    expect(calls).toEqual(['plex-home:t2: Try direct play: set quality to Original.']);
    const firings = await new AutomationQueries(warehouse).list(50);
    const tagged = firings.filter((f) => f.ruleName === 'Transcodes mark a person');
    // Once: the second play's transcode found the person tagged already, and the account of no
    // one matches a condition on a person's tags neither way.
    expect(tagged.map((f) => [f.status, f.actions, f.target])).toEqual([
      ['FIRED', `tagged ${person.personId} "transcoder"`, 'plex-home:t1'],
    ]);
  });

  it("counts a person's plays and watch time of the day and the week across their accounts", async () => {
    const now = Date.now();
    await onlyThese(
      (
        [
          ['Week quota', 'watchedWeekMinutes', 180],
          ['One play a day', 'playsToday', 0],
        ] as const
      ).map(([name, field, value]) => ({
        name,
        trigger: 'STREAM_STARTED',
        conditions: [{ field, op: 'over', value }],
        actions: [{ type: 'message', message: name }],
      })),
    );
    const person = await people.link(['plex-home:81', 'jellyfin-1:82'], 'admin', (await people.get()).version);
    // Earlier today (and so this week), on the person's other account: one play of 200 minutes.
    const earlier = Math.max(startOfDay(now, 'UTC'), now - 60_000);
    await storeEvents(warehouse, [
      samplePlaybackEvent({
        serverId: 'jellyfin-1',
        accountKey: 'jellyfin-1:82',
        userId: '82',
        personId: person.personId,
        sessionKey: 'long',
        eventType: 'STOPPED',
        observedAt: earlier,
        playStartedAt: earlier - 1,
        playedMs: 200 * 60_000,
      }),
    ]);
    const start = (sessionKey: string, user: string, personId: string | null) =>
      playStarting(sessionKey, user, now, personId).filter((e) => e.type === 'STREAM_STARTED');
    const calls = await messagesFor(
      [...start('quota', '81', person.personId), ...start('other', '83', null)],
      'quotas',
    );
    expect(calls.sort()).toEqual(['plex-home:quota: One play a day', 'plex-home:quota: Week quota']);
  });
});
