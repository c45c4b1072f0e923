// What an operator may want to hear about beside findings: each play's start, stop, pause and
// resume and its first transcode, a play on a device or from a place the account never used, a
// trust score crossing a threshold, and each server's changes of state, derived from the playback,
// trust and server topics; operator-event-stage.ts publishes them on streamwarden.events for the
// notifier and downstream consumers.
//
// Every id is deterministic (the type and the record it comes from), so a replay or a restart
// publishes the same ids again and each channel still hears of each event once (the notifier's
// ledger). The state kept here is small and bounded: the sessions whose transcode was announced,
// and each server's last status. After a restart a server's first sample is announced as its state
// (the notifier tells a channel only of a state it was not told last).
import {
  type OperatorEvent,
  type OperatorEventType,
  type PlaybackEvent,
  type ServerMetricsSample,
  type TrustScoreChange,
  type LibrarySnapshotPage,
  type LibraryItemRecord,
} from '../schemas/index.ts';

const PLAY_TYPES: Partial<Record<PlaybackEvent['eventType'], OperatorEventType>> = {
  STARTED: 'STREAM_STARTED',
  STOPPED: 'STREAM_STOPPED',
  PAUSED: 'STREAM_PAUSED',
  RESUMED: 'STREAM_RESUMED',
};

const PLAY_VERBS: Record<string, string> = {
  STREAM_STARTED: 'started',
  STREAM_STOPPED: 'stopped',
  STREAM_PAUSED: 'paused',
  STREAM_RESUMED: 'resumed',
  STREAM_STILL_PAUSED: 'still has paused',
  TRANSCODE_STARTED: 'is transcoding',
  NEW_DEVICE: 'plays on a new device:',
  NEW_LOCATION: 'plays from a new place:',
};

/** Sessions remembered (transcodes told, pauses going on): enough for any fleet's plays of a day. */
const PLAYS_REMEMBERED = 50_000;

function titleOf(e: PlaybackEvent): string {
  const m = e.media;
  return m.grandparentTitle ? `${m.grandparentTitle} · ${m.title}` : m.title;
}

function placeOf(e: PlaybackEvent): string {
  const l = e.location;
  return l ? [l.city, l.countryCode].filter(Boolean).join(', ') : '';
}

/** The fields a message about a play needs. */
function playDetails(e: PlaybackEvent): Record<string, string> {
  const q = e.quality;
  const details: Record<string, string> = {
    title: titleOf(e),
    mediaType: e.media.mediaType,
    device: e.device.deviceName,
    player: e.device.product || e.device.player,
    platform: e.device.platform,
    ip: e.clientIp,
    network: e.networkLocation,
    place: placeOf(e),
    decision: q.isTranscode ? 'TRANSCODE' : q.videoDecision,
  };
  if (e.media.libraryId) details.libraryId = e.media.libraryId;
  if (e.location?.countryCode) details.country = e.location.countryCode;
  if (q.bandwidthKbps !== null) details.bandwidthKbps = String(q.bandwidthKbps);
  if (q.bitrateKbps !== null) details.bitrateKbps = String(q.bitrateKbps);
  if (q.transcodeReasons.length > 0) details.reasons = q.transcodeReasons.join(', ');
  if (q.sourceVideoResolution) details.sourceResolution = q.sourceVideoResolution;
  if (q.streamVideoResolution) details.streamResolution = q.streamVideoResolution;
  if (q.sourceVideoCodec) details.sourceCodec = q.sourceVideoCodec;
  if (q.streamVideoCodec) details.streamCodec = q.streamVideoCodec;
  if (e.device.product) details.product = e.device.product;
  if (e.playedMs !== null) details.playedMinutes = String(Math.round(e.playedMs / 60_000));
  return details;
}

function playEvent(e: PlaybackEvent, type: OperatorEventType, eventId: string): OperatorEvent {
  const details = playDetails(e);
  return {
    eventId,
    type,
    occurredAt: e.observedAt,
    serverId: e.serverId,
    accountKey: e.accountKey,
    userName: e.userName,
    personId: e.personId,
    sessionKey: e.sessionKey,
    severity: 'INFO',
    summary: `${e.userName} ${PLAY_VERBS[type]} ${details.title} on ${details.device}${details.place ? ` (${details.place})` : ''}`,
    details,
  };
}

/** A pause going on is told again at each of these marks (minutes), for rules on long pauses. */
const PAUSE_MARK_MINUTES = 5;

/** Per session: the transcode told (true), or when its pause began and the last mark told. */
export type PlayMemory = Map<string, true | { pausedSince: number; told: number }>;

/**
 * The events of a play's record. `memory` holds the sessions whose transcode was told, and the
 * pauses going on: a pause is told when it begins (STREAM_PAUSED) and again every five minutes it
 * lasts (STREAM_STILL_PAUSED, with pausedMinutes), from the polls that see it still paused.
 */
export function eventsOfPlay(e: PlaybackEvent, memory: PlayMemory): OperatorEvent[] {
  const out: OperatorEvent[] = [];
  const type = PLAY_TYPES[e.eventType];
  if (type) out.push(playEvent(e, type, `${type}:${e.eventId}`));
  const session = `${e.serverId}:${e.sessionKey}`;
  const pause = memory.get(`pause:${session}`);
  if (e.eventType === 'PAUSED') memory.set(`pause:${session}`, { pausedSince: e.observedAt, told: 0 });
  else if (e.eventType === 'RESUMED' || e.eventType === 'STOPPED' || e.playState !== 'PAUSED')
    memory.delete(`pause:${session}`);
  else if (e.eventType === 'PROGRESS') {
    // Paused before this process saw it: dated from now, which can only make it shorter.
    const known = pause === undefined || pause === true ? { pausedSince: e.observedAt, told: 0 } : pause;
    const mark = Math.floor((e.observedAt - known.pausedSince) / 60_000 / PAUSE_MARK_MINUTES) * PAUSE_MARK_MINUTES;
    if (mark > known.told) {
      const still = playEvent(e, 'STREAM_STILL_PAUSED', `STREAM_STILL_PAUSED:${session}:${known.pausedSince}:${mark}`);
      still.details.pausedMinutes = String(mark);
      out.push(still);
      known.told = mark;
    }
    memory.set(`pause:${session}`, known);
  }
  if (e.quality.isTranscode && e.eventType !== 'STOPPED' && !memory.has(session)) {
    memory.set(session, true);
    out.push(playEvent(e, 'TRANSCODE_STARTED', `TRANSCODE_STARTED:${session}`));
  }
  if (e.eventType === 'STOPPED') memory.delete(session);
  while (memory.size > PLAYS_REMEMBERED) memory.delete(memory.keys().next().value!);
  return out;
}

const SERVER_TYPES = { UP: 'SERVER_UP', DEGRADED: 'SERVER_UP', DOWN: 'SERVER_DOWN', AUTH_FAILED: 'SERVER_AUTH_FAILED' };
const SERVER_WORDS = { SERVER_UP: 'is up', SERVER_DOWN: 'is down', SERVER_AUTH_FAILED: 'refuses its credentials' };

/** A server's event when its state differs from the last one seen (or none was seen). */
export function eventOfSample(s: ServerMetricsSample, last: Map<string, string>): OperatorEvent | null {
  const type = SERVER_TYPES[s.status] as 'SERVER_UP' | 'SERVER_DOWN' | 'SERVER_AUTH_FAILED';
  if (last.get(s.serverId) === type) return null;
  last.set(s.serverId, type);
  const details: Record<string, string> = { status: s.status };
  if (s.statusDetail) details.statusDetail = s.statusDetail;
  return {
    eventId: `${type}:${s.sampleId}`,
    type,
    occurredAt: s.sampledAt,
    serverId: s.serverId,
    accountKey: null,
    userName: null,
    personId: null,
    sessionKey: null,
    severity: type === 'SERVER_UP' ? 'INFO' : 'HIGH',
    summary: `${s.serverId} ${SERVER_WORDS[type]}${s.statusDetail ? `: ${s.statusDetail}` : ''}`,
    details,
  };
}

const HOUR = 3_600_000;
/** How far back a library's first snapshot seen here looks for additions. */
const ADDED_LOOKBACK_MS = 24 * HOUR;

/**
 * Titles added to libraries, one event per library and hour they were added in (the media
 * server's addedAt), told once the hour is over and a snapshot after it lists them: the same hour
 * found again (another sync, a replay, a restart) has the same id, so it is told once. Pages of a
 * snapshot are gathered until its last page.
 */
export class RecentlyAdded {
  private readonly pages = new Map<string, LibrarySnapshotPage[]>();
  private readonly lastSnapshot = new Map<string, number>();

  eventsOf(page: LibrarySnapshotPage): OperatorEvent[] {
    const library = `${page.serverId}:${page.libraryId}`;
    const key = `${library}@${page.snapshotAt}`;
    const pages = [...(this.pages.get(key) ?? []), page];
    if (!page.lastPage) {
      this.pages.set(key, pages);
      return [];
    }
    this.pages.delete(key);
    const previous = this.lastSnapshot.get(library);
    this.lastSnapshot.set(library, page.snapshotAt);
    const since = Math.min(previous ?? page.snapshotAt, page.snapshotAt - ADDED_LOOKBACK_MS);
    const complete = Math.floor(page.snapshotAt / HOUR) * HOUR;
    const byHour = new Map<number, LibraryItemRecord[]>();
    for (const item of pages.flatMap((p) => p.items)) {
      if (item.addedAt === null || item.addedAt < since || item.addedAt >= complete) continue;
      const hour = Math.floor(item.addedAt / HOUR) * HOUR;
      byHour.set(hour, [...(byHour.get(hour) ?? []), item]);
    }
    return [...byHour].map(([hour, items]) => {
      // Episodes of one show are one line.
      const titles = [...new Set(items.map((i) => i.grandparentTitle || i.title))];
      return {
        eventId: `RECENTLY_ADDED:${library}:${hour}`,
        type: 'RECENTLY_ADDED' as const,
        occurredAt: hour + HOUR,
        serverId: page.serverId,
        accountKey: null,
        userName: null,
        personId: null,
        sessionKey: null,
        severity: 'INFO' as const,
        summary: `${items.length} added to ${page.libraryTitle}: ${titles.slice(0, 10).join(', ')}`,
        details: {
          libraryId: page.libraryId,
          library: page.libraryTitle,
          count: String(items.length),
          titles: titles.slice(0, 20).join(', '),
        },
      };
    });
  }
}

/** Trust thresholds watched, highest first: a crossing of any is told (the furthest one). */
const TRUST_THRESHOLDS = [75, 50, 25];

/** The event of a trust change that crosses a threshold, down (the lowest crossed) or up. */
export function eventOfTrustChange(c: TrustScoreChange): OperatorEvent | null {
  const down = TRUST_THRESHOLDS.filter((t) => c.previousScore >= t && c.newScore < t).at(-1);
  const up = TRUST_THRESHOLDS.find((t) => c.previousScore < t && c.newScore >= t);
  const threshold = down ?? up;
  if (threshold === undefined) return null;
  return {
    eventId: `TRUST_THRESHOLD:${c.changeId}`,
    type: 'TRUST_THRESHOLD',
    occurredAt: c.changedAt,
    serverId: c.serverId,
    accountKey: c.accountKey,
    userName: null,
    personId: null,
    sessionKey: null,
    severity: down === undefined ? 'INFO' : threshold <= 25 ? 'HIGH' : threshold <= 50 ? 'MEDIUM' : 'LOW',
    summary: `${c.accountKey}'s trust score ${down === undefined ? 'rose to' : 'fell below'} ${threshold} (${c.previousScore} -> ${c.newScore})`,
    details: {
      threshold: String(threshold),
      direction: down === undefined ? 'UP' : 'DOWN',
      previousScore: String(c.previousScore),
      newScore: String(c.newScore),
      reason: c.reason,
      ...(c.rule ? { rule: c.rule } : {}),
    },
  };
}

/** What these accounts used before a play (warehouse/queries/account-history.ts). */
export type AccountHistoryLookup = (
  accountKeys: string[],
  before: number,
) => Promise<{ plays: number; devices: string[]; places: string[] }>;

interface KnownAccount {
  plays: number;
  devices: Set<string>;
  places: Set<string>;
}

/** Accounts remembered with their devices and places; older ones are read again when they play. */
const ACCOUNTS_REMEMBERED = 20_000;

/**
 * Tells a play on a device, or from a place (country and city), that the account never used
 * before, or, for a linked account, that its person never used on any of their accounts. An
 * account's (a person's) first play is no news: only those with earlier plays are told of. What
 * they used is read from the warehouse the first time they are seen here (plays started before
 * this one, so a replay decides as the first pass did), then kept up to date. A person's other
 * accounts may be read by another pipeline process: what they play meanwhile is known here from
 * the warehouse the next time the person is read (after a change of links, or when forgotten).
 */
export class NewDeviceAndPlace {
  /** By person id for linked accounts, by account key otherwise. */
  private readonly accounts = new Map<string, KnownAccount>();
  private accountsOf: (personId: string) => readonly string[] = () => [];

  constructor(private readonly history: AccountHistoryLookup) {}

  /** People's links changed: what people used is read again. */
  updatePeople(accountsOf: (personId: string) => readonly string[]): void {
    this.accountsOf = accountsOf;
    this.accounts.clear();
  }

  /** The events of these plays, in order; those not known yet are read in one round. */
  async eventsOf(plays: PlaybackEvent[]): Promise<OperatorEvent[]> {
    const starts = plays.filter((e) => e.eventType === 'STARTED');
    const unknown = new Map<string, PlaybackEvent>();
    for (const e of starts) {
      const owner = ownerOf(e);
      if (!this.accounts.has(owner) && !unknown.has(owner)) unknown.set(owner, e);
    }
    await Promise.all(
      [...unknown].map(async ([owner, e]) => {
        const accounts = e.personId ? [...new Set([e.accountKey, ...this.accountsOf(e.personId)])] : [e.accountKey];
        const h = await this.history(accounts, e.playStartedAt ?? e.observedAt);
        this.remember(owner, { plays: h.plays, devices: new Set(h.devices), places: new Set(h.places) });
      }),
    );
    return starts.flatMap((e) => this.news(e));
  }

  private remember(accountKey: string, known: KnownAccount): void {
    this.accounts.delete(accountKey);
    this.accounts.set(accountKey, known);
    if (this.accounts.size > ACCOUNTS_REMEMBERED) this.accounts.delete(this.accounts.keys().next().value!);
  }

  private news(e: PlaybackEvent): OperatorEvent[] {
    const owner = ownerOf(e);
    const known = this.accounts.get(owner);
    if (!known) return [];
    const place = e.location?.countryCode ? `${e.location.countryCode}|${e.location.city ?? ''}` : null;
    const out: OperatorEvent[] = [];
    if (known.plays > 0) {
      if (!known.devices.has(e.device.deviceId))
        out.push(playEvent(e, 'NEW_DEVICE', `NEW_DEVICE:${owner}:${e.device.deviceId}`));
      if (place && !known.places.has(place)) out.push(playEvent(e, 'NEW_LOCATION', `NEW_LOCATION:${owner}:${place}`));
    }
    known.plays++;
    known.devices.add(e.device.deviceId);
    if (place) known.places.add(place);
    this.remember(owner, known);
    return out;
  }
}

/** Whose news a play is: its person's when the account is linked (ids say person:), else the account's. */
const ownerOf = (e: PlaybackEvent): string => (e.personId ? `person:${e.personId}` : e.accountKey);
