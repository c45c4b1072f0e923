// Alerts and automatic actions for every violation, exactly once per violation and channel even
// across restarts and replays: a ledger in the warehouse (notification_deliveries) is read before
// sending and written after, and offsets are committed only after that.
import { waitUntilDrained } from '../bus/drain.ts';
import type { Bus, BusConsumer } from '../bus/types.ts';
import { consumeTopic } from '../bus/typed.ts';
import type { StreamControl } from '../connectors/commands.ts';
import { settingsOfRule, type RuleSettings } from '../pipeline/rules/settings.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type Violation } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { NotificationQueries } from '../warehouse/queries/notifications.ts';
import { routes, type Channel, type ChannelStore } from './channels.ts';
import { sendWithRetry, type RetryPolicy } from './retry.ts';
import { alertContext, type AlertContext } from './templates.ts';

const TERMINATE_ACTION = 'action:terminate';
/** Streams are stopped only for fresh violations: a replay of old ones must not stop today's plays. */
const ACTION_MAX_AGE_MS = 10 * 60_000;

export interface NotifierOptions {
  bus: Bus;
  warehouse: Warehouse;
  channels: ChannelStore;
  /** The rule parameters in force (for each rule's action). */
  rules: () => RuleSettings;
  /** Stopping streams for rules whose action is `terminate`. */
  control?: StreamControl;
  defaultTerminateMessage: () => Promise<string>;
  logger: Logger;
  groupId?: string;
  violationsTopic?: string;
  retry?: RetryPolicy;
  now?: () => number;
}

interface Outcome {
  violation: Violation;
  channelId: string;
  channelName: string;
  channelType: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  error: string;
}

export class Notifier {
  readonly stats = { sent: 0, failed: 0, skippedAsDone: 0, actions: 0 };
  private consumer: BusConsumer | undefined;
  private readonly logger: Logger;
  private readonly queries: NotificationQueries;

  constructor(private readonly options: NotifierOptions) {
    this.logger = options.logger.child({ component: 'alerts' });
    this.queries = new NotificationQueries(options.warehouse);
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    this.consumer = await consumeTopic(bus, {
      groupId: this.options.groupId ?? 'alerts',
      spec: { ...topics.violations, name: this.options.violationsTopic ?? topics.violations.name },
      deadLetters: await bus.producer(),
      logger: this.logger,
      handle: async (records) => this.handle(records.map((r) => r.value)),
    });
    await this.consumer.ready;
  }

  /** Waits until every violation on the bus has been alerted on and committed. */
  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(
      this.options.bus,
      this.options.groupId ?? 'alerts',
      [this.options.violationsTopic ?? topics.violations.name],
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(batch: Violation[]): Promise<void> {
    const violations = [...new Map(batch.map((v) => [v.violationId, v])).values()];
    const [channels, done] = await Promise.all([
      this.options.channels.list(),
      this.queries.delivered(violations.map((v) => v.violationId)),
    ]);
    const work: Array<Promise<Outcome | null>> = [];
    for (const violation of violations) {
      const routed = channels.filter((c) => routes(c, violation));
      const due = routed.filter((c) => !done.has(`${violation.violationId}/${c.id}`));
      this.stats.skippedAsDone += routed.length - due.length;
      // The message's titles and server name cost a query: only for violations still to send.
      if (due.length > 0) {
        const context = await this.context(violation);
        for (const channel of due) work.push(this.send(channel, violation, context));
      }
      if (!done.has(`${violation.violationId}/${TERMINATE_ACTION}`)) work.push(this.act(violation));
    }
    const outcomes = (await Promise.all(work)).filter((o): o is Outcome => o !== null);
    if (outcomes.length === 0) return;
    await this.queries.record(
      outcomes.map((o) => ({
        violationId: o.violation.violationId,
        channelId: o.channelId,
        channelName: o.channelName,
        channelType: o.channelType,
        status: o.status,
        attempts: o.attempts,
        error: o.error,
        rule: o.violation.rule,
        accountKey: o.violation.accountKey,
        summary: o.violation.summary,
      })),
      (this.options.now ?? Date.now)(),
    );
  }

  /** Titles of the plays involved and the server's name, for the message. */
  private async context(v: Violation): Promise<AlertContext> {
    return alertContext(v, await this.queries.alertContext(v.serverId, v.sessionKeys));
  }

  private async send(channel: Channel, violation: Violation, context: AlertContext): Promise<Outcome> {
    const outcome = await sendWithRetry(
      channel,
      context,
      undefined,
      this.options.retry,
      this.logger,
      this.options.channels,
    );
    this.stats[outcome.status === 'SENT' ? 'sent' : 'failed']++;
    return { violation, channelId: channel.id, channelName: channel.name, channelType: channel.type, ...outcome };
  }

  private async act(v: Violation): Promise<Outcome | null> {
    const settings = settingsOfRule(this.options.rules(), v.rule);
    if (!settings || settings.action !== 'terminate' || v.sessionKeys.length === 0) return null;
    const base = { violation: v, channelId: TERMINATE_ACTION, channelName: 'Stop streams', channelType: 'action' };
    const age = (this.options.now ?? Date.now)() - v.detectedAt;
    if (!this.options.control)
      return { ...base, status: 'FAILED', attempts: 0, error: 'no connectors reachable to stop the streams' };
    if (age > ACTION_MAX_AGE_MS)
      return {
        ...base,
        status: 'FAILED',
        attempts: 0,
        error: `detected ${Math.round(age / 60_000)} min ago; streams not stopped`,
      };
    const message = settings.terminateMessage || (await this.options.defaultTerminateMessage());
    const errors: string[] = [];
    const sessions = sessionsOf(v);
    for (const [serverId, sessionKey] of sessions) {
      await this.options.control
        .terminate(serverId, sessionKey, message, `rule:${v.rule}`)
        .catch((err: unknown) => errors.push(`${sessionKey}: ${(err as Error).message}`));
    }
    this.stats.actions++;
    this.logger.info(
      { violationId: v.violationId, rule: v.rule, sessions: v.sessionKeys, errors },
      'streams stopped by rule action',
    );
    return {
      ...base,
      status: errors.length === sessions.length ? 'FAILED' : 'SENT',
      attempts: 1,
      error: errors.join('; '),
    };
  }
}

/**
 * The sessions to stop, each with its server: a person's finding has sessions on several servers,
 * named by its evidence locations; an account's are all on the violation's server.
 */
function sessionsOf(v: Violation): Array<[serverId: string, sessionKey: string]> {
  if (!v.personId) return v.sessionKeys.map((key) => [v.serverId, key]);
  const pairs = new Map(v.evidence.locations.map((l) => [`${l.serverId}\u0000${l.sessionKey}`, l]));
  return [...pairs.values()].map((l) => [l.serverId ?? v.serverId, l.sessionKey]);
}
