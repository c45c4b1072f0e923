// Watches one media server: polls its session list (and, for Plex, re-syncs at once on every
// change notification), turns changes into playback events, reports the server's status and load.
// A failing server is retried with growing back-off; its status changes are logged once each.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { AppError } from '../core/errors.ts';
import type { PlaybackEvent, ServerMetricsSample, ServerStatus } from '../schemas/index.ts';
import { backoffMs } from '../bus/types.ts';
import { ServerRequestError, type RequestFailure } from './http.ts';
import type { ChangeFeed, MediaServerClient, ObservedSession } from './model.ts';
import { diffSessions, graceEndsAt, stopAll, type ServerRef, type TrackerState } from './session-tracker.ts';

export interface ConnectorTiming {
  /** Poll interval while the server is reachable (default 5 s). */
  pollIntervalMs?: number;
  /**
   * How long a session the server leaves out of its list stays open before it counts as stopped
   * (default: 60 s or two polls, whichever is longer). Servers briefly omit playing sessions.
   */
  stopGraceMs?: number;
  /** Poll interval while a Plex change feed is connected: a safety net only (default 30 s). */
  feedPollIntervalMs?: number;
  /** Longest wait between retries of an unreachable server (default 60 s). */
  maxBackoffMs?: number;
  /** Server metrics sample interval (default 60 s). */
  metricsIntervalMs?: number;
  /** Unreachable this long, its sessions count as stopped at the time they were last seen (default 10 min). */
  staleAfterMs?: number;
}

export interface ConnectorStatus {
  serverId: string;
  status: ServerStatus | 'STARTING';
  since: number;
  detail: string | null;
  lastPollAt: number | null;
  lastSuccessAt: number | null;
  activeSessions: number;
  feedConnected: boolean | null;
  counters: {
    polls: number;
    failures: Partial<Record<RequestFailure | 'EMIT', number>>;
    skippedEntries: number;
    events: number;
  };
}

export interface ConnectorDeps {
  server: ServerRef & { name: string };
  client: MediaServerClient;
  feed?: ChangeFeed;
  emitEvents(events: PlaybackEvent[]): Promise<void>;
  emitMetrics(sample: ServerMetricsSample): Promise<void>;
  logger: Logger;
  /** Folder for the tracked-session state (survives restarts); none keeps it in memory only. */
  stateDir?: string;
  timing?: ConnectorTiming;
  now?: () => number;
}

export class ServerConnector {
  private state: TrackerState;
  private readonly statePath: string | undefined;
  private readonly timing: Required<ConnectorTiming>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private nextPollAt = Number.POSITIVE_INFINITY;
  private running = false;
  private polling: Promise<void> | undefined;
  private repoll = false;
  private failures = 0;
  private lastMetricsAt = 0;
  private lastSeenSessions: ObservedSession[] = [];
  /** Sessions stopped on request: when the server no longer lists them, they ended, no grace. */
  private readonly endedByRequest = new Set<string>();
  private lastResponseMs: number | null = null;
  readonly status: ConnectorStatus;

  constructor(private readonly deps: ConnectorDeps) {
    this.logger = deps.logger.child({ component: 'connector', serverId: deps.server.id, serverType: deps.server.type });
    this.now = deps.now ?? Date.now;
    this.timing = {
      pollIntervalMs: deps.timing?.pollIntervalMs ?? 5000,
      feedPollIntervalMs: deps.timing?.feedPollIntervalMs ?? 30_000,
      maxBackoffMs: deps.timing?.maxBackoffMs ?? 60_000,
      metricsIntervalMs: deps.timing?.metricsIntervalMs ?? 60_000,
      staleAfterMs: deps.timing?.staleAfterMs ?? 600_000,
      stopGraceMs: deps.timing?.stopGraceMs ?? Math.max(60_000, 2 * (deps.timing?.pollIntervalMs ?? 5000)),
    };
    this.statePath = deps.stateDir
      ? join(deps.stateDir, `${encodeURIComponent(deps.server.id)}.sessions.json`)
      : undefined;
    this.state = this.loadState();
    this.status = {
      serverId: deps.server.id,
      status: 'STARTING',
      since: this.now(),
      detail: null,
      lastPollAt: null,
      lastSuccessAt: null,
      activeSessions: Object.keys(this.state).length,
      feedConnected: deps.feed ? false : null,
      counters: { polls: 0, failures: {}, skippedEntries: 0, events: 0 },
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.feed?.start({
      onChange: () => this.pollSoon(),
      onConnected: () => {
        this.status.feedConnected = true;
        this.logger.info('change feed connected');
        // Notifications sent while disconnected are gone: re-read the whole list.
        this.pollSoon();
      },
      onDisconnected: (reason) => {
        if (!this.status.feedConnected) return;
        this.status.feedConnected = false;
        this.logger.warn({ reason }, 'change feed disconnected; polling until it is back');
        this.schedule(this.timing.pollIntervalMs);
      },
    });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.deps.feed?.close();
    await this.polling;
    this.deps.client.close();
  }

  /** Polls as soon as the poll in progress (if any) is done. */
  pollSoon(): void {
    if (!this.running) return;
    if (this.polling) {
      this.repoll = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops a session on the server by its session key, with a message to the viewer. */
  async terminate(sessionKey: string, message: string): Promise<void> {
    const terminateId = this.sessionId(sessionKey, 'stopped');
    await this.deps.client.terminate(terminateId, message);
    this.endedByRequest.add(sessionKey);
    this.logger.info({ sessionKey, terminateId }, 'session terminated on request');
    this.pollSoon();
  }

  /** Shows the viewer of a session a message, stopping nothing (Jellyfin and Emby). */
  async message(sessionKey: string, text: string): Promise<void> {
    const client = this.deps.client;
    if (!client.message)
      throw new AppError('conflict', `a ${client.type} server cannot show a message without stopping the stream`);
    await client.message(this.sessionId(sessionKey, 'messaged'), text);
    this.logger.info({ sessionKey }, 'message shown to the viewer on request');
  }

  private sessionId(sessionKey: string, what: string): string {
    const tracked = this.lastSeenSessions.find((s) => s.sessionKey === sessionKey);
    if (!tracked) throw new AppError('not-found', `no session "${sessionKey}" is playing on this server now`);
    if (tracked.terminateId === null)
      throw new AppError(
        'conflict',
        `the server does not give this session's id (Plex lists it without a Session element), so it cannot be ${what} from here`,
      );
    return tracked.terminateId;
  }

  activeSessions(): ObservedSession[] {
    return [...this.lastSeenSessions];
  }

  /** Plans the next poll; never postpones one already planned sooner (a flapping feed must not starve polling). */
  private schedule(delayMs: number): void {
    if (!this.running) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.nextPollAt <= at) return;
    clearTimeout(this.timer);
    this.nextPollAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nextPollAt = Number.POSITIVE_INFINITY;
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined;
        if (this.repoll) {
          this.repoll = false;
          this.schedule(0);
        }
      });
    }, delayMs);
  }

  private async pollOnce(): Promise<void> {
    const startedAt = this.now();
    this.status.lastPollAt = startedAt;
    this.status.counters.polls++;
    try {
      const snapshot = await this.deps.client.sessions();
      this.lastResponseMs = this.now() - startedAt;
      if (snapshot.skipped.length > 0) {
        this.status.counters.skippedEntries += snapshot.skipped.length;
        this.logger.warn(
          { skipped: snapshot.skipped.map((s) => s.reason) },
          'ignored unreadable entries of the session list',
        );
      }
      const unreadable = new Set(snapshot.skipped.flatMap((s) => (s.sessionKey ? [s.sessionKey] : [])));
      const { events, next } = diffSessions(
        this.deps.server,
        this.state,
        snapshot.sessions,
        startedAt,
        unreadable,
        this.timing.stopGraceMs,
        this.endedByRequest,
      );
      if (!(await this.emit(events))) return this.retryLater('EMIT');
      this.commit(next);
      for (const key of this.endedByRequest) if (!(key in next)) this.endedByRequest.delete(key);
      this.lastSeenSessions = snapshot.sessions;
      this.failures = 0;
      this.status.lastSuccessAt = startedAt;
      this.setStatus('UP', null);
      await this.maybeSampleMetrics(false);
      this.schedule(this.status.feedConnected ? this.timing.feedPollIntervalMs : this.timing.pollIntervalMs);
      // A session in its grace period is settled on time even when the feed is quiet.
      const graceEnds = graceEndsAt(next, this.timing.stopGraceMs);
      if (graceEnds !== null) this.schedule(Math.max(0, graceEnds - this.now()));
    } catch (err) {
      const kind: RequestFailure = err instanceof ServerRequestError ? err.reason : 'MALFORMED';
      this.status.counters.failures[kind] = (this.status.counters.failures[kind] ?? 0) + 1;
      this.setStatus(kind === 'AUTH' ? 'AUTH_FAILED' : 'DOWN', (err as Error).message);
      await this.expireStaleSessions();
      await this.maybeSampleMetrics(false);
      this.retryLater(kind);
    }
  }

  private retryLater(kind: RequestFailure | 'EMIT'): void {
    if (kind === 'EMIT') this.status.counters.failures.EMIT = (this.status.counters.failures.EMIT ?? 0) + 1;
    // A refused token will not fix itself quickly: back off further.
    const cap = kind === 'AUTH' ? this.timing.maxBackoffMs * 5 : this.timing.maxBackoffMs;
    this.schedule(Math.max(this.timing.pollIntervalMs, backoffMs(this.failures++, this.timing.pollIntervalMs, cap)));
  }

  private async emit(events: PlaybackEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    try {
      await this.deps.emitEvents(events);
      this.status.counters.events += events.length;
      return true;
    } catch (err) {
      // State is not committed: the next poll derives the same changes again.
      this.logger.error({ err, events: events.length }, 'could not hand playback events to the bus; will retry');
      return false;
    }
  }

  private async expireStaleSessions(): Promise<void> {
    const lastSuccess = this.status.lastSuccessAt ?? this.status.since;
    if (Object.keys(this.state).length === 0 || this.now() - lastSuccess < this.timing.staleAfterMs) return;
    const events = stopAll(this.state);
    if (await this.emit(events)) {
      this.logger.warn(
        { sessions: events.length },
        'server unreachable too long: its sessions are recorded as stopped when last seen',
      );
      this.commit({});
      this.lastSeenSessions = [];
    }
  }

  private setStatus(status: ServerStatus, detail: string | null): void {
    const changed = this.status.status !== status;
    if (changed) {
      const previous = this.status.status;
      this.status.status = status;
      this.status.since = this.now();
      if (status === 'UP') this.logger.info({ previous }, 'server reachable');
      else
        this.logger.error(
          { previous, detail },
          status === 'AUTH_FAILED' ? 'server refused the token' : 'server unreachable',
        );
      void this.maybeSampleMetrics(true);
    }
    this.status.detail = detail;
  }

  private async maybeSampleMetrics(force: boolean): Promise<void> {
    const now = this.now();
    if (!force && now - this.lastMetricsAt < this.timing.metricsIntervalMs) return;
    this.lastMetricsAt = now;
    const up = this.status.status === 'UP';
    // Host load is extra: a server that will not say still gets its sample of sessions.
    const resources = up ? await this.deps.client.resources().catch(() => null) : null;
    const sessions = up ? this.lastSeenSessions : [];
    const sum = (pick: (s: ObservedSession) => boolean) =>
      sessions.filter(pick).reduce((n, s) => n + (s.quality.bandwidthKbps ?? 0), 0);
    const sample: ServerMetricsSample = {
      sampleId: `${this.deps.server.id}:${now}`,
      serverId: this.deps.server.id,
      serverType: this.deps.server.type,
      sampledAt: now,
      status: this.status.status === 'STARTING' ? 'DOWN' : this.status.status,
      statusDetail: this.status.detail,
      responseTimeMs: up ? this.lastResponseMs : null,
      processCpuPercent: resources?.processCpuPercent ?? null,
      hostCpuPercent: resources?.hostCpuPercent ?? null,
      processMemoryPercent: resources?.processMemoryPercent ?? null,
      hostMemoryPercent: resources?.hostMemoryPercent ?? null,
      activeSessions: sessions.length,
      transcodeSessions: sessions.filter((s) => s.quality.isTranscode).length,
      directPlaySessions: sessions.filter((s) => !s.quality.isTranscode && s.quality.videoDecision !== 'DIRECT_STREAM')
        .length,
      directStreamSessions: sessions.filter(
        (s) => !s.quality.isTranscode && s.quality.videoDecision === 'DIRECT_STREAM',
      ).length,
      totalBandwidthKbps: sum(() => true),
      lanBandwidthKbps: sum((s) => s.networkLocation === 'LAN'),
      wanBandwidthKbps: sum((s) => s.networkLocation !== 'LAN'),
    };
    await this.deps
      .emitMetrics(sample)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not hand a metrics sample to the bus'));
  }

  private commit(next: TrackerState): void {
    this.state = next;
    this.status.activeSessions = Object.keys(next).length;
    if (!this.statePath) return;
    mkdirSync(join(this.statePath, '..'), { recursive: true });
    writeFileSync(`${this.statePath}.tmp`, JSON.stringify(next));
    renameSync(`${this.statePath}.tmp`, this.statePath);
  }

  private loadState(): TrackerState {
    if (!this.statePath) return {};
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as TrackerState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn(
          { err, path: this.statePath },
          'unreadable session state; sessions still playing will be reported as started again',
        );
      }
      return {};
    }
  }
}
