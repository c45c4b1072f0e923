// Rules over a person: one human's accounts on any servers (people-store.ts). The processor copies
// the events of linked accounts to streamwarden.person-plays keyed by the person, so one consumer
// here sees all of a person's plays whichever partitions their accounts are on, and runs the two
// rules that are about a human rather than one server's account: simultaneous locations and
// concurrent streams. A finding is published only when its sessions are on two accounts or more;
// what one account does alone is the account's own finding (processor.ts), never counted twice.
//
// Restart and rebalance as in the processor: the state of an assigned partition's people is
// restored from its newest checkpoint and the records after it are replayed up to the committed
// offset, without publishing; the ids of findings published since the checkpoint are read back.
// A link change starts the changed people's windows afresh (README: what a merge does to windows
// in progress).
import { PublishedIds, publishedSince, readPublishedIds, type PublishedSince } from './published-ids.ts';
import {
  notRestored,
  openCheckpointer,
  processed,
  replayToCommit,
  type Checkpointer,
  type RestoredPartition,
} from './checkpointer.ts';
import type { Checkpoint } from './checkpoints.ts';
import { consumeTopic, publish } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import { partitionOfKey } from '../bus/partition-of.ts';
import type { Bus, BusConsumer, BusProducer } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';
import { placeOf, type GeoLookup } from '../core/geoip.ts';
import type { NetworkLookup } from '../core/networks.ts';
import { topics, type PlaybackEvent, type TopicSpec, type Violation } from '../schemas/index.ts';
import { newAccountState, type AccountState } from './account-state.ts';
import { Detector } from './detector.ts';
import { RULES } from './rules/registry.ts';
import type { RuleBase } from './rules/rule.ts';
import { settingsFor, type RuleOverrides, type RuleSettings } from './rules/settings.ts';

/** The rules that run over a person's accounts together. */
const PERSON_RULES = new Set(['simultaneousLocations', 'concurrentStreams']);

/** A person's accounts, by person id. */
export type PersonLinks = ReadonlyMap<string, ReadonlySet<string>>;

export interface PersonStageOptions {
  bus: Bus;
  /** Places events written before they carried their place. */
  geo?: GeoLookup;
  logger: Logger;
  rules: RuleSettings;
  overrides?: (accountKey: string) => RuleOverrides | undefined;
  people: PersonLinks;
  networks?: NetworkLookup;
  groupId?: string;
  topicNames?: Partial<Record<'personPlays' | 'violations', string>>;
  /** How often changed partitions' state is checkpointed (default 60 s); 0: never (a restart replays the retained history). */
  checkpointIntervalMs?: number;
}

interface PersonState {
  /** The detector's state of the person, as if all their accounts were one. */
  state: AccountState;
  /** The accounts it was built from: a change of them starts it afresh. */
  accounts: string;
  /** Each session's last event: a copy seen again, or an older one, changes nothing. */
  sessions: Map<string, { at: number; eventId: string; stopped: boolean }>;
}

/** A person's state as a checkpoint holds it (JSON: the sessions as entries). */
interface StoredPerson {
  personId: string;
  state: AccountState;
  accounts: string;
  sessions: Array<[string, { at: number; eventId: string; stopped: boolean }]>;
}

interface PartitionState extends RestoredPartition<StoredPerson[]> {
  people: Map<string, PersonState>;
}

type Checkpoints = Map<number, Checkpoint<StoredPerson[]> | undefined>;

const SESSION_MEMORY_MS = 86_400_000;

/** Sessions of a person are told apart by server and account: session keys are only unique per server. */
const SEP = '\u0000';
const sessionOf = (e: PlaybackEvent) => [e.serverId, e.accountKey, e.sessionKey].join(SEP);
const accountsKey = (accounts: ReadonlySet<string> | undefined) => [...(accounts ?? [])].sort().join('+');

export class PersonStage {
  readonly stats = {
    events: 0,
    violations: 0,
    replayed: 0,
    restoredFromCheckpoints: 0,
    unlinked: 0,
    repeated: 0,
    suppressedAsPublished: 0,
  };
  private readonly partitions = new Map<number, PartitionState>();
  private checkpointer: Checkpointer<StoredPerson[]> | undefined;
  private readonly published = new PublishedIds();
  private readonly detectors = new Map<string, Detector>();
  private readonly specs: { plays: TopicSpec<PlaybackEvent>; violations: TopicSpec<Violation> };
  private readonly logger: Logger;
  private readonly groupId: string;
  private rules: { settings: RuleSettings; overrides?: (accountKey: string) => RuleOverrides | undefined };
  private people: PersonLinks;
  private producer: BusProducer | undefined;
  private consumer: BusConsumer | undefined;

  constructor(private readonly options: PersonStageOptions) {
    this.logger = options.logger.child({ component: 'person-stage' });
    this.groupId = options.groupId ?? 'pipeline-people';
    this.rules = { settings: options.rules, overrides: options.overrides };
    this.people = options.people;
    this.specs = {
      plays: { ...topics.personPlays, name: options.topicNames?.personPlays ?? topics.personPlays.name },
      violations: { ...topics.violations, name: options.topicNames?.violations ?? topics.violations.name },
    };
  }

  async start(): Promise<void> {
    this.producer = await this.options.bus.producer();
    this.checkpointer = await openCheckpointer<StoredPerson[]>({
      bus: this.options.bus,
      logger: this.logger,
      sourceTopic: this.specs.plays.name,
      groupId: this.groupId,
      outputTopics: [this.specs.violations.name],
      intervalMs: this.options.checkpointIntervalMs ?? 60_000,
    });
    this.consumer = await consumeTopic(this.options.bus, {
      groupId: this.groupId,
      spec: this.specs.plays,
      deadLetters: this.producer,
      logger: this.logger,
      onAssignment: (partitions) => this.assign(partitions),
      handle: (records, partition) => this.process(records, partition),
    });
    await this.consumer.ready;
    this.checkpointer?.start(() => this.partitions.entries());
  }

  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(this.options.bus, this.groupId, [this.specs.plays.name], timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.checkpointer?.stop(this.partitions.entries());
  }

  updateRules(settings: RuleSettings, overrides?: (accountKey: string) => RuleOverrides | undefined): void {
    this.rules = { settings, overrides };
    this.detectors.clear();
  }

  /**
   * New links. A person whose accounts changed (linked, unlinked, merged) starts afresh: plays of
   * the accounts it had before are not those of the person it is now. Their live plays come back
   * with their next events (every poll or server notification).
   */
  updatePeople(people: PersonLinks): void {
    this.people = people;
    this.detectors.clear();
    for (const partition of this.partitions.values()) this.forgetChanged(partition);
  }

  /** Drops the people whose accounts are not those they were built from. */
  private forgetChanged(partition: PartitionState): void {
    for (const [personId, person] of partition.people)
      if (person.accounts !== accountsKey(this.people.get(personId))) {
        partition.people.delete(personId);
        partition.changed = true;
      }
  }

  /** A person's state on this processor (for tests and the API). */
  person(personId: string): AccountState | undefined {
    for (const p of this.partitions.values()) {
      const person = p.people.get(personId);
      if (person) return person.state;
    }
    return undefined;
  }

  /** One person's settings: the global ones, with the largest stream limit and every exemption of their accounts. */
  private detector(personId: string): Detector {
    let detector = this.detectors.get(personId);
    if (detector) return detector;
    const base = this.rules.settings;
    const own = [...(this.people.get(personId) ?? [])].map((a) => settingsFor(base, this.rules.overrides?.(a)));
    const settings = structuredClone(base);
    const all = settings as unknown as Record<string, RuleBase>;
    for (const rule of RULES) if (!PERSON_RULES.has(rule.settingsKey)) all[rule.settingsKey]!.enabled = false;
    // An account exempt from a rule keeps its person out of it too: the admin said it may do that.
    settings.simultaneousLocations.enabled &&= own.every((s) => s.simultaneousLocations.enabled);
    settings.concurrentStreams.enabled &&= own.every((s) => s.concurrentStreams.enabled);
    settings.concurrentStreams.maxStreams = Math.max(
      base.concurrentStreams.maxStreams,
      ...own.map((s) => s.concurrentStreams.maxStreams),
    );
    settings.exemptions = {
      trustedCidrs: [...new Set(own.flatMap((s) => s.exemptions.trustedCidrs))],
      trustedDeviceIds: [...new Set(own.flatMap((s) => s.exemptions.trustedDeviceIds))],
    };
    detector = new Detector(settings, this.options.networks);
    this.detectors.set(personId, detector);
    return detector;
  }

  private apply(people: Map<string, PersonState>, event: PlaybackEvent): Violation[] {
    const personId = event.personId;
    const accounts = personId ? this.people.get(personId) : undefined;
    // Copied under a link that has changed since: not this person's play any more.
    if (!personId || !accounts?.has(event.accountKey)) {
      this.stats.unlinked++;
      return [];
    }
    let person = people.get(personId);
    if (!person) {
      const state = newAccountState(
        `person:${personId}`,
        event.serverId,
        event.userId,
        event.userName,
        event.observedAt,
      );
      person = { state, accounts: accountsKey(accounts), sessions: new Map() };
      people.set(personId, person);
    }
    const session = sessionOf(event);
    const last = person.sessions.get(session);
    if (last && (last.stopped || event.observedAt < last.at || last.eventId === event.eventId)) {
      this.stats.repeated++;
      return [];
    }
    person.sessions.set(session, {
      at: event.observedAt,
      eventId: event.eventId,
      stopped: event.eventType === 'STOPPED',
    });
    for (const [key, seen] of person.sessions)
      if (seen.at < event.observedAt - SESSION_MEMORY_MS) person.sessions.delete(key);
    const found = this.detector(personId).observe(
      person.state,
      { ...event, sessionKey: session },
      placeOf(event, this.options.geo),
    );
    // The person's own score is not published: a person's trust is read from their accounts'.
    return found.violations.flatMap((v) => acrossAccounts(v, personId, event));
  }

  private async process(
    records: Array<{ value: PlaybackEvent; record: { offset: string } }>,
    partition: number,
  ): Promise<void> {
    const owned = this.partitions.get(partition);
    if (!owned) throw new Error(`partition ${partition} is not assigned to this person stage`);
    await owned.ready;
    const end = await this.checkpointer?.enter(partition);
    try {
      records = notRestored(owned, records);
      if (records.length === 0) return;
      const found = records.flatMap((r) => this.apply(owned.people, r.value));
      this.stats.events += records.length;
      await this.publish(found);
      processed(owned, records);
    } finally {
      end?.();
    }
  }

  private async publish(found: Violation[]): Promise<void> {
    const fresh = found.filter((v) => !this.published.has(v.violationId));
    this.stats.suppressedAsPublished += found.length - fresh.length;
    if (fresh.length === 0) return;
    await publish(this.producer!, this.specs.violations, fresh);
    for (const v of fresh) {
      this.published.add(v.violationId, v.detectedAt);
      this.logger.info({ rule: v.rule, person: v.personId, summary: v.summary }, 'violation across accounts');
    }
    this.stats.violations += fresh.length;
  }

  private assign(partitions: number[]): void {
    for (const p of [...this.partitions.keys()]) if (!partitions.includes(p)) this.partitions.delete(p);
    const added = partitions.filter((p) => !this.partitions.has(p));
    if (added.length === 0) return;
    const loaded: Promise<Checkpoints> = this.checkpointer?.load(added) ?? Promise.resolve(new Map());
    const published = loaded.then((checkpoints) =>
      this.readPublished(new Set(added), publishedSince(added.map((p) => checkpoints.get(p)))),
    );
    for (const p of added) {
      const people = new Map<string, PersonState>();
      const state: PartitionState = {
        people,
        ready: Promise.resolve(),
        skipBelow: 0n,
        next: undefined,
        changed: false,
        snapshot: () =>
          [...people].map(([personId, person]) => ({ personId, ...person, sessions: [...person.sessions] })),
      };
      state.ready = this.restore(p, state, loaded, published);
      this.partitions.set(p, state);
    }
  }

  private async restore(
    partition: number,
    owned: PartitionState,
    loaded: Promise<Checkpoints>,
    published: Promise<void>,
  ): Promise<void> {
    const started = Date.now();
    await published;
    const bus = this.options.bus;
    const people = owned.people;
    const checkpoint = (await loaded).get(partition);
    const from = checkpoint ? BigInt(checkpoint.offset) : 0n;
    if (checkpoint) {
      for (const { personId, sessions, ...person } of checkpoint.state)
        people.set(personId, { ...person, sessions: new Map(sessions) });
      // Links changed while no one held the partition.
      this.forgetChanged(owned);
      owned.skipBelow = from;
      this.stats.restoredFromCheckpoints++;
    }
    const { replayed, next } = await replayToCommit(bus, this.groupId, this.specs.plays, partition, from, (event) =>
      this.apply(people, event),
    );
    this.stats.replayed += replayed;
    // From here on the state may be checkpointed: it reflects every record before this offset.
    owned.next = next;
    this.logger.info(
      { partition, people: people.size, checkpoint: checkpoint?.offset ?? null, replayed, ms: Date.now() - started },
      'person state restored',
    );
  }

  /** Ids of the cross-account findings already published for the people of these partitions. */
  private async readPublished(partitions: ReadonlySet<number>, since: PublishedSince | undefined): Promise<void> {
    const partitionOf = await partitionOfKey(this.options.bus, this.specs.plays.name);
    await readPublishedIds(
      this.options.bus,
      this.specs.violations,
      (v) => v.personId != null && partitions.has(partitionOf(v.personId)),
      since,
      (v) => this.published.add(v.violationId, v.detectedAt),
    );
  }
}

/**
 * The person's finding as published: kept only when its sessions are on two accounts or more,
 * each evidence location naming its server and account, the account of the event that completed
 * it as the violation's account. It takes no trust points: no one account did it.
 */
function acrossAccounts(v: Violation, personId: string, event: PlaybackEvent): Violation[] {
  const locations = v.evidence.locations.map((l) => {
    const [serverId, accountKey, sessionKey] = l.sessionKey.split(SEP) as [string, string, string];
    return { ...l, serverId, accountKey, sessionKey };
  });
  const accounts = new Set(locations.map((l) => l.accountKey));
  if (accounts.size < 2) return [];
  const servers = new Set(locations.map((l) => l.serverId));
  return [
    {
      ...v,
      accountKey: event.accountKey,
      serverId: event.serverId,
      userId: event.userId,
      userName: event.userName,
      personId,
      trustPenalty: 0,
      sessionKeys: [...new Set(locations.map((l) => l.sessionKey))],
      summary: `${v.summary}, on ${servers.size > 1 ? `${servers.size} servers` : `${accounts.size} accounts`} of one person`,
      evidence: { ...v.evidence, locations },
    },
  ];
}
