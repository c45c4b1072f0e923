// The multi-account check (rules/multi-account.ts): periodically, one device id or one home
// broadband address used by several accounts within the rule's window, read from the warehouse's
// sessions, is published as a MULTI_ACCOUNT finding. Groups that are one person already, that an
// admin said are not one person (a dismissed suggestion), that include an account exempt from the
// rule, or whose device is trusted as shared are left out. Each finding is published once: its id
// comes from the accounts and what they shared, and ids already stored or published are skipped.
// Only the processor that owns partition 0 of the playback events runs it, so several processors
// do not raise one finding several times.
import { PublishedIds } from './published-ids.ts';
import { publish } from '../bus/typed.ts';
import type { Bus, BusProducer } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type Violation } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { describeSharedUse, PeopleLinkQueries } from '../warehouse/queries/people-links.ts';
import { ViolationQueries } from '../warehouse/queries/violations.ts';
import { personOfAccount, suggestionKey, type People } from './people-store.ts';
import { multiAccountFindings } from './rules/multi-account.ts';
import type { RuleOverrides, RuleSettings } from './rules/settings.ts';

export interface MultiAccountCheckOptions {
  bus: Bus;
  warehouse: Warehouse;
  logger: Logger;
  rules: () => { settings: RuleSettings; overrides: (accountKey: string) => RuleOverrides | undefined };
  people: () => People;
  /** Whether this process runs the check (the owner of the events' partition 0). */
  runsHere: () => boolean;
  /** Default 10 minutes; 0: only when `run` is called. */
  everyMs?: number;
  violationsTopic?: string;
}

export class MultiAccountCheck {
  readonly stats = { runs: 0, published: 0 };
  private readonly links: PeopleLinkQueries;
  private readonly violations: ViolationQueries;
  private readonly published = new PublishedIds();
  private readonly logger: Logger;
  private producer: BusProducer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Violation[]> | undefined;

  constructor(private readonly options: MultiAccountCheckOptions) {
    this.links = new PeopleLinkQueries(options.warehouse);
    this.violations = new ViolationQueries(options.warehouse);
    this.logger = options.logger.child({ component: 'multi-account' });
  }

  start(): void {
    const every = this.options.everyMs ?? 600_000;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (!this.options.runsHere()) return;
      void this.run().catch((err: unknown) => this.logger.error({ err }, 'multi-account check failed'));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.producer?.close();
  }

  /** One check now: the findings it published. */
  async run(now = Date.now()): Promise<Violation[]> {
    // One run at a time: a slow warehouse must not start a second that publishes the same.
    if (!this.running)
      this.running = this.check(now).finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async check(now: number): Promise<Violation[]> {
    const { settings, overrides } = this.options.rules();
    const s = settings.multiAccount;
    this.stats.runs++;
    if (!s.enabled) return [];
    const people = this.options.people();
    const personOf = personOfAccount(people);
    const shared = (await this.links.sharedUse(now - s.windowMs, settings.exemptions.trustedDeviceIds)).filter(
      (use) =>
        // One person already: known, not a finding.
        new Set(use.accountKeys.map((a) => personOf(a) ?? a)).size > 1 &&
        !people.dismissed.includes(suggestionKey(use.accountKeys)) &&
        use.accountKeys.every((a) => {
          const own = overrides(a);
          if (own?.multiAccount?.enabled === false) return false;
          return !(use.kind === 'device' && own?.exemptions?.trustedDeviceIds?.includes(use.id));
        }),
    );
    if (shared.length === 0) return [];
    const accounts = await this.links.accounts([...new Set(shared.flatMap((u) => u.accountKeys))]);
    const found = multiAccountFindings(
      shared.map((use) => ({ ...use, description: describeSharedUse(use) })),
      s,
      (a) => accounts.get(a) ?? { serverId: a.slice(0, a.indexOf(':')), userId: '', userName: '' },
    ).filter((v) => !this.published.has(v.violationId));
    const stored = await this.violations.stored(found.map((v) => v.violationId));
    const fresh = found.filter((v) => !stored.has(v.violationId));
    if (fresh.length === 0) return [];
    this.producer ??= await this.options.bus.producer();
    await publish(
      this.producer,
      { ...topics.violations, name: this.options.violationsTopic ?? topics.violations.name },
      fresh,
    );
    for (const v of fresh) {
      this.published.add(v.violationId, v.detectedAt);
      this.logger.info({ rule: v.rule, account: v.accountKey, summary: v.summary }, 'violation');
    }
    this.stats.published += fresh.length;
    return fresh;
  }
}
