// Rules over people, on the real Kafka broker: the scripted fleet of processor.test.ts extended by
// people with accounts on two servers. The processor copies linked accounts' events to the person
// stage; a finding needs sessions on two accounts, is published once across a crash, and a link
// taken away stops the person's rules at once.
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../bus/typed.ts';
import type { Bus } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { GeoIp } from '../core/geoip.ts';
import { topics, type PlaybackEvent } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { newKafkaBus, readTopic, testBrokers, uniqueName } from '../testing/kafka.ts';
import { PersonStage, type PersonLinks } from './person-stage.ts';
import { StreamProcessor } from './processor.ts';
import { DEFAULT_RULES } from './rules/settings.ts';

const logger = createLogger('test');
const T0 = Date.UTC(2026, 10, 2, 18, 0, 0);
const MIN = 60_000;
const LONDON = '81.2.69.142';
const MOUNTAIN_VIEW = '8.8.8.8';
const CAMBRIDGE = '18.9.22.69';

/** One play of `user` on `server`: STARTED, PROGRESS every 5 minutes, STOPPED at `to`. */
function play(server: string, user: string, session: string, ip: string, from: number, to: number): PlaybackEvent[] {
  const events: PlaybackEvent[] = [];
  const base = samplePlaybackEvent({
    serverId: server,
    serverType: server === 'plex' ? 'PLEX' : 'JELLYFIN',
    accountKey: `${server}:${user}`,
    userId: user,
    userName: `user ${user}`,
    sessionKey: session,
    clientIp: ip,
    device: { ...samplePlaybackEvent().device, deviceId: `${server}-${user}-${session}` },
  });
  for (let at = from; at < to; at += 5 * MIN)
    events.push({ ...base, observedAt: at, eventType: at === from ? 'STARTED' : 'PROGRESS' });
  events.push({ ...base, eventType: 'STOPPED', observedAt: to });
  return events.map((e, i) => ({ ...e, eventId: `${server}-${user}-${session}-${i}` }));
}

const PEOPLE: Record<string, string[]> = {
  // On Plex in London and on Jellyfin in Mountain View at once.
  apart: ['plex:10', 'jelly:10'],
  // Two streams on each server from one address: four over a limit of three, and session keys
  // that collide between the servers ("1" and "2" on both).
  streams: ['plex:11', 'jelly:11'],
  // Four streams on one account: the account's finding, not the person's as well.
  alone: ['plex:13', 'jelly:13'],
};
const links = (from: Record<string, string[]>): PersonLinks =>
  new Map(Object.entries(from).map(([id, accounts]) => [id, new Set(accounts)]));
const personOf = (from: Record<string, string[]>) => (accountKey: string) =>
  Object.entries(from).find(([, accounts]) => accounts.includes(accountKey))?.[0];

function fleet(): PlaybackEvent[] {
  return [
    ...play('plex', '10', 'a', LONDON, T0, T0 + 60 * MIN),
    ...play('jelly', '10', 'b', MOUNTAIN_VIEW, T0 + 10 * MIN, T0 + 60 * MIN),
    ...['1', '2'].flatMap((s, i) => [
      ...play('plex', '11', s, CAMBRIDGE, T0 + i * MIN, T0 + 60 * MIN),
      ...play('jelly', '11', s, CAMBRIDGE, T0 + (2 + i) * MIN, T0 + 60 * MIN),
    ]),
    // The same as `apart`, but no one linked these accounts.
    ...play('plex', '12', 'a', LONDON, T0, T0 + 60 * MIN),
    ...play('jelly', '12', 'b', MOUNTAIN_VIEW, T0 + 10 * MIN, T0 + 60 * MIN),
    ...['1', '2', '3', '4'].flatMap((s, i) => play('plex', '13', s, CAMBRIDGE, T0 + i * MIN, T0 + 60 * MIN)),
    ...play('jelly', '13', 'x', CAMBRIDGE, T0 + 30 * MIN, T0 + 40 * MIN),
  ].sort((a, b) => a.observedAt - b.observedAt);
}

let geo: GeoIp;
let bus: Bus;
beforeAll(async () => {
  geo = await GeoIp.open();
  bus = newKafkaBus();
});
afterAll(() => bus?.close());

const readAll = (name: string) => readTopic(bus, { ...topics.violations, name });

async function rewindToStart(groupId: string, topic: string): Promise<void> {
  const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
  await admin.connect();
  const committed = await bus.committedOffsets(groupId, topic);
  await admin.setOffsets({
    groupId,
    topic,
    partitions: [...committed.keys()].map((partition) => ({ partition, offset: '0' })),
  });
  await admin.disconnect();
}

describe('rules over people on the real Kafka broker', () => {
  it.each([0, 60_000])(
    'find what a person does across servers once, across a crash, and stop when a link is taken away (checkpoints every %i ms, 0: none)',
    async (checkpointIntervalMs) => {
      const names = {
        playbackEvents: uniqueName('pp-events'),
        personPlays: uniqueName('pp-person'),
        violations: uniqueName('pp-violations'),
        trustScoreChanges: uniqueName('pp-trust'),
      };
      await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 3 })));
      const groups = { processor: uniqueName('pipeline'), people: uniqueName('people') };
      const people = structuredClone(PEOPLE);
      const events = fleet();
      const split = T0 + 20 * MIN;
      const copiesOf = (list: PlaybackEvent[]) => list.filter((e) => personOf(people)(e.accountKey)).length;
      const start = async () => {
        const processor = new StreamProcessor({
          bus,
          geo,
          logger,
          rules: DEFAULT_RULES,
          groupId: groups.processor,
          topicNames: names,
          inactivityCheckMs: 0,
          checkpointIntervalMs,
        });
        processor.updatePeople(personOf(people));
        const stage = new PersonStage({
          bus,
          geo,
          logger,
          rules: DEFAULT_RULES,
          people: links(people),
          groupId: groups.people,
          topicNames: names,
          checkpointIntervalMs,
        });
        await stage.start();
        await processor.start();
        return { processor, stage };
      };
      const producer = await bus.producer();
      const spec = { ...topics.playbackEvents, name: names.playbackEvents };

      /**
       * Live, as servers report them, so the person stage sees a person's plays in the order they
       * happen (a catch-up after downtime copies each partition's backlog in turn: README).
       */
      const live = async (processor: StreamProcessor, list: PlaybackEvent[]) => {
        for (const at of [...new Set(list.map((e) => e.observedAt))]) {
          const now = list.filter((e) => e.observedAt === at);
          const before = processor.stats.events;
          await publish(producer, spec, now);
          await waitFor(() => processor.stats.events === before + now.length, 'the plays to be processed', 60_000);
        }
      };
      const first = await start();
      await live(
        first.processor,
        events.filter((e) => e.observedAt < split),
      );
      const early = copiesOf(events.filter((e) => e.observedAt < split));
      await waitFor(() => first.stage.stats.events === early, 'the person stage to see the early copies', 60_000);
      expect(await first.processor.drain(30_000)).toBe(true);
      expect(await first.stage.drain(30_000)).toBe(true);
      await first.processor.stop();
      await first.stage.stop();

      // A crash of both before they committed anything: without checkpoints every event is processed
      // and copied again; with them, the checkpoints written at the stop hold the early events.
      await rewindToStart(groups.processor, names.playbackEvents);
      await rewindToStart(groups.people, names.personPlays);
      const lateEvents = events.filter((e) => e.observedAt >= split);
      await publish(producer, spec, lateEvents);
      const second = await start();
      await waitFor(
        () => second.processor.stats.events === (checkpointIntervalMs ? lateEvents : events).length,
        'the second processor to process everything again',
        60_000,
      );
      expect(await second.processor.drain(30_000)).toBe(true);
      expect(await second.stage.drain(30_000)).toBe(true);
      if (checkpointIntervalMs) {
        expect(second.stage.stats.restoredFromCheckpoints).toBe(3);
        expect(second.stage.stats.events).toBe(copiesOf(lateEvents));
      } else {
        expect(second.stage.stats.events).toBe(early + copiesOf(events));
        expect(second.stage.stats.suppressedAsPublished).toBeGreaterThan(0);
      }

      const violations = await readAll(names.violations);
      const byPerson = violations.filter((v) => v.personId);
      expect(byPerson.map((v) => [v.personId, v.rule]).sort()).toEqual([
        ['apart', 'SIMULTANEOUS_LOCATIONS'],
        ['streams', 'CONCURRENT_STREAMS'],
      ]);
      const apart = byPerson.find((v) => v.personId === 'apart')!;
      expect(
        apart.evidence.locations.map((l) => [l.serverId, l.accountKey, l.sessionKey, l.countryCode]).sort(),
      ).toEqual([
        ['jelly', 'jelly:10', 'b', 'US'],
        ['plex', 'plex:10', 'a', 'GB'],
      ]);
      expect(apart).toMatchObject({ accountKey: 'jelly:10', serverId: 'jelly', trustPenalty: 0 });
      expect(apart.summary).toMatch(/at once, .* apart, on 2 servers of one person$/);
      const streams = byPerson.find((v) => v.personId === 'streams')!;
      expect(streams.evidence.count).toBe(4);
      expect(streams.evidence.locations.map((l) => `${l.serverId}/${l.sessionKey}`).sort()).toEqual([
        'jelly/1',
        'jelly/2',
        'plex/1',
        'plex/2',
      ]);
      // Accounts' own findings are the processor's, each once; the unlinked pair is no one's.
      expect(violations.filter((v) => !v.personId).map((v) => [v.accountKey, v.rule])).toEqual([
        ['plex:13', 'CONCURRENT_STREAMS'],
      ]);
      expect(new Set(violations.map((v) => v.violationId)).size).toBe(violations.length);

      // The link taken away: the same plays again find nothing for that person.
      delete people.apart;
      second.processor.updatePeople(personOf(people));
      second.stage.updatePeople(links(people));
      expect(second.stage.person('apart')).toBeUndefined();
      const later = [
        ...play('plex', '10', 'c', LONDON, T0 + 120 * MIN, T0 + 150 * MIN),
        ...play('jelly', '10', 'd', MOUNTAIN_VIEW, T0 + 125 * MIN, T0 + 150 * MIN),
        // Another person's plays still count: a third and fourth stream on one server, with two on the other.
        ...['5', '6'].flatMap((s, i) => play('plex', '11', s, CAMBRIDGE, T0 + (120 + i) * MIN, T0 + 150 * MIN)),
        ...['7', '8'].flatMap((s, i) => play('jelly', '11', s, CAMBRIDGE, T0 + (122 + i) * MIN, T0 + 150 * MIN)),
      ].sort((a, b) => a.observedAt - b.observedAt);
      await live(second.processor, later);
      expect(await second.processor.drain(30_000)).toBe(true);
      expect(await second.stage.drain(30_000)).toBe(true);
      await second.processor.stop();
      await second.stage.stop();
      await producer.close();
      const after = (await readAll(names.violations)).filter((v) => v.personId);
      expect(after.map((v) => [v.personId, v.rule]).sort()).toEqual([
        ['apart', 'SIMULTANEOUS_LOCATIONS'],
        ['streams', 'CONCURRENT_STREAMS'],
        ['streams', 'CONCURRENT_STREAMS'],
      ]);
    },
  );
});
