// The rows of an import's staging tables (queries/imports.ts), made as text where the plays are
// read: an import reads and encodes on a thread of its own (importers/read-worker.ts), so this
// module stays clear of the engine's client and carries its bytes across as they are.
import type { PlaybackEvent } from '../schemas/index.ts';
import { playbackEventRow } from './rows.ts';

/** The source_topic of an imported event: `import:` and its source's kind, its id's first part. */
const importTopic = (eventId: string) => `import:${eventId.split(':')[0]}`;

/** Staged plays, ready to insert: JSONCompactEachRow lines by staging window. */
export interface StagedRows {
  /** The number of the first play in its import, and how many plays follow it here. */
  firstPlay: number;
  count: number;
  columns: [string, ...string[]];
  /** Window n holds plays numbered [n * windowPlays, (n + 1) * windowPlays). */
  windows: { n: number; lines: Uint8Array }[];
}

const encoder = new TextEncoder();

/**
 * Stop events as staged rows, `firstPlay` being the number of the first in its import. Positional
 * rows: ClickHouse parses them faster than rows that repeat every field name. The events come
 * placed (the importer looks their addresses up as it makes them).
 */
export function stageRows(stops: PlaybackEvent[], firstPlay: number, windowPlays: number): StagedRows | null {
  let columns: [string, ...string[]] | undefined;
  const byWindow = new Map<number, string[]>();
  for (let i = 0; i < stops.length; i++) {
    const e = stops[i]!;
    const row = playbackEventRow(e, {
      topic: importTopic(e.eventId),
      partition: 0,
      offset: String(firstPlay + i),
      key: null,
      value: null,
      headers: {},
      timestamp: e.observedAt,
    });
    columns ??= Object.keys(row) as [string, ...string[]];
    const n = Math.floor((firstPlay + i) / windowPlays);
    let lines = byWindow.get(n);
    if (!lines) byWindow.set(n, (lines = []));
    // One mapper made every row, its fields always in the same order: the columns' order.
    lines.push(JSON.stringify(Object.values(row)));
  }
  if (!columns) return null;
  return {
    firstPlay,
    count: stops.length,
    columns,
    // Each window's bytes in a buffer of their own, which a thread can hand over without a copy.
    windows: [...byWindow].map(([n, lines]) => ({ n, lines: encoder.encode(lines.join('\n')) })),
  };
}
