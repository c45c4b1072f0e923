// Messages for the events of streamwarden.events (plays, transcodes, servers), routed to the
// channels that ask for each type and pass their filters, exactly once per event and channel even
// across restarts and replays: the ledger (notification_deliveries) is read before and written
// after, and offsets are committed only after that.
//
// An event a channel holds back, because the channel groups its events or it falls in the
// channel's quiet hours, is written to the ledger as PENDING, so a restart loses nothing; the
// flusher sends what is due as one message per channel and type ("12 streams started" with the
// list) and marks it sent. The flusher runs only in the process that holds partition 0 of the
// events topic, so two processors never send a group twice.
import type { Bus, BusConsumer } from '../bus/types.ts';
import { consumeTopic } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import {
  NotificationQueries,
  type EventDeliveryRecord,
  type PendingEvent,
} from '../warehouse/queries/notifications.ts';
import { inQuietHours, routesEvent, type Channel, type ChannelStore } from './channels.ts';
import { eventName, eventSentence, groupSentence, type Language } from './event-words.ts';
import { sendWithRetry, type RetryPolicy } from './retry.ts';
import { DIGEST_POSTERS, digestPeriod, renderDigest, type DigestKind } from './digest.ts';
import type { InlineImage } from './senders.ts';
import { DigestQueries, type DigestFigures } from '../warehouse/queries/digest.ts';
import { messageContext, type AlertContext } from './templates.ts';

const SERVER_STATES = new Set(['SERVER_UP', 'SERVER_DOWN', 'SERVER_AUTH_FAILED']);
const EVENT_TEMPLATES = { title: '{{rule}}: {{user}}', body: '{{summary}}{{#evidence}}\n{{evidence}}{{/evidence}}' };
const GROUP_TEMPLATES = { title: '{{rule}}', body: '{{evidence}}' };
/** Lines a group message lists before "and N more". */
const GROUP_LINES = 25;

interface NotifierSettings {
  timeZone: string;
  defaultLanguage: Language;
  instanceName?: string;
}

export interface EventNotifierOptions {
  bus: Bus;
  warehouse: Warehouse;
  channels: ChannelStore;
  /** The install's time zone (quiet hours), language (the messages' words) and name (digests). */
  settings: () => Promise<NotifierSettings>;
  logger: Logger;
  groupId?: string;
  eventsTopic?: string;
  retry?: RetryPolicy;
  /** How often held events are looked at (default 15 s). */
  flushEveryMs?: number;
  /** A poster of a media server (the image proxy), for the e-mailed digest's recently added titles. */
  poster?: (serverId: string, imageRef: string) => Promise<{ bytes: Buffer; contentType: string }>;
  now?: () => number;
}

export class EventNotifier {
  readonly stats = { sent: 0, failed: 0, held: 0, skippedAsDone: 0, groupsSent: 0 };
  private consumer: BusConsumer | undefined;
  private readonly logger: Logger;
  private readonly queries: NotificationQueries;
  private flushing: NodeJS.Timeout | undefined;
  private ownsFlush = false;
  private flushRun: Promise<void> = Promise.resolve();
  /** Digests sent or found sent (channel and period), not to ask the ledger again. */
  private readonly digestsSent = new Set<string>();
  private readonly digests: DigestQueries;

  constructor(private readonly options: EventNotifierOptions) {
    this.logger = options.logger.child({ component: 'event-alerts' });
    this.queries = new NotificationQueries(options.warehouse);
    this.digests = new DigestQueries(options.warehouse);
  }

  private get topic(): string {
    return this.options.eventsTopic ?? topics.events.name;
  }

  private get group(): string {
    return this.options.groupId ?? 'alerts-events';
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    this.consumer = await consumeTopic(bus, {
      groupId: this.group,
      spec: { ...topics.events, name: this.topic },
      deadLetters: await bus.producer(),
      logger: this.logger,
      onAssignment: (partitions) => void (this.ownsFlush = partitions.includes(0)),
      handle: async (records) => this.handle(records.map((r) => r.value)),
    });
    await this.consumer.ready;
    this.flushing = setInterval(() => void this.flush(), this.options.flushEveryMs ?? 15_000);
  }

  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(this.options.bus, this.group, [this.topic], timeoutMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.flushing);
    await this.flushRun;
    await this.consumer?.stop();
  }

  /** Sends the held events that are due; runs on its own every flushEveryMs. */
  flush(): Promise<void> {
    if (!this.ownsFlush) return this.flushRun;
    this.flushRun = this.flushRun
      .then(() => this.sendDue())
      .catch((err: unknown) => this.logger.error({ err }, 'held events not sent; tried again at the next round'));
    return this.flushRun;
  }

  private async handle(batch: OperatorEvent[]): Promise<void> {
    const unique = [...new Map(batch.map((e) => [e.eventId, e])).values()].filter((e) => e.type !== 'UNKNOWN');
    if (unique.length === 0) return;
    // Events of an account made without its name (trust changes): the name it was last seen with.
    const nameless = [...new Set(unique.filter((e) => e.accountKey && !e.userName).map((e) => e.accountKey!))];
    const names = await this.queries.accountNames(nameless);
    const events = unique.map((e) =>
      e.accountKey && !e.userName && names.has(e.accountKey) ? { ...e, userName: names.get(e.accountKey)! } : e,
    );
    const servers = [...new Set(events.filter((e) => SERVER_STATES.has(e.type)).map((e) => e.serverId))];
    const [channels, done, lastState, settings] = await Promise.all([
      this.options.channels.list(),
      this.queries.delivered(events.map((e) => e.eventId)),
      servers.length > 0 ? this.queries.lastServerStates(servers) : Promise.resolve(new Map<string, string>()),
      this.options.settings(),
    ]);
    const now = this.now();
    const work: Array<Promise<EventDeliveryRecord>> = [];
    const serverNames = new Map<string, string>();
    for (const event of events) {
      for (const channel of channels.filter((c) => routesEvent(c, event))) {
        if (done.has(`${event.eventId}/${channel.id}`)) {
          this.stats.skippedAsDone++;
          continue;
        }
        // A server's state is told when it differs from the one last told to the channel; the
        // first a channel hears of a server is that it is down or refusing, never that it is up.
        if (SERVER_STATES.has(event.type)) {
          const key = `${channel.id}/${event.serverId}`;
          const last = lastState.get(key) ?? 'SERVER_UP';
          if (last === event.type) continue;
          lastState.set(key, event.type);
        }
        const held =
          channel.groupMinutes > 0 ||
          (event.severity !== 'HIGH' && event.severity !== 'CRITICAL' && inQuietHours(channel, now, settings.timeZone));
        if (!serverNames.has(event.serverId))
          serverNames.set(event.serverId, await this.queries.serverName(event.serverId));
        const server = serverNames.get(event.serverId)!;
        const summary = eventSentence(event, server, settings.defaultLanguage);
        const record = ledgerRow(event, channel, summary);
        if (held) {
          this.stats.held++;
          work.push(Promise.resolve({ ...record, status: 'PENDING' as const }));
          continue;
        }
        const context = eventContext(event, server, summary, settings.defaultLanguage);
        work.push(
          sendWithRetry(channel, context, EVENT_TEMPLATES, this.options.retry, this.logger, this.options.channels).then(
            (outcome) => {
              this.stats[outcome.status === 'SENT' ? 'sent' : 'failed']++;
              return { ...record, ...outcome };
            },
          ),
        );
      }
    }
    await this.queries.recordEvents(await Promise.all(work), now);
  }

  private async sendDue(): Promise<void> {
    const [channels, settings, pending] = await Promise.all([
      this.options.channels.list(),
      this.options.settings(),
      this.queries.pendingEvents(),
    ]);
    await this.sendDigests(channels, settings);
    if (pending.length === 0) return;
    const now = this.now();
    const groups = new Map<string, PendingEvent[]>();
    for (const p of pending) {
      const key = `${p.channelId}\u0000${p.eventType}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const records: EventDeliveryRecord[] = [];
    for (const group of groups.values()) {
      const first = group[0]!;
      const channel = channels.find((c) => c.id === first.channelId);
      const base = (p: PendingEvent) => ({
        eventId: p.eventId,
        eventType: p.eventType,
        serverId: p.serverId,
        occurredAt: p.occurredAt,
        accountKey: p.accountKey,
        summary: p.summary,
        channelId: p.channelId,
        channelName: channel?.name ?? '',
        channelType: channel?.type ?? '',
      });
      if (!channel || !channel.enabled) {
        const error = channel ? 'the channel was turned off' : 'the channel was removed';
        records.push(...group.map((p) => ({ ...base(p), status: 'FAILED' as const, attempts: 0, error })));
        continue;
      }
      if (inQuietHours(channel, now, settings.timeZone)) continue;
      const heldSince = Math.min(...group.map((p) => p.heldSince));
      if (now - heldSince < channel.groupMinutes * 60_000) continue;
      const outcome = await sendWithRetry(
        channel,
        groupContext(group, settings.defaultLanguage, now),
        GROUP_TEMPLATES,
        this.options.retry,
        this.logger,
        this.options.channels,
      );
      this.stats.groupsSent++;
      this.stats[outcome.status === 'SENT' ? 'sent' : 'failed'] += group.length;
      records.push(...group.map((p) => ({ ...base(p), ...outcome })));
    }
    await this.queries.recordEvents(records, this.now());
  }

  /**
   * The first recently added titles' posters, as e-mail attachments. A poster the server does not
   * give (down, removed) is left out and the digest goes without it.
   */
  private async posters(f: DigestFigures): Promise<Array<InlineImage & { index: number }>> {
    const fetch = this.options.poster;
    if (!fetch) return [];
    const wanted = f.recentlyAdded.flatMap((r, index) => (r.poster ? [{ ...r.poster, index }] : []));
    const images = await Promise.all(
      wanted.slice(0, DIGEST_POSTERS).map(async ({ serverId, imageRef, index }) => {
        try {
          const image = await fetch(serverId, imageRef);
          const extension = image.contentType.split('/')[1]?.replace(/[^a-z]/g, '') || 'img';
          const cid = `poster-${index}@streamwarden`;
          return [
            {
              index,
              cid,
              filename: `poster-${index}.${extension}`,
              content: image.bytes,
              contentType: image.contentType,
            },
          ];
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, serverId }, 'digest poster left out');
          return [];
        }
      }),
    );
    return images.flat();
  }

  /** The digests due to channels that want one, each once per channel and period. */
  private async sendDigests(channels: Channel[], settings: NotifierSettings): Promise<void> {
    const now = this.now();
    const due = channels
      .filter((c) => c.enabled && c.digest !== 'off')
      .map((channel) => ({ channel, period: digestPeriod(channel.digest as DigestKind, now, settings.timeZone) }))
      .filter((d) => d.period.due && !this.digestsSent.has(`${d.period.key}/${d.channel.id}`));
    if (due.length === 0) return;
    const done = await this.queries.delivered([...new Set(due.map((d) => d.period.key))]);
    const records: EventDeliveryRecord[] = [];
    const figures = new Map<string, Promise<DigestFigures>>();
    for (const { channel, period } of due) {
      const key = `${period.key}/${channel.id}`;
      this.digestsSent.add(key);
      if (done.has(key)) continue;
      if (!figures.has(period.key)) figures.set(period.key, this.digests.figures(period.from, period.to));
      const label = new Intl.DateTimeFormat('en-CA', {
        timeZone: settings.timeZone || 'UTC',
        dateStyle: 'medium',
      }).format(period.from);
      const periodFigures = await figures.get(period.key)!;
      const attachments = channel.type === 'email' ? await this.posters(periodFigures) : [];
      const digest = renderDigest(channel.digest as DigestKind, periodFigures, {
        language: settings.defaultLanguage,
        instance: settings.instanceName ?? 'Streamwarden',
        period: label,
        posterCids: periodFigures.recentlyAdded.map((_, i) => attachments.find((a) => a.index === i)?.cid ?? null),
      });
      const outcome = await sendWithRetry(
        channel,
        messageContext({
          rule: digest.title,
          ruleId: 'DIGEST',
          severity: 'LOW',
          summary: digest.title,
          evidence: digest.text,
          server: settings.instanceName ?? 'Streamwarden',
          time: new Date(now).toISOString(),
          violationId: period.key,
        }),
        { ...GROUP_TEMPLATES, html: digest.html, attachments },
        this.options.retry,
        this.logger,
        this.options.channels,
      );
      records.push({
        eventId: period.key,
        eventType: 'DIGEST',
        serverId: '',
        occurredAt: period.to,
        accountKey: '',
        summary: digest.title,
        channelId: channel.id,
        channelName: channel.name,
        channelType: channel.type,
        ...outcome,
      });
    }
    await this.queries.recordEvents(records, now);
  }
}

function ledgerRow(e: OperatorEvent, channel: Channel, summary: string): Omit<EventDeliveryRecord, 'status'> {
  return {
    eventId: e.eventId,
    eventType: e.type,
    serverId: e.serverId,
    occurredAt: e.occurredAt,
    accountKey: e.accountKey ?? '',
    summary,
    channelId: channel.id,
    channelName: channel.name,
    channelType: channel.type,
    attempts: 0,
    error: '',
  };
}

/** One event's message: its variables and the templates it goes with (the test button's too). */
export function eventMessage(
  e: OperatorEvent,
  server: string,
  language: Language,
): { context: AlertContext; templates: typeof EVENT_TEMPLATES } {
  return { context: eventContext(e, server, eventSentence(e, server, language), language), templates: EVENT_TEMPLATES };
}

/** The variables of an event's message (the same names as a finding's, for the senders). */
function eventContext(e: OperatorEvent, server: string, summary: string, language: Language): AlertContext {
  const d = e.details;
  return messageContext({
    user: e.userName ?? server,
    accountKey: e.accountKey ?? '',
    rule: eventName(e.type, language),
    ruleId: e.type,
    // The senders colour and prioritise by a finding's severities; an event of a play is LOW.
    severity: e.severity === 'INFO' ? 'LOW' : e.severity,
    summary,
    evidence: [d.player && d.platform ? `${d.player} · ${d.platform}` : '', d.ip ?? ''].filter(Boolean).join('\n'),
    server,
    title: d.title ?? '',
    device: d.device ?? '',
    location: d.place ?? '',
    time: new Date(e.occurredAt).toISOString(),
    violationId: e.eventId,
  });
}

/** One message for a group of held events of one type: the count, then each in a line. */
function groupContext(group: PendingEvent[], language: Language, now: number): AlertContext {
  const type = group[0]!.eventType;
  const lines = group
    .slice(0, GROUP_LINES)
    .map((p) => `${new Date(p.occurredAt).toISOString().slice(11, 16)} ${p.summary}`);
  if (group.length > GROUP_LINES) lines.push(`… +${group.length - GROUP_LINES}`);
  const title = group.length === 1 ? eventName(type, language) : groupSentence(type, group.length, language);
  return messageContext({
    rule: title,
    ruleId: type,
    severity: type === 'SERVER_DOWN' || type === 'SERVER_AUTH_FAILED' ? 'HIGH' : 'LOW',
    summary: title,
    evidence: lines.join('\n'),
    server: [...new Set(group.map((p) => p.serverId))].join(', '),
    time: new Date(now).toISOString(),
    violationId: group.map((p) => p.eventId).join(','),
  });
}
