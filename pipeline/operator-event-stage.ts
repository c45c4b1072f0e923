// The stage that runs the operator events of operator-events.ts inside a pipeline process: it reads
// the playback, server, trust and library topics, makes each record's events and publishes them
// on streamwarden.events, for the notifier and downstream consumers.
import { consumeTopic, publish } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import type { Bus, BusConsumer, BusProducer } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';
import { linksOf, personOfAccount, type People } from './people-store.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import {
  eventOfSample,
  eventOfTrustChange,
  eventsOfPlay,
  NewDeviceAndPlace,
  RecentlyAdded,
  type AccountHistoryLookup,
  type PlayMemory,
} from './operator-events.ts';

type TopicKey = 'playbackEvents' | 'serverMetrics' | 'trustScoreChanges' | 'librarySnapshots' | 'events';

export interface OperatorEventStageOptions {
  bus: Bus;
  logger: Logger;
  /** Devices and places accounts used: without it, no NEW_DEVICE or NEW_LOCATION events. */
  history?: AccountHistoryLookup;
  groupId?: string;
  topicNames?: Partial<Record<TopicKey, string>>;
}

export class OperatorEventStage {
  readonly stats = { published: 0 };
  private readonly consumers: BusConsumer[] = [];
  private producer: BusProducer | undefined;
  private readonly plays: PlayMemory = new Map();
  private readonly serverStates = new Map<string, string>();
  private readonly news: NewDeviceAndPlace | undefined;
  private readonly added = new RecentlyAdded();
  private readonly logger: Logger;
  /** The person of a linked account: the connectors do not know people, the events should. */
  private personOf: (accountKey: string) => string | undefined = () => undefined;

  constructor(private readonly options: OperatorEventStageOptions) {
    this.logger = options.logger.child({ component: 'operator-events' });
    this.news = options.history ? new NewDeviceAndPlace(options.history) : undefined;
  }

  /** People's links changed (people-store.ts); events from now on carry the new ones. */
  updatePeople(people: People): void {
    this.personOf = personOfAccount(people);
    const links = linksOf(people);
    this.news?.updatePeople((personId) => [...(links.get(personId) ?? [])]);
  }

  private name(topic: TopicKey): string {
    return this.options.topicNames?.[topic] ?? topics[topic].name;
  }

  private group(suffix: string): string {
    return `${this.options.groupId ?? 'operator-events'}${suffix}`;
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    const producer = (this.producer = await bus.producer());
    const spec = { ...topics.events, name: this.name('events') };
    const out = async (events: OperatorEvent[]) => {
      if (events.length === 0) return;
      await publish(producer, spec, events);
      this.stats.published += events.length;
    };
    this.consumers.push(
      await consumeTopic(bus, {
        groupId: this.group(''),
        spec: { ...topics.playbackEvents, name: this.name('playbackEvents') },
        deadLetters: producer,
        logger: this.logger,
        handle: async (records) => {
          const plays = records.map((r) => ({
            ...r.value,
            personId: r.value.personId ?? this.personOf(r.value.accountKey) ?? null,
          }));
          const news = this.news ? await this.news.eventsOf(plays) : [];
          await out([...plays.flatMap((e) => eventsOfPlay(e, this.plays)), ...news]);
        },
      }),
      await consumeTopic(bus, {
        groupId: this.group('-library'),
        spec: { ...topics.librarySnapshots, name: this.name('librarySnapshots') },
        deadLetters: producer,
        logger: this.logger,
        handle: (records) => out(records.flatMap((r) => this.added.eventsOf(r.value))),
      }),
      await consumeTopic(bus, {
        groupId: this.group('-trust'),
        spec: { ...topics.trustScoreChanges, name: this.name('trustScoreChanges') },
        deadLetters: producer,
        logger: this.logger,
        handle: (records) =>
          out(
            records
              .map((r) => eventOfTrustChange(r.value))
              .filter((e) => e !== null)
              .map((e) => ({ ...e, personId: this.personOf(e.accountKey!) ?? null })),
          ),
      }),
      await consumeTopic(bus, {
        groupId: this.group('-servers'),
        spec: { ...topics.serverMetrics, name: this.name('serverMetrics') },
        deadLetters: producer,
        logger: this.logger,
        // A server's samples are on one partition: moved elsewhere, its state starts afresh there.
        onAssignment: () => this.serverStates.clear(),
        handle: (records) =>
          out(records.map((r) => eventOfSample(r.value, this.serverStates)).filter((e) => e !== null)),
      }),
    );
    await Promise.all(this.consumers.map((c) => c.ready));
  }

  /** Waits until every record of the four topics has had its events published. */
  async drain(timeoutMs?: number): Promise<boolean> {
    const drained = await Promise.all([
      waitUntilDrained(this.options.bus, this.group(''), [this.name('playbackEvents')], timeoutMs),
      waitUntilDrained(this.options.bus, this.group('-servers'), [this.name('serverMetrics')], timeoutMs),
      waitUntilDrained(this.options.bus, this.group('-trust'), [this.name('trustScoreChanges')], timeoutMs),
      waitUntilDrained(this.options.bus, this.group('-library'), [this.name('librarySnapshots')], timeoutMs),
    ]);
    return drained.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.producer?.close();
  }
}
