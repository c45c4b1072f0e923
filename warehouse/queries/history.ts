// Stored playback events read back in time order, for replaying detection over history (the
// rule backtest).
import type { PlaybackEvent } from '../../schemas/index.ts';
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';

/** What detection needs of a stored event, with its place as stored. */
export interface DetectionEventRow {
  event_id: string;
  event_type: PlaybackEvent['eventType'];
  observed_ms: string;
  /** Start of the play the event belongs to. */
  play_started_ms: string;
  server_id: string;
  server_type: PlaybackEvent['serverType'];
  account_key: string;
  user_id: string;
  user_name: string;
  session_key: string;
  device_id: string;
  device_name: string;
  client_ip: string;
  network_location: PlaybackEvent['networkLocation'];
  country_code: string;
  region: string;
  city: string;
  latitude: number | null;
  longitude: number | null;
}

export class HistoryQueries {
  constructor(private readonly w: Warehouse) {}

  /**
   * When each of these plays stopped (ms), where it is known: "server_id\u0000session_key\u0000start ms" -> stop.
   * A replay needs it because imported plays have only a start and a stop event: without the stop,
   * a two-hour play would look over minutes after it started.
   */
  async playStops(
    plays: Array<{ serverId: string; sessionKey: string; startedAt: number }>,
  ): Promise<Map<string, number>> {
    const stops = new Map<string, number>();
    // A few thousand keys per query: query parameters travel in the URL, which has a size limit.
    for (let i = 0; i < plays.length; i += 2000) {
      const chunk = plays.slice(i, i + 2000);
      const starts = chunk.map((p) => p.startedAt);
      const list = await rows<{ server_id: string; session_key: string; started_ms: string; stopped_ms: string }>(
        this.w,
        `SELECT server_id, session_key, toString(toUnixTimestamp64Milli(started_at)) AS started_ms,
                toString(toUnixTimestamp64Milli(max(stopped_at))) AS stopped_ms
         FROM ${this.w.table('sessions')}
         WHERE started_at >= fromUnixTimestamp64Milli({lo:Int64}) AND started_at <= fromUnixTimestamp64Milli({hi:Int64})
           AND session_key IN {keys:Array(String)} AND isNotNull(stopped_at)
         GROUP BY server_id, session_key, started_at`,
        {
          lo: starts.reduce((a, b) => Math.min(a, b)),
          hi: starts.reduce((a, b) => Math.max(a, b)),
          keys: [...new Set(chunk.map((p) => p.sessionKey))],
        },
      );
      for (const r of list)
        stops.set(`${r.server_id}\u0000${r.session_key}\u0000${r.started_ms}`, Number(r.stopped_ms));
    }
    return stops;
  }

  /** Up to `page` events after the (observed ms, event id) key `after`, in that order. */
  detectionEvents(
    range: { from: number; to: number; serverIds: string[] },
    after: [string, string],
    page: number,
  ): Promise<DetectionEventRow[]> {
    return rows<DetectionEventRow>(
      this.w,
      `SELECT event_id, event_type, toString(toUnixTimestamp64Milli(observed_at)) AS observed_ms,
              toString(toUnixTimestamp64Milli(play_started_at)) AS play_started_ms, server_id, server_type, account_key, user_id, user_name, session_key,
              device_id, device_name, client_ip, network_location, country_code, region, city, latitude, longitude
       FROM ${this.w.table('playback_events')} FINAL
       WHERE observed_at >= {from:DateTime64(3)} AND observed_at < {to:DateTime64(3)}
         AND (empty({servers:Array(String)}) OR has({servers:Array(String)}, server_id))
         AND (toUnixTimestamp64Milli(observed_at), event_id) > ({after_ms:Int64}, {after_id:String})
       ORDER BY observed_at, event_id LIMIT {page:UInt32}`,
      {
        from: chTime(range.from),
        to: chTime(range.to),
        servers: range.serverIds,
        after_ms: Number(after[0]),
        after_id: after[1],
        page,
      },
    );
  }
}
