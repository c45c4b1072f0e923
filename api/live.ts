// What the dashboard sees change without reloading: sessions starting, moving, stopping,
// violations and media server status, read from the bus (a consumer group of this process alone,
// from the newest records on) and pushed to every WebSocket client. A client gets the current
// state first: the sessions going on (from the warehouse, then kept up to date from the bus) and
// each server's latest status. The same state answers GET sessions/active and the overview's
// figures of what plays now, so those read no warehouse per request.
import { randomUUID } from 'node:crypto';
import { consumeTopic } from '../bus/typed.ts';
import type { Bus, BusConsumer } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type ServerMetricsSample, type Violation } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { SessionQueries } from '../warehouse/queries/index.ts';
import { ACTIVE_WITHIN_MS, nowFigures, type NowFigures } from '../warehouse/queries/sessions.ts';
import { ServerMetricsQueries } from '../warehouse/queries/server-metrics.ts';
import { placeOf } from '../core/geoip.ts';
import { sessionFromEvent, sessionFromRow, viewOf, type LiveSessionView } from './live-view.ts';
import type { Session } from './contract.ts';
import type { CacheSize } from '../core/cache-size.ts';
import { ActiveAnswers, type ActiveAnswer } from './active-answers.ts';

type LiveSession = LiveSessionView;

export type LiveMessage =
  | { type: 'snapshot'; sessions: LiveSession[]; servers: ServerMetricsSample[] }
  | { type: 'session.started' | 'session.updated' | 'session.stopped'; session: LiveSession }
  | { type: 'violation'; violation: Violation }
  | { type: 'server.status'; server: ServerMetricsSample };

/** A message and its JSON text, made once however many clients receive it. */
type Listener = (message: LiveMessage, text: string) => void;

/** A play going on as the feed pushes it, as sessions/active answers it, and that answer's JSON once asked. */
interface Playing {
  view: LiveSession;
  session: Session;
  json?: Buffer;
  viewJson?: string;
}

const COMMA = Buffer.from(',');

/** Newest first, then by server and key: the order of the warehouse's list of plays going on. */
function newestFirst(a: LiveSession, b: LiveSession): number {
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  if (a.serverId !== b.serverId) return a.serverId < b.serverId ? -1 : 1;
  return a.sessionKey < b.sessionKey ? -1 : a.sessionKey > b.sessionKey ? 1 : 0;
}

export class LiveHub {
  /** Each play going on as the feed pushes it (`view`) and as sessions/active answers it (`session`). */
  private readonly sessions = new Map<string, Playing>();
  private readonly servers = new Map<string, ServerMetricsSample>();
  private readonly listeners = new Set<Listener>();
  private readonly consumers: BusConsumer[] = [];
  private lastPrunedAt = 0;
  /** Counts changes to the plays held, so an answer knows whether it is still the list. */
  private changes = 0;
  private readonly answers = new ActiveAnswers(
    (serverIds, now) => this.activeList(serverIds, now),
    () => this.changes,
  );

  constructor(
    private readonly options: {
      bus: Bus;
      warehouse: Warehouse;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { warehouse } = this.options;
    for (const s of await new SessionQueries(warehouse).active()) {
      const session = sessionFromRow(s);
      this.sessions.set(`${s.serverId}/${s.sessionKey}`, { view: viewOf(session), session });
    }
    for (const server of await new ServerMetricsQueries(warehouse).latest()) this.servers.set(server.serverId, server);
    const { bus, logger } = this.options;
    const deadLetters = await bus.producer();
    // Every API process sees everything: its own group, starting at the newest records.
    const group = `api-live-${randomUUID()}`;
    const common = { deadLetters, logger, fromBeginning: false, ephemeral: true } as const;
    this.consumers.push(
      await consumeTopic(bus, {
        ...common,
        groupId: `${group}-events`,
        spec: topics.playbackEvents,
        handle: async (records) => records.forEach((r) => this.onEvent(r.value)),
      }),
      await consumeTopic(bus, {
        ...common,
        groupId: `${group}-violations`,
        spec: topics.violations,
        handle: async (records) => records.forEach((r) => this.emit({ type: 'violation', violation: r.value })),
      }),
      await consumeTopic(bus, {
        ...common,
        groupId: `${group}-servers`,
        spec: topics.serverMetrics,
        handle: async (records) =>
          records.forEach((r) => {
            this.servers.set(r.value.serverId, r.value);
            this.emit({ type: 'server.status', server: r.value });
          }),
      }),
    );
    await Promise.all(this.consumers.map((c) => c.ready));
  }

  async stop(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
    // Each API start has groups of its own; gone with it, they must not pile up on the cluster.
    for (const consumer of this.consumers)
      await this.options.bus
        .deleteGroup(consumer.groupId)
        .catch((err: unknown) =>
          this.options.logger.warn(
            { err: (err as Error).message, group: consumer.groupId },
            'live feed group not deleted',
          ),
        );
  }

  /**
   * The snapshot message a client gets first, as JSON text: the plays going on and each server's
   * status. Each play's part is made once per change, so a client connecting costs a join.
   */
  snapshotJson(): string {
    const sessions = this.playing().map((s) => (s.viewJson ??= JSON.stringify(s.view)));
    return `{"type":"snapshot","sessions":[${sessions.join(',')}],"servers":${JSON.stringify([...this.servers.values()])}}`;
  }

  /**
   * The plays going on, newest first, by the warehouse's rule: not stopped and seen within
   * ACTIVE_WITHIN_MS (a play whose stop never came goes stale rather than staying forever).
   * `serverIds` narrows to those servers (empty: all).
   */
  active(serverIds: readonly string[] = [], now = Date.now()): Session[] {
    return this.playing(serverIds, now).map((s) => s.session);
  }

  /** The overview's figures of now over active(serverIds), counted without listing or sorting. */
  figures(serverIds: readonly string[] = [], now = Date.now()): NowFigures {
    return nowFigures(this.current(serverIds, now).map((p) => p.session));
  }

  /** What GET sessions/active sends: activeList()'s JSON, kept a short while for everyone who asks (see ActiveAnswers). */
  activeAnswer(serverIds: readonly string[] = [], now = Date.now()): ActiveAnswer {
    return this.answers.answer(serverIds, now);
  }

  /**
   * `{"sessions": active()}` as UTF-8 JSON. Each play's part is made once, when first asked after
   * it changed, so a list made often costs a copy rather than serializing every play every time.
   */
  private activeList(serverIds: readonly string[], now: number): { json: Buffer; plays: number } {
    const playing = this.playing(serverIds, now);
    const parts: Buffer[] = [Buffer.from('{"sessions":[')];
    for (const s of playing) {
      if (parts.length > 1) parts.push(COMMA);
      parts.push((s.json ??= Buffer.from(JSON.stringify(s.session))));
    }
    parts.push(Buffer.from(']}'));
    return { json: Buffer.concat(parts), plays: playing.length };
  }

  /** active()'s plays, newest first. */
  private playing(serverIds: readonly string[] = [], now = Date.now()): Playing[] {
    return this.current(serverIds, now).sort((a, b) => newestFirst(a.view, b.view));
  }

  /** active()'s plays, in no order. */
  private current(serverIds: readonly string[], now: number): Playing[] {
    this.prune(now);
    const since = now - ACTIVE_WITHIN_MS;
    const list: Playing[] = [];
    for (const s of this.sessions.values())
      if (s.view.lastSeenAt >= since && (serverIds.length === 0 || serverIds.includes(s.view.serverId))) list.push(s);
    return list;
  }

  /** Plays held, stale ones not yet forgotten included (for /metrics). */
  get size(): number {
    return this.sessions.size;
  }

  caches(): CacheSize[] {
    return [
      { cache: 'live-sessions', entries: this.size },
      { cache: 'live-active-answers', entries: this.answers.size },
    ];
  }

  /** Forgets plays gone stale, at most once a minute. */
  private prune(now: number): void {
    if (now - this.lastPrunedAt < 60_000) return;
    this.lastPrunedAt = now;
    const since = now - ACTIVE_WITHIN_MS;
    for (const [key, s] of this.sessions)
      if (s.view.lastSeenAt < since) {
        this.sessions.delete(key);
        this.changes++;
      }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onEvent(event: PlaybackEvent): void {
    const key = `${event.serverId}/${event.sessionKey}`;
    const full = sessionFromEvent(event, placeOf(event));
    const session = viewOf(full);
    this.changes++;
    if (event.eventType === 'STOPPED') {
      this.sessions.delete(key);
      this.emit({ type: 'session.stopped', session });
      return;
    }
    const known = this.sessions.has(key);
    this.sessions.set(key, { view: session, session: full });
    this.prune(Date.now());
    this.emit({ type: known && event.eventType !== 'STARTED' ? 'session.updated' : 'session.started', session });
  }

  private emit(message: LiveMessage): void {
    if (this.listeners.size === 0) return;
    const text = JSON.stringify(message);
    for (const listener of this.listeners) {
      try {
        listener(message, text);
      } catch (err) {
        this.options.logger.warn({ err }, 'live listener failed');
      }
    }
  }
}
