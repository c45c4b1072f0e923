// The stream processor: consumes playback events in a consumer group (processors split accounts
// by partition), reads the place their producer put on them, keeps each account's state, runs the rules and publishes
// violations and trust score changes.
//
// Restart and rebalance: when it is given a partition, the processor restores the state of that
// partition's accounts from its newest checkpoint (checkpointer.ts, written every minute) and
// replays the records after it up to the group's committed offset without publishing (the
// detector is deterministic, so the state is the one an uninterrupted run has); without a
// checkpoint it replays the whole retained partition. It reads back which violations and trust
// changes were published since the checkpoint. A batch processed again after a crash therefore
// changes the state exactly as the first time and publishes nothing twice, and records a
// checkpoint newer than the commit already holds are skipped.
import type { CacheSize } from '../core/cache-size.ts';
import { consumeTopic } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import { partitionOfKey } from '../bus/partition-of.ts';
import type { Bus, BusConsumer, BusProducer } from '../bus/types.ts';
import { publish } from '../bus/typed.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type TopicSpec, type TrustScoreChange, type Violation } from '../schemas/index.ts';
import type { AccountState } from './account-state.ts';
import { Detector, type Findings } from './detector.ts';
import { placeOf, type GeoLookup } from '../core/geoip.ts';
import type { NetworkLookup } from '../core/networks.ts';
import type { RuleSettings } from './rules/settings.ts';
import { AccountDetectors, type OverridesOf } from './account-detectors.ts';
import type { FalseAlarmMarks } from './false-alarms.ts';
import type { TrustAdjustment } from './trust-adjustments.ts';
import { ChangesByHand } from './by-hand.ts';
import { PublishedIds, publishedSince, readPublishedIds, type PublishedSince } from './published-ids.ts';
import {
  ALL,
  notRestored,
  openCheckpointer,
  processed,
  replayToCommit,
  type Checkpointer,
  type RestoredPartition,
} from './checkpointer.ts';
import type { Checkpoint } from './checkpoints.ts';

export interface ProcessorOptions {
  bus: Bus;
  /** Places events written before they carried their place (schema version 3). */
  geo?: GeoLookup;
  logger: Logger;
  rules: RuleSettings;
  /** Per-account overrides and exemptions. */
  overrides?: OverridesOf;
  groupId?: string;
  topicNames?: Partial<Record<'playbackEvents' | 'violations' | 'trustScoreChanges' | 'personPlays', string>>;
  /** How long a published finding's id is remembered after newer ones (default: 7 days, the bus's retention). */
  publishedHorizonMs?: number;
  /** How often idle accounts are checked (default hourly); 0 turns the check off. */
  inactivityCheckMs?: number;
  /** Hosting, mobile and access networks, for the detector (core/networks.ts). */
  networks?: NetworkLookup;
  /**
   * How often changed partitions' account state is checkpointed (default 60 s): a restart replays
   * at most about this much. 0 turns checkpoints off, and a restart replays the retained history.
   */
  checkpointIntervalMs?: number;
}

export interface ProcessorStats {
  events: number;
  violations: number;
  trustChanges: number;
  replayed: number;
  /** Partitions whose state was restored from a checkpoint. */
  restoredFromCheckpoints: number;
  checkpointsWritten: number;
  suppressedAsPublished: number;
  /** Events of linked accounts copied to the person stage. */
  personCopies: number;
}

interface PartitionState extends RestoredPartition<AccountState[]> {
  accounts: Map<string, AccountState>;
}

type Checkpoints = Map<number, Checkpoint<AccountState[]> | undefined>;

export class StreamProcessor {
  readonly stats: ProcessorStats = {
    events: 0,
    violations: 0,
    trustChanges: 0,
    replayed: 0,
    restoredFromCheckpoints: 0,
    checkpointsWritten: 0,
    suppressedAsPublished: 0,
    personCopies: 0,
  };
  private readonly partitions = new Map<number, PartitionState>();
  private readonly published: { violations: PublishedIds; trust: PublishedIds };
  private readonly detectors: AccountDetectors;
  private readonly specs: {
    events: TopicSpec<PlaybackEvent>;
    violations: TopicSpec<Violation>;
    trust: TopicSpec<TrustScoreChange>;
    personPlays: TopicSpec<PlaybackEvent>;
  };
  private readonly logger: Logger;
  private readonly groupId: string;
  private producer: BusProducer | undefined;
  private consumer: BusConsumer | undefined;
  private inactivityTimer: NodeJS.Timeout | undefined;
  private checkpointer: Checkpointer<AccountState[]> | undefined;
  private readonly byHand = new ChangesByHand();
  /** The person each linked account belongs to (people-store.ts): their events are copied to the person stage. */
  private personOf: (accountKey: string) => string | undefined = () => undefined;

  constructor(private readonly options: ProcessorOptions) {
    this.logger = options.logger.child({ component: 'processor' });
    this.detectors = new AccountDetectors(options.rules, options.overrides, options.networks);
    this.published = {
      violations: new PublishedIds(options.publishedHorizonMs),
      trust: new PublishedIds(options.publishedHorizonMs),
    };
    this.groupId = options.groupId ?? 'pipeline';
    const named = <T>(spec: TopicSpec<T>, name: string | undefined): TopicSpec<T> => ({
      ...spec,
      name: name ?? spec.name,
    });
    this.specs = {
      events: named(topics.playbackEvents, options.topicNames?.playbackEvents),
      violations: named(topics.violations, options.topicNames?.violations),
      trust: named(topics.trustScoreChanges, options.topicNames?.trustScoreChanges),
      personPlays: named(topics.personPlays, options.topicNames?.personPlays),
    };
  }

  /** What this processor holds in memory: the ids of the retained findings, detectors, account states. */
  caches(): CacheSize[] {
    let accounts = 0;
    for (const p of this.partitions.values()) accounts += p.accounts.size;
    return [
      { cache: 'published-violation-ids', entries: this.published.violations.size },
      { cache: 'published-trust-change-ids', entries: this.published.trust.size },
      { cache: 'account-detectors', entries: this.detectors.size },
      { cache: 'account-states', entries: accounts },
    ];
  }

  async start(): Promise<void> {
    this.producer = await this.options.bus.producer();
    this.checkpointer = await openCheckpointer<AccountState[]>({
      bus: this.options.bus,
      logger: this.logger,
      sourceTopic: this.specs.events.name,
      groupId: this.groupId,
      outputTopics: [this.specs.violations.name, this.specs.trust.name],
      intervalMs: this.options.checkpointIntervalMs ?? 60_000,
      onSaved: () => this.stats.checkpointsWritten++,
    });
    this.consumer = await consumeTopic(this.options.bus, {
      groupId: this.groupId,
      spec: this.specs.events,
      deadLetters: this.producer,
      logger: this.logger,
      onAssignment: (partitions) => this.assign(partitions),
      handle: (records, partition) => this.process(records, partition),
    });
    await this.consumer.ready;
    this.checkpointer?.start(() => this.partitions.entries());
    const every = this.options.inactivityCheckMs ?? 3_600_000;
    if (every > 0) {
      this.inactivityTimer = setInterval(
        () =>
          void this.checkInactivity(Date.now()).catch((err: unknown) =>
            this.logger.error({ err }, 'inactivity check failed'),
          ),
        every,
      );
      this.inactivityTimer.unref();
    }
  }

  /** Waits until every playback event on the bus has been processed and committed. */
  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(this.options.bus, this.groupId, [this.specs.events.name], timeoutMs);
  }

  /** Stops; `checkpoint: false` leaves the last checkpoint as it is (as a crash would: for benches). */
  async stop(options: { checkpoint?: boolean } = {}): Promise<void> {
    clearInterval(this.inactivityTimer);
    await this.consumer?.stop();
    await this.checkpointer?.stop(options.checkpoint === false ? undefined : this.partitions.entries());
  }

  /** Resolves once the state of every partition this processor was given is restored. */
  async restored(): Promise<void> {
    await this.consumer?.ready;
    await Promise.all([...this.partitions.values()].map((p) => p.ready));
  }

  /** Checkpoints due now (the timer's work; for tests and benches). */
  async checkpoint(): Promise<void> {
    await this.checkpointer?.saveDue(this.partitions.entries());
  }

  /** Whether this processor is given that partition of the playback events now. */
  owns(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** The state of an account this processor owns (for the API and tests). */
  account(accountKey: string): AccountState | undefined {
    for (const p of this.partitions.values()) {
      const state = p.accounts.get(accountKey);
      if (state) return state;
    }
    return undefined;
  }

  /** Runs the scheduled inactivity rule over the owned accounts. */
  async checkInactivity(now: number): Promise<void> {
    const end = await this.checkpointer?.enter(ALL);
    try {
      const findings: Findings = { violations: [], trustChanges: [] };
      for (const p of this.partitions.values()) {
        await p.ready;
        for (const state of p.accounts.values()) {
          const out = this.detectors.of(state.accountKey).checkInactivity(state, now);
          findings.violations.push(...out.violations);
          findings.trustChanges.push(...out.trustChanges);
        }
        p.changed = true;
      }
      await this.publish(findings);
    } finally {
      end?.();
    }
  }

  /** New false-alarm marks: the owned accounts' scores given back or taken again, published. */
  async updateFalseAlarms(marks: FalseAlarmMarks, now = Date.now()): Promise<void> {
    this.byHand.setMarks(marks);
    await this.settle((state) => this.byHand.settleMarks(state, now));
  }

  /** The adjustments by hand: those not applied yet are applied and published. */
  async updateAdjustments(adjustments: readonly TrustAdjustment[], now = Date.now()): Promise<void> {
    this.byHand.setAdjustments(adjustments);
    await this.settle((state) => this.byHand.applyAdjustments(state, now));
  }

  private async settle(changesOf: (state: AccountState) => TrustScoreChange[]): Promise<void> {
    const end = await this.checkpointer?.enter(ALL);
    try {
      const findings: Findings = { violations: [], trustChanges: [] };
      for (const p of this.partitions.values()) {
        await p.ready;
        for (const state of p.accounts.values()) findings.trustChanges.push(...changesOf(state));
        p.changed = true;
      }
      await this.publish(findings);
    } finally {
      end?.();
    }
  }

  /**
   * New links of accounts to people, from the next event on. Events already processed are not
   * copied again: the person stage starts a changed person's windows afresh (person-stage.ts).
   */
  updatePeople(personOf: (accountKey: string) => string | undefined): void {
    this.personOf = personOf;
  }

  /**
   * New rule parameters from the next event on. Account state is kept: the rules read it, they
   * do not own it, so changed thresholds apply to the windows already collected.
   */
  updateRules(settings: RuleSettings, overrides?: OverridesOf): void {
    this.detectors.update(settings, overrides);
  }

  private apply(accounts: Map<string, AccountState>, event: PlaybackEvent): Findings {
    let state = accounts.get(event.accountKey);
    if (!state) {
      state = Detector.stateFor(event);
      accounts.set(event.accountKey, state);
    }
    const byHand = this.byHand.due(state, event.observedAt);
    const found = this.detectors.of(event.accountKey).observe(state, event, placeOf(event, this.options.geo));
    return byHand.length ? { ...found, trustChanges: [...byHand, ...found.trustChanges] } : found;
  }

  private async process(
    records: Array<{ value: PlaybackEvent; record: { offset: string } }>,
    partition: number,
  ): Promise<void> {
    const owned = this.partitions.get(partition);
    if (!owned) throw new Error(`partition ${partition} is not assigned to this processor`);
    await owned.ready;
    const end = await this.checkpointer?.enter(partition);
    try {
      records = notRestored(owned, records);
      if (records.length === 0) return;
      const findings: Findings = { violations: [], trustChanges: [] };
      const copies: PlaybackEvent[] = [];
      for (const { value: event } of records) {
        const out = this.apply(owned.accounts, event);
        findings.violations.push(...out.violations);
        findings.trustChanges.push(...out.trustChanges);
        const personId = this.personOf(event.accountKey);
        if (personId) copies.push({ ...event, personId });
      }
      this.stats.events += records.length;
      await this.publish(findings);
      // Before the batch is committed: a crash copies it again, and the person stage skips an
      // event of a session it has seen that event or a later one of (person-stage.ts).
      if (copies.length > 0) await publish(this.producer!, this.specs.personPlays, copies);
      this.stats.personCopies += copies.length;
      processed(owned, records);
    } finally {
      end?.();
    }
  }

  private async publish(findings: Findings): Promise<void> {
    const violations = findings.violations.filter((v) => !this.published.violations.has(v.violationId));
    const changes = findings.trustChanges.filter((c) => !this.published.trust.has(c.changeId));
    this.stats.suppressedAsPublished +=
      findings.violations.length - violations.length + findings.trustChanges.length - changes.length;
    if (violations.length > 0) await publish(this.producer!, this.specs.violations, violations);
    if (changes.length > 0) await publish(this.producer!, this.specs.trust, changes);
    for (const v of violations) this.published.violations.add(v.violationId, v.detectedAt);
    for (const c of changes) this.published.trust.add(c.changeId, c.changedAt);
    this.stats.violations += violations.length;
    this.stats.trustChanges += changes.length;
    for (const v of violations)
      this.logger.info({ rule: v.rule, account: v.accountKey, summary: v.summary }, 'violation');
  }

  private assign(partitions: number[]): void {
    for (const p of [...this.partitions.keys()]) if (!partitions.includes(p)) this.partitions.delete(p);
    const added = partitions.filter((p) => !this.partitions.has(p));
    if (added.length === 0) return;
    const loaded: Promise<Checkpoints> = this.checkpointer?.load(added) ?? Promise.resolve(new Map());
    // The output topics are read once for all partitions this assignment adds, from the oldest of their checkpoints.
    const published = loaded.then((checkpoints) =>
      this.readPublished(new Set(added), publishedSince(added.map((p) => checkpoints.get(p)))),
    );
    for (const p of added) {
      const accounts = new Map<string, AccountState>();
      const state: PartitionState = {
        accounts,
        ready: Promise.resolve(),
        skipBelow: 0n,
        next: undefined,
        changed: false,
        snapshot: () => [...accounts.values()],
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
    const bus = this.options.bus;
    const started = Date.now();
    await published;
    const accounts = owned.accounts;
    const checkpoint = (await loaded).get(partition);
    const from = checkpoint ? BigInt(checkpoint.offset) : 0n;
    if (checkpoint) {
      for (const state of checkpoint.state) accounts.set(state.accountKey, state);
      owned.skipBelow = from;
      this.stats.restoredFromCheckpoints++;
    }
    const { replayed, next } = await replayToCommit(bus, this.groupId, this.specs.events, partition, from, (event) =>
      this.apply(accounts, event),
    );
    this.stats.replayed += replayed;
    // Changes by hand made after the last replayed event (published once: their ids are known).
    const settled: Findings = { violations: [], trustChanges: [] };
    for (const state of accounts.values()) settled.trustChanges.push(...this.byHand.due(state, Date.now()));
    await this.publish(settled);
    // From here on the state may be checkpointed: it reflects every record before this offset.
    owned.next = next;
    this.logRestored(partition, accounts.size, replayed, started, checkpoint?.offset);
  }

  private logRestored(partition: number, accounts: number, replayed: number, started: number, checkpoint?: string) {
    this.logger.info(
      { partition, accounts, checkpoint: checkpoint ?? null, replayed, ms: Date.now() - started },
      checkpoint === undefined
        ? 'account state rebuilt from the retained history'
        : 'account state restored from its checkpoint',
    );
  }

  /**
   * Ids already published for the accounts of these partitions (any partition of the output
   * topics), from `since` where given, else from the oldest record.
   */
  private async readPublished(partitions: ReadonlySet<number>, since: PublishedSince | undefined): Promise<void> {
    const partitionOf = await partitionOfKey(this.options.bus, this.specs.events.name);
    const ours = (finding: { accountKey: string }) => partitions.has(partitionOf(finding.accountKey));
    const { bus } = this.options;
    await readPublishedIds(bus, this.specs.violations, ours, since, (v) =>
      this.published.violations.add(v.violationId, v.detectedAt),
    );
    await readPublishedIds(bus, this.specs.trust, ours, since, (c) =>
      this.published.trust.add(c.changeId, c.changedAt),
    );
  }
}
