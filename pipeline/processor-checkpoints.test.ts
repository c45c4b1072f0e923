// The processor's checkpoints on the real broker: a rebalance moves the state with its partitions,
// and a checkpoint is never taken mid-restore (the rest: processor.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { publish } from '../bus/typed.ts';
import type { Bus } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { GeoIp } from '../core/geoip.ts';
import { topics, type TrustScoreChange, type Violation } from '../schemas/index.ts';
import { newKafkaBus, readTopic, uniqueName } from '../testing/kafka.ts';
import { MIN, T0, fleet, play, rules } from '../testing/scripted-fleet.ts';
import { StreamProcessor } from './processor.ts';

const logger = createLogger('test');
let geo: GeoIp;
let bus: Bus;
beforeAll(async () => {
  geo = await GeoIp.open();
  bus = newKafkaBus();
});
afterAll(() => bus?.close());

const readAll = <T>(spec: { name: string; codec: { decode(b: Buffer | null): T } }) => readTopic(bus, spec);

describe('checkpointed account state', () => {
  it('moves with its partitions in a rebalance between two processors: the same state as an uninterrupted run, each violation once', async () => {
    const names = {
      playbackEvents: uniqueName('cp-events'),
      violations: uniqueName('cp-violations'),
      trustScoreChanges: uniqueName('cp-trust'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 3 })));
    const spec = { ...topics.playbackEvents, name: names.playbackEvents };
    const { early, late, expected } = fleet();
    const producer = await bus.producer();
    const make = (groupId: string, checkpointIntervalMs: number, topicNames = names) =>
      new StreamProcessor({ bus, geo, logger, rules, groupId, topicNames, inactivityCheckMs: 0, checkpointIntervalMs });
    const groupId = uniqueName('pipeline');
    const drained = async (...processors: StreamProcessor[]) => {
      for (const p of processors) expect(await p.drain(60_000)).toBe(true);
    };

    await publish(producer, spec, early);
    const first = make(groupId, 100);
    await first.start();
    await drained(first);
    await waitFor(() => first.stats.checkpointsWritten >= 3, 'checkpoints of every partition');
    const second = make(groupId, 100);
    await second.start();
    await waitFor(() => [0, 1, 2].every((p) => first.owns(p) !== second.owns(p)), 'the partitions to be split');
    await publish(producer, spec, late);
    await drained(first, second);
    expect(second.stats.restoredFromCheckpoints).toBeGreaterThan(0);

    // The same events, uninterrupted, in a group of their own with output topics of their own.
    const own = { ...names, violations: uniqueName('cp-alone-v'), trustScoreChanges: uniqueName('cp-alone-t') };
    await bus.ensureTopics([own.violations, own.trustScoreChanges].map((name) => ({ name, partitions: 3 })));
    const alone = make(uniqueName('alone'), 0, own);
    await alone.start();
    await drained(alone);
    for (const account of [...early, ...late].map((e) => e.accountKey)) {
      const owner = first.account(account) ?? second.account(account);
      expect(owner).toEqual(alone.account(account));
    }
    await Promise.all([first.stop(), second.stop(), alone.stop()]);

    const violations = await readAll<Violation>({ ...topics.violations, name: names.violations });
    expect(Object.fromEntries(violations.map((v) => [v.accountKey, v.rule]))).toEqual(expected);
    expect(violations).toHaveLength(5);
    const changes = await readAll<TrustScoreChange>({ ...topics.trustScoreChanges, name: names.trustScoreChanges });
    expect(new Set(changes.map((c) => c.changeId)).size).toBe(changes.length);
  }, 120_000);
});

describe('checkpoints during a restore', () => {
  it('are not taken until the replay is done: the state restored from the newest equals the uninterrupted one', async () => {
    const names = {
      playbackEvents: uniqueName('cpr-events'),
      violations: uniqueName('cpr-violations'),
      trustScoreChanges: uniqueName('cpr-trust'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 1 })));
    const { early, late } = fleet();
    const filler = Array.from({ length: 200 }, (_, i) =>
      play(`r${i}`, `r-${i}`, `81.2.69.${140 + (i % 10)}`, T0 + i * MIN, T0 + i * MIN + 60 * MIN),
    ).flat();
    const all = [...early, ...late, ...filler].sort((a, b) => a.observedAt - b.observedAt);
    const producer = await bus.producer();
    // In sends of 500: Kafka takes at most 1 MiB per partition and request.
    for (let i = 0; i < all.length; i += 500)
      await publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, all.slice(i, i + 500));
    const groupId = uniqueName('pipeline');
    const make = (checkpointIntervalMs: number) =>
      new StreamProcessor({
        bus,
        geo,
        logger,
        rules,
        groupId,
        topicNames: names,
        inactivityCheckMs: 0,
        checkpointIntervalMs,
      });

    const first = make(0);
    await first.start();
    expect(await first.drain(60_000)).toBe(true);
    const keys = [...new Set(all.map((e) => e.accountKey))];
    const uninterrupted = keys.map((key) => structuredClone(first.account(key)));
    await first.stop();
    // Restored by replaying the whole partition, with a checkpoint due every 5 ms meanwhile.
    const second = make(5);
    await second.start();
    await second.restored();
    expect(second.stats.replayed).toBe(all.length);
    await waitFor(() => second.stats.checkpointsWritten > 0, 'a checkpoint after the restore');
    await second.stop({ checkpoint: false });
    const third = make(60_000);
    await third.start();
    await third.restored();
    expect(third.stats.restoredFromCheckpoints).toBe(1);
    expect(keys.map((key) => third.account(key))).toEqual(uninterrupted);
    await third.stop();
  }, 120_000);
});
