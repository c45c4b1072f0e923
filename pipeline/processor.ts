// The stream processor: consumes playback events in a consumer group (processors split accounts
// by partition), reads the place their producer put on them, keeps each account's state, runs the rules and publishes
// violations and trust score changes.
//
// Restart and rebalance: when it is given a partition, the processor rebuilds the state of that
// partition's accounts by replaying the partition up to the group's committed offset without
// publishing (the detector is deterministic, so the state is the one an uninterrupted run has),
// and reads back which violations and trust changes were already published. A batch processed
// again after a crash therefore changes the state exactly as the first time and publishes nothing
// twice.
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
import { settingsFor, type RuleOverrides, type RuleSettings } from './rules/settings.ts';
import type { FalseAlarmMarks } from './false-alarms.ts';
import type { TrustAdjustment } from './trust-adjustments.ts';
import { applyAdjustments, settleFalseAlarms } from './trust.ts';
import { PublishedIds } from './published-ids.ts';

const NOTHING: TrustScoreChange[] = [];

export interface ProcessorOptions {
  bus: Bus;
  /** Places events written before they carried their place (schema version 3). */
  geo?: GeoLookup;
  logger: Logger;
  rules: RuleSettings;
  /** Per-account overrides and exemptions. */
  overrides?: (accountKey: string) => RuleOverrides | undefined;
  groupId?: string;
  topicNames?: Partial<Record<'playbackEvents' | 'violations' | 'trustScoreChanges' | 'personPlays', string>>;
  /** How long a published finding's id is remembered after newer ones (default: 7 days, the bus's retention). */
  publishedHorizonMs?: number;
  /** How often idle accounts are checked (default hourly); 0 turns the check off. */
  inactivityCheckMs?: number;
  /** Hosting, mobile and access networks, for the detector (core/networks.ts). */
  networks?: NetworkLookup;
}

export interface ProcessorStats {
  events: number;
  violations: number;
  trustChanges: number;
  replayed: number;
  suppressedAsPublished: number;
  /** Events of linked accounts copied to the person stage. */
  personCopies: number;
}

interface PartitionState {
  accounts: Map<string, AccountState>;
  ready: Promise<void>;
}

export class StreamProcessor {
  readonly stats: ProcessorStats = {
    events: 0,
    violations: 0,
    trustChanges: 0,
    replayed: 0,
    suppressedAsPublished: 0,
    personCopies: 0,
  };
  private readonly partitions = new Map<number, PartitionState>();
  private readonly published: { violations: PublishedIds; trust: PublishedIds };
  /** Detectors of accounts with overrides; everyone else shares `baseDetector`. */
  private readonly detectors = new Map<string, Detector>();
  private baseDetector: Detector;
  private rules: { settings: RuleSettings; overrides?: (accountKey: string) => RuleOverrides | undefined };
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
  /**
   * Trust changed by hand, by account: violations marked false alarms (false-alarms.ts) and
   * adjustments (trust-adjustments.ts). Each applies at its time among the account's events, so a
   * replay reaches the score an uninterrupted run has.
   */
  private readonly marks = new Map<string, FalseAlarmMarks>();
  private readonly adjustments = new Map<string, TrustAdjustment[]>();
  /** The person each linked account belongs to (people-store.ts): their events are copied to the person stage. */
  private personOf: (accountKey: string) => string | undefined = () => undefined;

  constructor(private readonly options: ProcessorOptions) {
    this.logger = options.logger.child({ component: 'processor' });
    this.baseDetector = new Detector(options.rules, options.networks);
    this.rules = { settings: options.rules, overrides: options.overrides };
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
    this.consumer = await consumeTopic(this.options.bus, {
      groupId: this.groupId,
      spec: this.specs.events,
      deadLetters: this.producer,
      logger: this.logger,
      onAssignment: (partitions) => this.assign(partitions),
      handle: (records, partition) =>
        this.process(
          records.map((r) => r.value),
          partition,
        ),
    });
    await this.consumer.ready;
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

  async stop(): Promise<void> {
    clearInterval(this.inactivityTimer);
    await this.consumer?.stop();
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
    const findings: Findings = { violations: [], trustChanges: [] };
    for (const p of this.partitions.values()) {
      await p.ready;
      for (const state of p.accounts.values()) {
        const out = this.detector(state.accountKey).checkInactivity(state, now);
        findings.violations.push(...out.violations);
        findings.trustChanges.push(...out.trustChanges);
      }
    }
    await this.publish(findings);
  }

  /** New false-alarm marks: the owned accounts' scores given back or taken again, published. */
  async updateFalseAlarms(marks: FalseAlarmMarks, now = Date.now()): Promise<void> {
    this.marks.clear();
    for (const [id, mark] of Object.entries(marks)) {
      let own = this.marks.get(mark.accountKey);
      if (!own) this.marks.set(mark.accountKey, (own = {}));
      own[id] = mark;
    }
    await this.settle((state) => settleFalseAlarms(state, this.marks.get(state.accountKey) ?? {}, now));
  }

  /** The adjustments by hand: those not applied yet are applied and published. */
  async updateAdjustments(adjustments: readonly TrustAdjustment[], now = Date.now()): Promise<void> {
    this.adjustments.clear();
    for (const a of [...adjustments].sort((x, y) => x.at - y.at)) {
      let own = this.adjustments.get(a.accountKey);
      if (!own) this.adjustments.set(a.accountKey, (own = []));
      own.push(a);
    }
    await this.settle((state) => applyAdjustments(state, this.adjustments.get(state.accountKey) ?? [], now));
  }

  private async settle(changesOf: (state: AccountState) => TrustScoreChange[]): Promise<void> {
    const findings: Findings = { violations: [], trustChanges: [] };
    for (const p of this.partitions.values()) {
      await p.ready;
      for (const state of p.accounts.values()) findings.trustChanges.push(...changesOf(state));
    }
    await this.publish(findings);
  }

  /** The account's trust changes by hand due by `upTo` and not applied yet. */
  private byHand(state: AccountState, upTo: number): TrustScoreChange[] {
    const marks = this.marks.get(state.accountKey);
    const adjustments = this.adjustments.get(state.accountKey);
    if (!marks && !adjustments) return NOTHING;
    return [
      ...(marks ? settleFalseAlarms(state, marks, upTo) : []),
      ...(adjustments ? applyAdjustments(state, adjustments, upTo) : []),
    ];
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
  updateRules(settings: RuleSettings, overrides?: (accountKey: string) => RuleOverrides | undefined): void {
    this.rules = { settings, overrides };
    this.baseDetector = new Detector(settings, this.options.networks);
    this.detectors.clear();
  }

  private detector(accountKey: string): Detector {
    const overrides = this.rules.overrides?.(accountKey);
    if (!overrides) return this.baseDetector;
    let detector = this.detectors.get(accountKey);
    if (!detector)
      this.detectors.set(
        accountKey,
        (detector = new Detector(settingsFor(this.rules.settings, overrides), this.options.networks)),
      );
    return detector;
  }

  private apply(accounts: Map<string, AccountState>, event: PlaybackEvent): Findings {
    let state = accounts.get(event.accountKey);
    if (!state) {
      state = Detector.stateFor(event);
      accounts.set(event.accountKey, state);
    }
    const byHand = this.byHand(state, event.observedAt);
    const found = this.detector(event.accountKey).observe(state, event, placeOf(event, this.options.geo));
    return byHand.length ? { ...found, trustChanges: [...byHand, ...found.trustChanges] } : found;
  }

  private async process(events: PlaybackEvent[], partition: number): Promise<void> {
    const owned = this.partitions.get(partition);
    if (!owned) throw new Error(`partition ${partition} is not assigned to this processor`);
    await owned.ready;
    const findings: Findings = { violations: [], trustChanges: [] };
    const copies: PlaybackEvent[] = [];
    for (const event of events) {
      const out = this.apply(owned.accounts, event);
      findings.violations.push(...out.violations);
      findings.trustChanges.push(...out.trustChanges);
      const personId = this.personOf(event.accountKey);
      if (personId) copies.push({ ...event, personId });
    }
    this.stats.events += events.length;
    await this.publish(findings);
    // Before the batch is committed: a crash copies it again, and the person stage skips an
    // event of a session it has seen that event or a later one of (person-stage.ts).
    if (copies.length > 0) await publish(this.producer!, this.specs.personPlays, copies);
    this.stats.personCopies += copies.length;
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
    // The output topics are read once for all partitions this assignment adds.
    const published = this.readPublished(new Set(added));
    for (const p of added) {
      const accounts = new Map<string, AccountState>();
      this.partitions.set(p, { accounts, ready: this.restore(p, accounts, published) });
    }
  }

  private async restore(
    partition: number,
    accounts: Map<string, AccountState>,
    published: Promise<void>,
  ): Promise<void> {
    const bus = this.options.bus;
    const started = Date.now();
    await published;
    const committed = (await bus.committedOffsets(this.groupId, this.specs.events.name)).get(partition);
    if (committed === undefined || BigInt(committed) <= 0n) return;
    let replayed = 0;
    for await (const batch of bus.readPartition(this.specs.events.name, partition, { to: committed })) {
      for (const record of batch) {
        try {
          this.apply(accounts, this.specs.events.codec.decode(record.value));
          replayed++;
        } catch {
          // Undecodable records went to the dead-letter topic the first time round.
        }
      }
    }
    this.stats.replayed += replayed;
    // Changes by hand made after the last replayed event (published once: their ids are known).
    const settled: Findings = { violations: [], trustChanges: [] };
    for (const state of accounts.values()) settled.trustChanges.push(...this.byHand(state, Date.now()));
    await this.publish(settled);
    this.logger.info(
      { partition, accounts: accounts.size, replayed, ms: Date.now() - started },
      'account state rebuilt',
    );
  }

  /** Ids already published for the accounts of these partitions (any partition of the output topics). */
  private async readPublished(partitions: ReadonlySet<number>): Promise<void> {
    const partitionOf = await partitionOfKey(this.options.bus, this.specs.events.name);
    const ours = (accountKey: string) => partitions.has(partitionOf(accountKey));
    for (const [spec, ids, id] of [
      [this.specs.violations, this.published.violations, (v: Violation) => [v.violationId, v.detectedAt] as const],
      [this.specs.trust, this.published.trust, (c: TrustScoreChange) => [c.changeId, c.changedAt] as const],
    ] as const) {
      for (const p of (await this.options.bus.endOffsets(spec.name)).keys()) {
        for await (const batch of this.options.bus.readPartition(spec.name, p)) {
          for (const record of batch) {
            try {
              const value = (spec.codec as TopicSpec<Violation | TrustScoreChange>['codec']).decode(record.value);
              if (ours(value.accountKey))
                ids.add(...(id as (v: Violation | TrustScoreChange) => readonly [string, number])(value));
            } catch {
              // not ours to judge: the output topic's consumers dead-letter it
            }
          }
        }
      }
    }
  }
}
