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
 * Buffers for staged rows, used again once their rows are staged: an import writes ~6 MB of text
 * per batch, and buffers left for the garbage collector of the thread that stages them made it
 * run a full collection every few batches (bench/README.md, "Import").
 */
export class LineBuffers {
  private readonly free: ArrayBuffer[] = [];

  /** Buffers whose rows are staged, back for use. */
  give(buffers: ArrayBuffer[]): void {
    for (const buffer of buffers) if (this.free.length < 8 && buffer.byteLength > 0) this.free.push(buffer);
  }

  /** `text` as UTF-8, in a buffer of its own (a free one when one is big enough). */
  encode(text: string): Uint8Array {
    const bytes = Buffer.byteLength(text, 'utf8');
    const fit = this.free.findIndex((buffer) => buffer.byteLength >= bytes);
    // A new buffer has a quarter to spare, so that the next batch's rows fit in it too.
    const buffer = fit >= 0 ? this.free.splice(fit, 1)[0]! : new ArrayBuffer(Math.ceil(bytes * 1.25));
    const { written } = encoder.encodeInto(text, new Uint8Array(buffer));
    return new Uint8Array(buffer, 0, written);
  }
}

/**
 * Staged rows written a play at a time, each stop event made into its row's text as it comes, so
 * that only the text waits for the batch: the events and rows die young. Positional rows:
 * ClickHouse parses them faster than rows that repeat every field name. The events come placed
 * (the importer looks their addresses up as it makes them).
 */
export class StagedRowsWriter {
  private columns: [string, ...string[]] | undefined;
  private firstPlay = 0;
  private count = 0;
  private byWindow = new Map<number, string[]>();

  constructor(
    private readonly windowPlays: number,
    private readonly buffers?: LineBuffers,
  ) {}

  /** Plays written since the last take. */
  get size(): number {
    return this.count;
  }

  /** Writes the stop event of play number `play` (its number in its import). */
  add(stop: PlaybackEvent, play: number): void {
    if (this.count === 0) this.firstPlay = play;
    this.count++;
    const row = playbackEventRow(stop, {
      topic: importTopic(stop.eventId),
      partition: 0,
      offset: String(play),
      key: null,
      value: null,
      headers: {},
      timestamp: stop.observedAt,
    });
    this.columns ??= Object.keys(row) as [string, ...string[]];
    const n = Math.floor(play / this.windowPlays);
    let lines = this.byWindow.get(n);
    if (!lines) this.byWindow.set(n, (lines = []));
    // One mapper made every row, its fields always in the same order: the columns' order.
    lines.push(JSON.stringify(Object.values(row)));
  }

  /** The plays written since the last take, as staged rows; null when there are none. */
  take(): StagedRows | null {
    if (!this.columns || this.count === 0) return null;
    const staged: StagedRows = {
      firstPlay: this.firstPlay,
      count: this.count,
      columns: this.columns,
      // Each window's bytes in a buffer of their own, which a thread can hand over without a copy.
      windows: [...this.byWindow].map(([n, lines]) => {
        const text = lines.join('\n');
        return { n, lines: this.buffers ? this.buffers.encode(text) : encoder.encode(text) };
      }),
    };
    this.count = 0;
    this.byWindow = new Map();
    return staged;
  }
}
