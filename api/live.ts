// What the dashboard sees change without reloading: sessions starting, moving, stopping,
// violations and media server status, read from the bus (a consumer group of this process alone,
// from the newest records on) and pushed to every WebSocket client. A client gets the current
// state first: the sessions going on (from the warehouse, then kept up to date from the bus) and
// each server's latest status.
import { randomUUID } from 'node:crypto';
import { consumeTopic } from '../bus/typed.ts';
import type { Bus, BusConsumer } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type ServerMetricsSample, type Violation } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { SessionQueries } from '../warehouse/queries/index.ts';
import { ServerMetricsQueries } from '../warehouse/queries/server-metrics.ts';
import { placeOf } from '../core/geoip.ts';
import { viewFromEvent, viewFromRow, type LiveSessionView } from './live-view.ts';

export type LiveSession = LiveSessionView;

export type LiveMessage =
  | { type: 'snapshot'; sessions: LiveSession[]; servers: ServerMetricsSample[] }
  | { type: 'session.started' | 'session.updated' | 'session.stopped'; session: LiveSession }
  | { type: 'violation'; violation: Violation }
  | { type: 'server.status'; server: ServerMetricsSample };

type Listener = (message: LiveMessage) => void;

export class LiveHub {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly servers = new Map<string, ServerMetricsSample>();
  private readonly listeners = new Set<Listener>();
  private readonly consumers: BusConsumer[] = [];

  constructor(
    private readonly options: {
      bus: Bus;
      warehouse: Warehouse;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { warehouse } = this.options;
    for (const s of await new SessionQueries(warehouse).active())
      this.sessions.set(`${s.serverId}/${s.sessionKey}`, viewFromRow(s));
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

  snapshot(): LiveMessage {
    return { type: 'snapshot', sessions: [...this.sessions.values()], servers: [...this.servers.values()] };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onEvent(event: PlaybackEvent): void {
    const key = `${event.serverId}/${event.sessionKey}`;
    const session = viewFromEvent(event, placeOf(event));
    if (event.eventType === 'STOPPED') {
      this.sessions.delete(key);
      this.emit({ type: 'session.stopped', session });
      return;
    }
    const known = this.sessions.has(key);
    this.sessions.set(key, session);
    this.emit({ type: known && event.eventType !== 'STARTED' ? 'session.updated' : 'session.started', session });
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        this.options.logger.warn({ err }, 'live listener failed');
      }
    }
  }
}
