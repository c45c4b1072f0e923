// Runs the automation rules (automations.ts) over the events of streamwarden.events: a rule whose
// trigger and conditions match acts (tells channels, stops the stream with its message) at most
// once per play, also across restarts and replays (the firings ledger is read before and written
// after; offsets are committed after that). Every firing, and what a dry run would have done, is in
// the ledger and in the audit log.
//
// Safety: a stop is carried out only for a fresh event (at most ten minutes old): a replay of the
// topic, or history however it arrived, never stops today's plays.
import type { Bus, BusConsumer } from '../bus/types.ts';
import { consumeTopic } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import type { StreamControl } from '../connectors/commands.ts';
import type { Logger } from '../core/logger.ts';
import { startOfDay, startOfWeek } from '../core/time-zone.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { AuditQueries } from '../warehouse/queries/audit.ts';
import { AutomationQueries, type Firing } from '../warehouse/queries/automations.ts';
import { NotificationQueries } from '../warehouse/queries/notifications.ts';
import type { Automation, AutomationStore } from './automations.ts';
import { conditionsHold } from './automation-conditions.ts';
import type { ChannelStore } from './channels.ts';
import { linksOf, type People, type PeopleStore } from '../pipeline/people-store.ts';
import type { TrustAdjustmentStore } from '../pipeline/trust-adjustments.ts';
import { StreamsNow } from './streams-now.ts';
import { eventMessage } from './event-notifier.ts';
import type { Language } from './event-words.ts';
import { sendWithRetry, type RetryPolicy } from './retry.ts';

/** Streams are stopped only for fresh events. */
const STOP_MAX_AGE_MS = 10 * 60_000;

export interface AutomationEngineOptions {
  bus: Bus;
  warehouse: Warehouse;
  automations: AutomationStore;
  channels: ChannelStore;
  /** The people, for counting a person's streams across their accounts. */
  people: PeopleStore;
  /** Where an adjustTrust action records its points (every processor applies them). */
  trustAdjustments: TrustAdjustmentStore;
  control?: StreamControl;
  settings: () => Promise<{ timeZone: string; defaultLanguage: Language }>;
  logger: Logger;
  groupId?: string;
  eventsTopic?: string;
  retry?: RetryPolicy;
  now?: () => number;
}

export class AutomationEngine {
  readonly stats = { fired: 0, dryRuns: 0, failed: 0, skippedAsDone: 0 };
  private consumer: BusConsumer | undefined;
  private readonly logger: Logger;
  private readonly firings: AutomationQueries;
  private readonly audit: AuditQueries;
  private readonly names: NotificationQueries;
  private readonly streams: StreamsNow;
  private peopleNow: Promise<People> | undefined;

  constructor(private readonly options: AutomationEngineOptions) {
    this.logger = options.logger.child({ component: 'automations' });
    this.firings = new AutomationQueries(options.warehouse);
    this.audit = new AuditQueries(options.warehouse);
    this.names = new NotificationQueries(options.warehouse);
    this.streams = new StreamsNow({
      activeStreams: (accounts, at, now) => this.firings.activeStreams(accounts, at, now),
      accountsOf: async (personId) => [...(linksOf(await this.people()).get(personId) ?? [])],
    });
  }

  /**
   * The people list, read once per batch of events however many conditions ask (and again after a
   * rule of the batch tagged someone, so the batch's later events see the tag).
   */
  private people(): Promise<People> {
    return (this.peopleNow ??= this.options.people.get());
  }

  private get topic(): string {
    return this.options.eventsTopic ?? topics.events.name;
  }

  private get group(): string {
    return this.options.groupId ?? 'automations';
  }

  async start(): Promise<void> {
    this.consumer = await consumeTopic(this.options.bus, {
      groupId: this.group,
      spec: { ...topics.events, name: this.topic },
      deadLetters: await this.options.bus.producer(),
      logger: this.logger,
      handle: async (records) => this.handle(records.map((r) => r.value)),
    });
    await this.consumer.ready;
  }

  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(this.options.bus, this.group, [this.topic], timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(events: OperatorEvent[]): Promise<void> {
    this.peopleNow = undefined;
    const rules = (await this.options.automations.list()).filter((r) => r.enabled);
    const triggered = events.filter((e) => rules.some((r) => r.trigger === e.type));
    if (triggered.length === 0) return;
    const [done, settings] = await Promise.all([
      this.firings.fired([...new Set(triggered.map(targetOf))]),
      this.options.settings(),
    ]);
    const now = (this.options.now ?? Date.now)();
    const firings: Firing[] = [];
    for (const event of events) {
      this.streams.observe(event);
      for (const rule of rules.filter((r) => r.trigger === event.type)) {
        const key = `${rule.id}/${targetOf(event)}`;
        if (done.has(key)) {
          this.stats.skippedAsDone++;
          continue;
        }
        if (!(await this.matches(rule, event, settings.timeZone, now))) continue;
        done.add(key);
        firings.push(await this.act(rule, event, now, settings.defaultLanguage));
      }
    }
    await this.firings.record(firings, now);
    for (const f of firings)
      await this.audit
        .record({
          at: now,
          actor: `automation:${f.ruleName}`,
          actorRole: 'system',
          via: 'automation',
          action: f.status === 'DRY_RUN' ? 'automation.dry-run' : 'automation.fire',
          target: f.target,
          outcome: f.status === 'FAILED' ? 'failed' : 'ok',
          statusCode: 0,
          detail: [f.actions, f.detail].filter(Boolean).join('\n'),
          clientIp: '',
        })
        .catch((err: unknown) => this.logger.error({ err, rule: f.ruleId }, 'automation firing not in the audit log'));
  }

  private matches(rule: Automation, e: OperatorEvent, timeZone: string, now: number): Promise<boolean> {
    return conditionsHold(rule, e, timeZone, {
      watched: async (event, since) => {
        if (!event.accountKey || !event.sessionKey) return { minutes: 0, plays: 0 };
        const zone = timeZone || 'UTC';
        const from = since === 'week' ? startOfWeek(event.occurredAt, zone) : startOfDay(event.occurredAt, zone);
        // A person's quota counts all their accounts, on every server.
        const accounts = event.personId
          ? [...(linksOf(await this.people()).get(event.personId) ?? [event.accountKey])]
          : [event.accountKey];
        return this.firings.watched(accounts, from, event.occurredAt, {
          serverId: event.serverId,
          sessionKey: event.sessionKey,
        });
      },
      streamsNow: (event) => this.streams.count(event, now),
      personTags: async (event) => {
        if (!event.personId) return null;
        const person = (await this.people()).people[event.personId];
        return person ? (person.tags ?? []) : null;
      },
    });
  }

  private async act(rule: Automation, e: OperatorEvent, now: number, language: Language): Promise<Firing> {
    const done: string[] = [];
    const problems: string[] = [];
    // Acting on a stream or a score is only for what happens now, never for a replay of the past.
    const ageMin = Math.round((now - e.occurredAt) / 60_000);
    const replayed = now - e.occurredAt > STOP_MAX_AGE_MS ? `the event is ${ageMin} min old (a replay)` : '';
    for (const action of rule.actions) {
      if (action.type === 'adjustTrust') {
        const what = `trust of ${e.accountKey ?? '-'} ${action.points > 0 ? '+' : ''}${action.points}`;
        if (rule.dryRun) done.push(`would change the ${what}`);
        else if (!e.accountKey) problems.push('no account whose trust could change');
        else if (replayed) problems.push(`trust not changed: ${replayed}`);
        else {
          // Dated at the event, so a processor replaying the account's plays applies it in its place.
          await this.options.trustAdjustments
            .add(
              {
                accountKey: e.accountKey,
                kind: 'ADJUST',
                points: action.points,
                by: `automation:${rule.id}`,
                reason: `${rule.name}: ${e.summary}`.slice(0, 500),
              },
              e.occurredAt,
            )
            .then(
              () => done.push(`changed the ${what}`),
              (err: unknown) => problems.push(`trust not changed: ${(err as Error).message}`),
            );
        }
      } else if (action.type === 'tag') {
        const what = `tag ${e.personId ?? '-'} "${action.tag}"`;
        if (rule.dryRun) done.push(`would ${what}`);
        else if (!e.personId) problems.push('no person to tag (the account is linked to no person)');
        else if (replayed) problems.push(`not tagged: ${replayed}`);
        else
          await this.options.people.addTag(e.personId, action.tag, `automation:${rule.id}`).then(
            (added) => {
              this.peopleNow = undefined;
              done.push(added ? what.replace('tag', 'tagged') : what.replace('tag', 'already tagged'));
            },
            (err: unknown) => problems.push(`not tagged: ${(err as Error).message}`),
          );
      } else if (action.type === 'stop' || action.type === 'message') {
        const verb = action.type === 'stop' ? 'stop' : 'show a message on';
        const not = action.type === 'stop' ? 'not stopped' : 'no message shown';
        const what = `${verb} ${e.serverId}:${e.sessionKey ?? '-'} ${action.type === 'stop' ? 'with' : 'saying'} "${action.message}"`;
        const control = this.options.control;
        if (rule.dryRun) done.push(`would ${what}`);
        else if (!e.sessionKey) problems.push(`no stream to ${verb}`);
        else if (replayed) problems.push(`${not}: ${replayed}`);
        else if (!control || (action.type === 'message' && !control.message))
          problems.push(`${not}: no connectors reachable`);
        else
          await (
            action.type === 'stop'
              ? control.terminate(e.serverId, e.sessionKey, action.message, `automation:${rule.id}`)
              : control.message!(e.serverId, e.sessionKey, action.message, `automation:${rule.id}`)
          ).then(
            () => done.push(what),
            (err: unknown) => problems.push(`${not}: ${(err as Error).message}`),
          );
      } else {
        const channels = (await this.options.channels.list()).filter(
          (c) => c.enabled && (action.channels.length === 0 || action.channels.includes(c.id)),
        );
        if (rule.dryRun) {
          done.push(`would tell ${channels.map((c) => c.name).join(', ') || 'no channel'}`);
          continue;
        }
        const server = await this.names.serverName(e.serverId);
        const message = eventMessage(e, server, language);
        message.context.rule = `${rule.name}: ${message.context.rule}`;
        for (const channel of channels) {
          const outcome = await sendWithRetry(
            channel,
            message.context,
            message.templates,
            this.options.retry,
            this.logger,
            this.options.channels,
          );
          if (outcome.status === 'SENT') done.push(`told ${channel.name}`);
          else problems.push(`${channel.name}: ${outcome.error}`);
        }
      }
    }
    const status = rule.dryRun ? 'DRY_RUN' : problems.length > 0 && done.length === 0 ? 'FAILED' : 'FIRED';
    this.stats[status === 'DRY_RUN' ? 'dryRuns' : status === 'FAILED' ? 'failed' : 'fired']++;
    this.logger.info({ rule: rule.name, event: e.eventId, status, done, problems }, 'automation rule fired');
    return {
      ruleId: rule.id,
      target: targetOf(e),
      ruleName: rule.name,
      eventId: e.eventId,
      eventType: e.type,
      serverId: e.serverId,
      accountKey: e.accountKey ?? '',
      status,
      actions: done.join('\n'),
      detail: problems.join('\n'),
      occurredAt: e.occurredAt,
    };
  }
}

/** What a rule acts on once: the play, or the event for events of no play. */
function targetOf(e: OperatorEvent): string {
  return e.sessionKey ? `${e.serverId}:${e.sessionKey}` : e.eventId;
}
