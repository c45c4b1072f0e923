// Imported history: which of a batch's events are stored already (a second import adds nothing),
// and storing the rest, placed by the geolocation given.
import type { PlaybackEvent } from '../../schemas/index.ts';
import type { Warehouse } from '../client.ts';
import { playbackEventRow } from '../rows.ts';
import { rows } from './filters.ts';

/** The source_topic of an imported event: `import:` and its source's kind, its id's first part. */
const importTopic = (eventId: string) => `import:${eventId.split(':')[0]}`;

export class ImportQueries {
  constructor(private readonly w: Warehouse) {}

  /** Ids of these events already in playback_events. */
  async storedEventIds(events: PlaybackEvent[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // Only the events stored for these servers in the batch's time range are candidates: the
    // table's sort key starts with server_id and it is partitioned by month of observed_at.
    const times = events.map((e) => e.observedAt);
    const range = {
      servers: [...new Set(events.map((e) => e.serverId))],
      from: Math.min(...times),
      to: Math.max(...times),
    };
    // An event's id starts with its source's kind, which names its topic (import:jellystat): events
    // of other sources can never share an id. Most batches of a first import find none of their
    // source in their time range, and skip sending every id (a tenth of a big import's time).
    const sources = await rows<{ n: string }>(
      this.w,
      `SELECT count() AS n FROM ${this.w.table('playback_events')}
       WHERE server_id IN {servers:Array(String)} AND observed_at BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
         AND source_topic IN {topics:Array(String)}`,
      { ...range, topics: [...new Set(events.map((e) => importTopic(e.eventId)))] },
    );
    if (Number(sources[0]?.n ?? 0) === 0) return new Set();
    const list = await rows<{ event_id: string }>(
      this.w,
      `SELECT event_id FROM ${this.w.table('playback_events')}
       WHERE server_id IN {servers:Array(String)} AND observed_at BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
         AND event_id IN {ids:Array(String)}`,
      { ...range, ids: events.map((e) => e.eventId) },
    );
    return new Set(list.map((r) => r.event_id));
  }

  /** Stores events of an import; `firstOffset` numbers them in the source_offset column. */
  /** `events` come placed (importers/writer.ts looks their addresses up as it makes them). */
  async insertEvents(events: PlaybackEvent[], firstOffset: number): Promise<void> {
    // Positional rows: ClickHouse parses them faster than rows that repeat every field name.
    // Built a slice at a time, letting other requests in between.
    let columns: [string, ...string[]] | undefined;
    const values: unknown[][] = [];
    for (let from = 0; from < events.length; from += 1000) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      events.slice(from, from + 1000).forEach((e, i) => {
        const source = {
          topic: importTopic(e.eventId),
          partition: 0,
          offset: String(firstOffset + from + i),
          key: null,
          value: null,
          headers: {},
          timestamp: e.observedAt,
        };
        const row = playbackEventRow(e, source);
        columns ??= Object.keys(row) as [string, ...string[]];
        values.push(columns.map((c) => row[c]));
      });
    }
    // chTime writes every time in the basic layout: no need for best-effort parsing.
    if (columns) await this.w.insertCompact('playback_events', columns, values, { date_time_input_format: 'basic' });
  }
}
