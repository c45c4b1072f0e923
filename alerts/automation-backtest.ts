// What an automation rule would have done over stored history: each play replayed as the events
// its trigger listens to (a start, a stop, a transcode, a device or place new within the range),
// its conditions checked as the engine checks them, with what the account watched that day counted
// from the history itself. Nothing is sent or stopped.
import { AppError } from '../core/errors.ts';
import { startOfDay, startOfWeek } from '../core/time-zone.ts';
import type { OperatorEvent } from '../schemas/index.ts';
import type { HistoryPlay } from '../warehouse/queries/automations.ts';
import { conditionsHold } from './automation-conditions.ts';
import type { Automation } from './automations.ts';

const REPLAYABLE = ['STREAM_STARTED', 'STREAM_STOPPED', 'TRANSCODE_STARTED', 'NEW_DEVICE', 'NEW_LOCATION'];
/** Firings listed in the answer (all are counted). */
const LISTED = 200;

export interface AutomationBacktest {
  plays: number;
  fired: number;
  /** Firings per day (the install's zone), oldest first. */
  byDay: Array<{ day: string; fired: number }>;
  firings: Array<{
    serverId: string;
    sessionKey: string;
    accountKey: string;
    userName: string;
    title: string;
    at: string;
    actions: string[];
  }>;
  /** What the answer leaves out, in words (the history was cut, what "new" means here). */
  notes: string[];
}

class NotReplayableError extends AppError {
  constructor(trigger: string) {
    super(
      'invalid',
      `a backtest replays stored plays; ${trigger} events are not plays (replayable: ${REPLAYABLE.join(', ')})`,
    );
  }
}

function eventOf(p: HistoryPlay, type: OperatorEvent['type'], at: number): OperatorEvent {
  const title = p.grandparent_title ? `${p.grandparent_title} · ${p.title}` : p.title;
  const details: Record<string, string> = {
    title,
    mediaType: p.media_type,
    device: p.device_name,
    player: p.product || p.player,
    platform: p.platform,
    ip: p.client_ip,
    network: p.network_location,
    place: [p.city, p.country_code].filter(Boolean).join(', '),
    decision: p.is_transcode ? 'TRANSCODE' : p.video_decision,
  };
  if (p.library_id) details.libraryId = p.library_id;
  if (p.country_code) details.country = p.country_code;
  if (p.source_video_resolution) details.sourceResolution = p.source_video_resolution;
  if (p.stream_video_resolution) details.streamResolution = p.stream_video_resolution;
  if (p.source_video_codec) details.sourceCodec = p.source_video_codec;
  if (p.stream_video_codec) details.streamCodec = p.stream_video_codec;
  if (p.product) details.product = p.product;
  if (p.transcode_reasons.length > 0) details.reasons = p.transcode_reasons.join(', ');
  if (p.bandwidth_kbps !== null) details.bandwidthKbps = String(p.bandwidth_kbps);
  if (p.bitrate_kbps !== null) details.bitrateKbps = String(p.bitrate_kbps);
  return {
    eventId: `${type}:${p.server_id}:${p.session_key}`,
    type,
    occurredAt: at,
    serverId: p.server_id,
    accountKey: p.account_key,
    userName: p.user_name,
    personId: null,
    sessionKey: p.session_key,
    severity: 'INFO',
    summary: title,
    details,
  };
}

export async function backtestAutomation(
  rule: Automation,
  history: HistoryPlay[],
  options: { timeZone: string; cut: boolean },
): Promise<AutomationBacktest> {
  if (!REPLAYABLE.includes(rule.trigger)) throw new NotReplayableError(rule.trigger);
  const zone = options.timeZone || 'UTC';
  /** Per account and day or week: ms played and plays started so far. */
  const watched = new Map<string, { ms: number; plays: number }>();
  /** Each account's earlier plays' ends (Infinity: still going), for the streams at a start. */
  const ends = new Map<string, number[]>();
  const seen = new Map<string, { devices: Set<string>; places: Set<string> }>();
  const byDay = new Map<string, number>();
  const answer: AutomationBacktest = { plays: history.length, fired: 0, byDay: [], firings: [], notes: [] };
  for (const p of history) {
    const startedAt = Date.parse(p.started_at);
    const dayKey = `${p.account_key}@${startOfDay(startedAt, zone)}`;
    const weekKey = `${p.account_key}@week@${startOfWeek(startedAt, zone)}`;
    const before = {
      day: watched.get(dayKey) ?? { ms: 0, plays: 0 },
      week: watched.get(weekKey) ?? { ms: 0, plays: 0 },
    };
    const known = seen.get(p.account_key);
    const accountEnds = (ends.get(p.account_key) ?? []).filter((end) => end > startedAt);
    const streamsAt = accountEnds.length + 1;
    const place = p.country_code ? `${p.country_code}|${p.city}` : '';
    const events: OperatorEvent[] = [];
    if (rule.trigger === 'STREAM_STARTED') events.push(eventOf(p, 'STREAM_STARTED', startedAt));
    if (rule.trigger === 'TRANSCODE_STARTED' && p.is_transcode) events.push(eventOf(p, 'TRANSCODE_STARTED', startedAt));
    if (rule.trigger === 'STREAM_STOPPED' && p.stopped_at)
      events.push(eventOf(p, 'STREAM_STOPPED', Date.parse(p.stopped_at)));
    if (rule.trigger === 'NEW_DEVICE' && known && !known.devices.has(p.device_id))
      events.push(eventOf(p, 'NEW_DEVICE', startedAt));
    if (rule.trigger === 'NEW_LOCATION' && known && place && !known.places.has(place))
      events.push(eventOf(p, 'NEW_LOCATION', startedAt));
    for (const e of events) {
      // History has no people: a condition on a person's tags matches neither way here.
      const counters = {
        watched: async (_e: OperatorEvent, since: 'day' | 'week') => ({
          minutes: before[since].ms / 60_000,
          plays: before[since].plays,
        }),
        streamsNow: async () => streamsAt,
        personTags: async () => null,
      };
      if (!(await conditionsHold(rule, e, zone, counters))) continue;
      answer.fired++;
      const day = new Date(startOfDay(e.occurredAt, zone)).toISOString();
      byDay.set(day, (byDay.get(day) ?? 0) + 1);
      if (answer.firings.length < LISTED)
        answer.firings.push({
          serverId: p.server_id,
          sessionKey: p.session_key,
          accountKey: p.account_key,
          userName: p.user_name,
          title: e.details.title ?? '',
          at: new Date(e.occurredAt).toISOString(),
          actions: rule.actions.map((a) =>
            a.type === 'notify'
              ? `tell ${a.channels.length || 'every'} channel(s)`
              : a.type === 'adjustTrust'
                ? `trust ${a.points > 0 ? '+' : ''}${a.points}`
                : a.type === 'tag'
                  ? `tag the person "${a.tag}"`
                  : `${a.type === 'stop' ? 'stop with' : 'show'} "${a.message}"`,
          ),
        });
    }
    for (const [key, was] of [
      [dayKey, before.day],
      [weekKey, before.week],
    ] as const)
      watched.set(key, { ms: was.ms + Number(p.played_ms), plays: was.plays + 1 });
    ends.set(p.account_key, [...accountEnds, p.stopped_at ? Date.parse(p.stopped_at) : Infinity]);
    const entry = known ?? { devices: new Set<string>(), places: new Set<string>() };
    entry.devices.add(p.device_id);
    if (place) entry.places.add(place);
    seen.set(p.account_key, entry);
  }
  answer.byDay = [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, fired]) => ({ day, fired }));
  if (options.cut) answer.notes.push(`only the first ${history.length} plays of the range were replayed`);
  if (rule.trigger === 'NEW_DEVICE' || rule.trigger === 'NEW_LOCATION')
    answer.notes.push("new means new within the range: an account's devices and places before it are not read");
  if (answer.firings.length < answer.fired) answer.notes.push(`the first ${LISTED} firings are listed`);
  return answer;
}
