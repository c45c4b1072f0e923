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

  /** Up to `page` events after the (observed ms, event id) key `after`, in that order. */
  detectionEvents(
    range: { from: number; to: number; serverIds: string[] },
    after: [string, string],
    page: number,
  ): Promise<DetectionEventRow[]> {
    return rows<DetectionEventRow>(
      this.w,
      `SELECT event_id, event_type, toString(toUnixTimestamp64Milli(observed_at)) AS observed_ms, server_id, server_type, account_key, user_id, user_name, session_key,
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
