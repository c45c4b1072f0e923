// Turns successive snapshots of a server's session list into playback events: STARTED when a
// session appears, PAUSED/RESUMED on state changes, PROGRESS otherwise, STOPPED exactly once when
// it is gone for good (or plays something else). Servers briefly leave a playing session out of
// their list (Plex between transcoder segments, Jellyfin while a transcode restarts): an absent
// session is kept open for a grace period, and if it comes back with the same item it is the
// same play. The tracker is a value: diff() returns the events and
// the next state without changing anything, so a caller commits the state only after the events
// were accepted by the bus and nothing is lost when producing fails.
import { createHash } from 'node:crypto';
import type { PlaybackEvent, PlaybackEventType, ServerType } from '../schemas/index.ts';
import type { ObservedSession } from './model.ts';

interface TrackedSession {
  /** Last event emitted for the session: everything a later STOPPED needs. */
  last: PlaybackEvent;
  startedAt: number;
  /** When the server first left it out of its list, while it is in its grace period. */
  missingSince?: number;
}

export type TrackerState = Record<string, TrackedSession>;

export interface ServerRef {
  id: string;
  type: ServerType;
}

function accountKey(serverId: string, userId: string): string {
  return `${serverId}:${userId}`;
}

export function eventId(
  serverId: string,
  sessionKey: string,
  itemId: string,
  type: PlaybackEventType,
  observedAt: number,
): string {
  return createHash('sha256')
    .update(`${serverId}\u0000${sessionKey}\u0000${itemId}\u0000${type}\u0000${observedAt}`)
    .digest('hex')
    .slice(0, 32);
}

interface PlayClock {
  playStartedAt: number;
  playedMs: number;
  pausedMs: number;
}

/** The play's counters advanced to `observedAt`: the time since the last event goes to its state. */
function advance(previous: PlaybackEvent | undefined, observedAt: number): PlayClock | undefined {
  if (!previous || previous.playStartedAt === null) return undefined;
  const elapsed = Math.max(0, observedAt - previous.observedAt);
  const paused = previous.playState === 'PAUSED';
  return {
    playStartedAt: previous.playStartedAt,
    playedMs: (previous.playedMs ?? 0) + (paused ? 0 : elapsed),
    pausedMs: (previous.pausedMs ?? 0) + (paused ? elapsed : 0),
  };
}

function toEvent(
  server: ServerRef,
  session: ObservedSession,
  type: PlaybackEventType,
  observedAt: number,
  clock: PlayClock,
): PlaybackEvent {
  return {
    eventId: eventId(server.id, session.sessionKey, session.media.itemId, type, observedAt),
    eventType: type,
    observedAt,
    serverId: server.id,
    serverType: server.type,
    accountKey: accountKey(server.id, session.userId),
    userId: session.userId,
    userName: session.userName,
    sessionKey: session.sessionKey,
    media: session.media,
    device: session.device,
    clientIp: session.clientIp,
    networkLocation: session.networkLocation,
    playState: session.playState,
    positionMs: session.positionMs,
    durationMs: session.durationMs,
    quality: session.quality,
    ...clock,
    // Placed by the runner as the event leaves (one lookup per event, by its producer).
    location: null,
    geoSource: null,
    personId: null,
  };
}

function stopped(previous: PlaybackEvent, observedAt: number): PlaybackEvent {
  return {
    ...previous,
    ...advance(previous, observedAt),
    eventId: eventId(previous.serverId, previous.sessionKey, previous.media.itemId, 'STOPPED', observedAt),
    eventType: 'STOPPED',
    observedAt,
    playState: 'STOPPED',
  };
}

function transition(previous: PlaybackEvent, current: ObservedSession): PlaybackEventType {
  const wasPaused = previous.playState === 'PAUSED';
  const isPaused = current.playState === 'PAUSED';
  if (!wasPaused && isPaused) return 'PAUSED';
  if (wasPaused && !isPaused) return 'RESUMED';
  return 'PROGRESS';
}

/**
 * `unreadable` lists sessions the server listed but in a shape that could not be read this time:
 * they are kept as they were, without an event, instead of being taken for stopped.
 */
export function diffSessions(
  server: ServerRef,
  state: TrackerState,
  observed: ObservedSession[],
  observedAt: number,
  unreadable: ReadonlySet<string> = new Set(),
  /** How long an absent session stays open (0: the first absence stops it). */
  graceMs = 0,
  /** Sessions known to have ended (stopped on request): their absence needs no grace. */
  ended: ReadonlySet<string> = new Set(),
): { events: PlaybackEvent[]; next: TrackerState } {
  const events: PlaybackEvent[] = [];
  const next: TrackerState = {};
  for (const session of observed) {
    const previous = state[session.sessionKey];
    let event: PlaybackEvent;
    let startedAt = observedAt;
    const fresh: PlayClock = { playStartedAt: observedAt, playedMs: 0, pausedMs: 0 };
    if (!previous) {
      event = toEvent(server, session, 'STARTED', observedAt, fresh);
    } else if (previous.last.media.itemId !== session.media.itemId || previous.last.userId !== session.userId) {
      // The same player session moved on to another item (next episode, autoplay): two plays.
      events.push(stopped(previous.last, previous.missingSince === undefined ? observedAt : previous.last.observedAt));
      event = toEvent(server, session, 'STARTED', observedAt, fresh);
    } else {
      // State saved by an older version has no counters: the play is dated from its known start.
      const clock = advance(previous.last, observedAt) ?? {
        playStartedAt: previous.startedAt,
        playedMs: 0,
        pausedMs: 0,
      };
      event = toEvent(server, session, transition(previous.last, session), observedAt, clock);
      startedAt = previous.startedAt;
    }
    events.push(event);
    next[session.sessionKey] = { last: event, startedAt };
  }
  for (const [key, previous] of Object.entries(state)) {
    if (key in next) continue;
    if (unreadable.has(key)) {
      next[key] = previous;
      continue;
    }
    if (graceMs <= 0 || ended.has(key)) {
      events.push(stopped(previous.last, observedAt));
      continue;
    }
    const missingSince = previous.missingSince ?? observedAt;
    // Gone for good: it stopped when it was last seen, not when its absence was confirmed.
    if (observedAt - missingSince >= graceMs) events.push(stopped(previous.last, previous.last.observedAt));
    else next[key] = { ...previous, missingSince };
  }
  return { events, next };
}

/** When the earliest grace period of an absent session ends, or null when none is absent. */
export function graceEndsAt(state: TrackerState, graceMs: number): number | null {
  const since = Object.values(state).flatMap((s) => (s.missingSince === undefined ? [] : [s.missingSince]));
  return since.length ? Math.min(...since) + graceMs : null;
}

/** Stops every tracked session at the time it was last seen (the server stayed unreachable too long). */
export function stopAll(state: TrackerState): PlaybackEvent[] {
  return Object.values(state).map((s) => stopped(s.last, s.last.observedAt));
}
