import { spawn } from 'node:child_process';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { publish } from '../bus/typed.ts';
import type { Bus } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type TrustScoreChange, type Violation } from '../schemas/index.ts';
import { newKafkaBus, readTopic, testBrokers, uniqueName } from '../testing/kafka.ts';
import { GeoIp } from '../core/geoip.ts';
import { StreamProcessor } from './processor.ts';
import { DAY, MIN, T0, fleet, play, rules } from '../testing/scripted-fleet.ts';
import { settingsFor } from './rules/settings.ts';

const logger = createLogger('test');

let geo: GeoIp;
let bus: Bus;
beforeAll(async () => {
  geo = await GeoIp.open();
  bus = newKafkaBus();
});
afterAll(() => bus?.close());

const readAll = <T>(spec: { name: string; codec: { decode(b: Buffer | null): T } }) => readTopic(bus, spec);

describe('stream processor through the real Kafka broker', () => {
  it.each([
    { label: 'the last records of each partition', back: 5, checkpointIntervalMs: 0 },
    { label: 'everything', back: Number.MAX_SAFE_INTEGER, checkpointIntervalMs: 0 },
    { label: 'the last records of each partition', back: 5, checkpointIntervalMs: 60_000 },
    { label: 'everything', back: Number.MAX_SAFE_INTEGER, checkpointIntervalMs: 60_000 },
  ])(
    'flags exactly the expected violations of a scripted fleet; a crash that leaves $label uncommitted doubles nothing (checkpoints every $checkpointIntervalMs ms, 0: none)',
    async ({ back, checkpointIntervalMs }) => {
      const names = {
        playbackEvents: uniqueName('pl-events'),
        violations: uniqueName('pl-violations'),
        trustScoreChanges: uniqueName('pl-trust'),
      };
      await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 3 })));
      const specs = {
        events: { ...topics.playbackEvents, name: names.playbackEvents },
        violations: { ...topics.violations, name: names.violations },
        trust: { ...topics.trustScoreChanges, name: names.trustScoreChanges },
      };
      const groupId = uniqueName('pipeline');
      const { early, late, expected } = fleet();
      const producer = await bus.producer();

      await publish(producer, specs.events, early);
      const options = {
        bus,
        geo,
        logger,
        rules,
        groupId,
        topicNames: names,
        inactivityCheckMs: 0,
        checkpointIntervalMs,
      };
      const first = new StreamProcessor(options);
      await first.start();
      await waitFor(() => first.stats.events === early.length, 'the first processor to see the early events', 60_000);
      const ends = await bus.endOffsets(names.playbackEvents);
      let committed = new Map<number, string>();
      for (
        let tries = 0;
        tries < 100 && [...ends].some(([p, end]) => committed.get(p) !== end && end !== '0');
        tries++
      ) {
        await new Promise((r) => setTimeout(r, 100));
        committed = await bus.committedOffsets(groupId, names.playbackEvents);
      }
      await first.stop();

      // A crash after publishing but before committing: the last records of each partition are
      // handed to the next processor again.
      const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
      await admin.connect();
      const rewound = [...(await bus.committedOffsets(groupId, names.playbackEvents))].map(([partition, offset]) => ({
        partition,
        offset: String(Math.max(0, Number(offset) - back)),
      }));
      await admin.setOffsets({ groupId, topic: names.playbackEvents, partitions: rewound });
      await admin.disconnect();

      await publish(producer, specs.events, late);
      const second = new StreamProcessor(options);
      await second.start();
      // With checkpoints, the first processor's last one (written as it stopped) holds the
      // rewound records already: they are skipped, not processed again.
      const rewoundCount = checkpointIntervalMs
        ? 0
        : rewound.reduce((n, r) => n + Math.min(back, Number(committed.get(r.partition) ?? 0)), 0);
      await waitFor(
        () => second.stats.events >= late.length + rewoundCount,
        'the second processor to catch up',
        60_000,
      );
      await second.stop();

      if (checkpointIntervalMs) {
        expect(second.stats.restoredFromCheckpoints).toBe(3);
        expect(second.stats.replayed).toBe(0);
        expect(second.stats.events).toBe(late.length);
      } else if (back === 5) expect(second.stats.replayed).toBeGreaterThan(0);
      else expect(second.stats.suppressedAsPublished).toBeGreaterThan(0);
      const violations = await readAll<Violation>(specs.violations);
      expect(Object.fromEntries(violations.map((v) => [v.accountKey, v.rule]))).toEqual(expected);
      expect(violations).toHaveLength(5);
      const travel = violations.find((v) => v.rule === 'IMPOSSIBLE_TRAVEL')!;
      expect(travel.summary).toMatch(/^Cambridge .*-> London, 5,2\d\d km in 30 min = 10,\d{3} km\/h$/);
      expect(travel.evidence.locations.map((l) => l.countryCode)).toEqual(['US', 'GB']);
      const changes = await readAll<TrustScoreChange>(specs.trust);
      expect(new Set(changes.map((c) => c.changeId)).size).toBe(changes.length);
      expect(
        changes
          .filter((c) => c.reason === 'VIOLATION')
          .map((c) => c.violationId)
          .sort(),
      ).toEqual(violations.map((v) => v.violationId).sort());
      expect(changes.find((c) => c.violationId === travel.violationId)).toMatchObject({
        previousScore: 100,
        newScore: 80,
      });
    },
  );

  it.each([
    ['the retained history', 0],
    ['the checkpoints it wrote every 100 ms', 100],
  ])(
    'a processor killed with SIGKILL mid-stream is replaced from %s without losing or doubling a violation',
    async (_label, checkpointIntervalMs) => {
      const names = {
        playbackEvents: uniqueName('kill-events'),
        violations: uniqueName('kill-violations'),
        trustScoreChanges: uniqueName('kill-trust'),
      };
      await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 3 })));
      const groupId = uniqueName('pipeline');
      const { early, late, expected } = fleet();
      // Benign traffic of other accounts (LAN, one play each) around the fleet, so the kill lands mid-stream.
      const filler = Array.from({ length: 300 }, (_, i) =>
        play(`f${i}`, `filler-${i}`, `192.168.1.${1 + (i % 250)}`, T0 + i * MIN, T0 + i * MIN + 60 * MIN),
      ).flat();
      const all = [...early, ...late, ...filler].sort((a, b) => a.observedAt - b.observedAt);
      const producer = await bus.producer();
      const spec = { ...topics.playbackEvents, name: names.playbackEvents };

      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          new URL('../testing/kill-child.ts', import.meta.url).pathname,
          testBrokers().join(','),
          groupId,
          JSON.stringify(names),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...process.env,
            RULES: JSON.stringify({
              deviceVelocity: { windowMs: 30 * DAY, maxIps: 10, maxDevices: 20 },
              geoRestriction: { denyCountries: ['RU'] },
            }),
            CHECKPOINT_MS: String(checkpointIntervalMs),
          },
        },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let seen = 0;
      let written = 0;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.trim().split('\n')) {
          const [events, checkpoints] = line.split(' ').map(Number);
          seen = Math.max(seen, events!);
          written = Math.max(written, checkpoints!);
        }
      });
      const chunks = 10;
      const size = Math.ceil(all.length / chunks);
      await publish(producer, spec, all.slice(0, size));
      await waitFor(() => seen > 0, 'the child to process events', 60_000);
      if (checkpointIntervalMs) await waitFor(() => written > 0, 'the child to write checkpoints', 60_000);
      for (let i = 1; i < chunks; i++) {
        await publish(producer, spec, all.slice(i * size, (i + 1) * size));
        if (i === 4) child.kill('SIGKILL');
      }
      await exited;
      expect(seen).toBeLessThan(all.length);

      const successor = new StreamProcessor({
        bus,
        geo,
        logger,
        rules,
        groupId,
        topicNames: names,
        inactivityCheckMs: 0,
        checkpointIntervalMs,
      });
      await successor.start();
      const ends = await bus.endOffsets(names.playbackEvents);
      for (let tries = 0; tries < 600; tries++) {
        const committed = await bus.committedOffsets(groupId, names.playbackEvents);
        if ([...ends].every(([p, end]) => committed.get(p) === end)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await successor.stop();
      const violations = await readAll<Violation>({ ...topics.violations, name: names.violations });
      expect(Object.fromEntries(violations.map((v) => [v.accountKey, v.rule]))).toEqual(expected);
      expect(violations).toHaveLength(5);
      const changes = await readAll<TrustScoreChange>({ ...topics.trustScoreChanges, name: names.trustScoreChanges });
      expect(new Set(changes.map((c) => c.changeId)).size).toBe(changes.length);
      if (checkpointIntervalMs) expect(successor.stats.restoredFromCheckpoints).toBeGreaterThan(0);
      else expect(successor.stats.restoredFromCheckpoints).toBe(0);
    },
    120_000,
  );
});

describe('rule changes while running', () => {
  it('apply from the next event, per-account overrides included', async () => {
    const names = {
      playbackEvents: uniqueName('upd-events'),
      violations: uniqueName('upd-violations'),
      trustScoreChanges: uniqueName('upd-trust'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 1 })));
    const events = { ...topics.playbackEvents, name: names.playbackEvents };
    const producer = await bus.producer();
    const fourStreams = (user: string, from: number) =>
      Array.from({ length: 4 }, (_, i) =>
        play(user, `${user}-stream-${i}`, '18.9.22.69', from + i * MIN, from + 60 * MIN),
      )
        .flat()
        .sort((a, b) => a.observedAt - b.observedAt);
    const off = settingsFor(rules, { concurrentStreams: { enabled: false } });
    const processor = new StreamProcessor({
      bus,
      geo,
      logger,
      rules: off,
      groupId: uniqueName('upd'),
      topicNames: names,
      inactivityCheckMs: 0,
    });
    await processor.start();

    const before = fourStreams('10', T0);
    await publish(producer, events, before);
    await waitFor(() => processor.stats.events === before.length, 'the events under the old rules', 60_000);
    processor.updateRules(rules, (account) =>
      account === 'plex:12' ? { concurrentStreams: { maxStreams: 10 } } : undefined,
    );
    const after = [...fourStreams('11', T0 + DAY), ...fourStreams('12', T0 + DAY)];
    await publish(producer, events, after);
    await waitFor(
      () => processor.stats.events === before.length + after.length,
      'the events under the new rules',
      60_000,
    );
    // What it holds, for /metrics: the three accounts' states, the one account with its own rules.
    // (An event is counted before its findings are published: wait for the publication too.)
    await waitFor(() => processor.stats.violations === 1, 'the violation published');
    expect(Object.fromEntries(processor.caches().map((c) => [c.cache, c.entries]))).toMatchObject({
      'account-states': 3,
      'account-detectors': 1,
      'published-violation-ids': 1,
    });
    await processor.stop();

    const violations = await readAll<Violation>({ ...topics.violations, name: names.violations });
    expect(violations.map((v) => [v.accountKey, v.rule])).toEqual([['plex:11', 'CONCURRENT_STREAMS']]);
  });
});

/**
 * Topics of their own for one test, a producer, a way to start a processor on them (each one of
 * the same consumer group, as a restart is), and four streams at once on an account: one
 * concurrent-streams violation.
 */
async function trustScenario(prefix: string, checkpointIntervalMs: number) {
  const names = {
    playbackEvents: uniqueName(`${prefix}-events`),
    violations: uniqueName(`${prefix}-violations`),
    trustScoreChanges: uniqueName(`${prefix}-trust`),
  };
  await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 1 })));
  const producer = await bus.producer();
  return {
    send: (events: PlaybackEvent[]) =>
      publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, events),
    start: () =>
      new StreamProcessor({
        bus,
        geo,
        logger,
        rules,
        groupId: names.playbackEvents,
        topicNames: names,
        inactivityCheckMs: 0,
        checkpointIntervalMs,
      }),
    fourStreams: (user: string, from: number) =>
      Array.from({ length: 4 }, (_, i) =>
        play(user, `${user}-${from}-${i}`, '18.9.22.69', from + i * MIN, from + 60 * MIN),
      )
        .flat()
        .sort((a, b) => a.observedAt - b.observedAt),
    violations: () => readAll<Violation>({ ...topics.violations, name: names.violations }),
    trustChanges: () => readAll<TrustScoreChange>({ ...topics.trustScoreChanges, name: names.trustScoreChanges }),
  };
}

describe('published ids', () => {
  it("are remembered for the bus's retention after newer findings, not for ever", async () => {
    const names = {
      playbackEvents: uniqueName('ids-events'),
      violations: uniqueName('ids-violations'),
      trustScoreChanges: uniqueName('ids-trust'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 1 })));
    const producer = await bus.producer();
    const processor = new StreamProcessor({
      bus,
      geo,
      logger,
      rules,
      groupId: uniqueName('ids'),
      topicNames: names,
      inactivityCheckMs: 0,
      // A day, for the test; the bus's 7 days by default.
      publishedHorizonMs: DAY,
    });
    await processor.start();
    // Four streams at once on a new account each day for four days: one violation a day.
    const events = [0, 1, 2, 3].flatMap((day) =>
      Array.from({ length: 4 }, (_, i) =>
        play(`day${day}`, `day${day}-stream-${i}`, '18.9.22.69', T0 + day * DAY + i * MIN, T0 + day * DAY + 60 * MIN),
      ).flat(),
    );
    await publish(
      producer,
      { ...topics.playbackEvents, name: names.playbackEvents },
      events.sort((a, b) => a.observedAt - b.observedAt),
    );
    await waitFor(() => processor.stats.violations === 4, 'four violations published', 60_000);
    const held = Object.fromEntries(processor.caches().map((c) => [c.cache, c.entries]));
    // Only the findings of the last day before the newest, and the newest's.
    expect(held['published-violation-ids']).toBe(2);
    expect(held['published-trust-change-ids']).toBe(2);
    await processor.stop();
  });
});

describe('false-alarm marks', () => {
  it.each([0, 60_000])(
    'give the points back once, also after a restart, and take them again when withdrawn (checkpoints every %i ms, 0: none)',
    async (checkpointIntervalMs) => {
      const { send, start, fourStreams, violations, trustChanges } = await trustScenario('fa', checkpointIntervalMs);
      const first = start();
      await first.start();
      await send(fourStreams('30', T0));
      expect(await first.drain(60_000)).toBe(true);
      const [violation] = await violations();
      expect(violation!.rule).toBe('CONCURRENT_STREAMS');
      const penalised = first.account('plex:30')!.trust.score;
      expect(penalised).toBe(100 - violation!.trustPenalty);
      const marks = {
        [violation!.violationId]: {
          accountKey: 'plex:30',
          rule: 'CONCURRENT_STREAMS',
          points: violation!.trustPenalty,
          markedAt: T0 + DAY,
          markedBy: 'admin',
        },
      };
      await first.updateFalseAlarms(marks);
      expect(first.account('plex:30')!.trust.score).toBe(100);
      await first.stop();

      // A new processor rebuilds the account from the events, applies the mark again, publishes nothing new.
      const second = start();
      await second.updateFalseAlarms(marks);
      await second.start();
      await waitFor(() => second.account('plex:30')?.trust.score === 100, 'the mark applied after the replay', 60_000);
      await second.updateFalseAlarms({}, T0 + 2 * DAY);
      expect(second.account('plex:30')!.trust.score).toBe(penalised);
      await second.stop();

      const changes = await trustChanges();
      expect(changes.map((c) => [c.reason, c.delta])).toEqual([
        ['VIOLATION', -violation!.trustPenalty],
        ['FALSE_ALARM', violation!.trustPenalty],
        ['FALSE_ALARM_WITHDRAWN', -violation!.trustPenalty],
      ]);
    },
  );
});

describe('trust adjusted by hand', () => {
  it.each([0, 60_000])(
    'applies each adjustment once, at its time among the events, so a replay reaches the same score (checkpoints every %i ms, 0: none)',
    async (checkpointIntervalMs) => {
      const { send, start, fourStreams, trustChanges } = await trustScenario('adj', checkpointIntervalMs);
      const reset = {
        id: 'reset-1',
        accountKey: 'plex:40',
        kind: 'RESET' as const,
        points: 0,
        at: T0 + 2 * 60 * MIN,
        by: 'admin',
        reason: 'household of five, confirmed',
      };

      // A violation, the reset two hours later, a second violation the next day.
      const first = start();
      await first.start();
      await send(fourStreams('40', T0));
      expect(await first.drain(60_000)).toBe(true);
      const penalised = first.account('plex:40')!.trust.score;
      expect(penalised).toBeLessThan(100);
      await first.updateAdjustments([reset]);
      expect(first.account('plex:40')!.trust.score).toBe(100);
      await send(fourStreams('40', T0 + DAY));
      expect(await first.drain(60_000)).toBe(true);
      const final = first.account('plex:40')!.trust.score;
      expect(final).toBe(penalised);
      await first.stop();

      // Replayed, the reset falls between the two violations again: same score, nothing new published.
      const second = start();
      await second.updateAdjustments([reset]);
      await second.start();
      await waitFor(
        () => (checkpointIntervalMs ? second.stats.restoredFromCheckpoints : second.stats.replayed) > 0,
        'the replay',
        60_000,
      );
      expect(second.account('plex:40')!.trust.score).toBe(final);
      await second.stop();
      const changes = await trustChanges();
      expect(changes.map((c) => c.reason)).toEqual(['VIOLATION', 'RESET', 'VIOLATION']);
      expect(changes[1]).toMatchObject({ newScore: 100, note: 'household of five, confirmed (admin)' });
    },
  );
});
