// Splits a document of the form [{"table": [row, row, ...]}, {"other": [...]}, ...] (Jellystat's
// backup) into its rows as the bytes arrive, each row parsed by the engine's own JSON.parse.
//
// Hand-written rather than a streaming JSON library (@streamparser/json was tried): a generic
// streaming parser builds every token in JavaScript and read 22 MB/s here, under the 20,000
// plays/s an import must reach; this only tracks nesting and strings byte by byte and hands each
// row's text to JSON.parse, several times faster. The trade-off: structure outside rows is checked
// only for balance, not token by token; rows are parsed strictly.
import { AppError } from '../core/errors.ts';

export interface TableRow {
  table: string;
  row: unknown;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The longest row or table name read: a Jellystat row is a few KiB. A row that never ends (a
 * hostile or broken file) would otherwise be carried, and copied, chunk after chunk to the end
 * of a file of up to 8 GiB.
 */
export const MAX_ROW_BYTES = 16 * 2 ** 20;

export class JsonRowsError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export class JsonTableRows {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Start of the row or key being read, in the buffer being scanned (-1: none). */
  private start = -1;
  private readingKey = false;
  private table: string | null = null;
  /** Bytes of an unfinished row or key, carried to the next chunk. */
  private carry: Buffer | null = null;
  /** Position in the file of the current buffer's first byte, for error messages. */
  private consumed = 0;
  private started = false;

  /** The rows completed by this chunk. */
  push(chunk: Buffer): TableRow[] {
    let buf = chunk;
    let i = 0;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      i = this.carry.length;
      this.start = 0;
      this.carry = null;
    }
    const rows: TableRow[] = [];
    const n = buf.length;
    // The state lives in locals while a chunk is scanned: V8 keeps them in registers, several
    // times faster than reading and writing fields at each byte.
    let { depth, inString, escaped, start, readingKey } = this;
    for (; i < n; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Most bytes are in strings: run to the next quote or backslash in a loop of its own.
        let s = buf[i]!;
        while (s !== QUOTE && s !== BACKSLASH && ++i < n) s = buf[i]!;
        if (i === n) break;
        if (s === BACKSLASH) escaped = true;
        else {
          inString = false;
          if (readingKey) {
            this.table = JSON.parse(buf.toString('utf8', start, i + 1)) as string;
            readingKey = false;
            start = -1;
          }
        }
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) {
        inString = true;
        // A string directly in a table object is the table's name.
        if (depth === 2) {
          readingKey = true;
          start = i;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (!this.started) {
          if (c !== OPEN_ARRAY) throw new JsonRowsError('the document is not a JSON array');
          this.started = true;
        }
        if (depth === 3 && c === OPEN_OBJECT) start = i;
        depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth < 0)
          throw new JsonRowsError(`unbalanced ${String.fromCharCode(c)} near byte ${this.position(buf, i)}`);
        if (depth === 3 && c === CLOSE_OBJECT && start >= 0) {
          const text = buf.toString('utf8', start, i + 1);
          let row: unknown;
          try {
            row = JSON.parse(text);
          } catch (err) {
            throw new JsonRowsError(
              `${(err as Error).message} in a row of "${this.table}" near byte ${this.position(buf, start)}`,
            );
          }
          rows.push({ table: this.table ?? '', row });
          start = -1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.readingKey = readingKey;
    this.start = start;
    // `consumed` is where buf[0] stands in the file; the carried bytes begin the next buffer.
    if (this.start >= 0) {
      if (buf.length - this.start > MAX_ROW_BYTES)
        throw new JsonRowsError(
          `a row of "${this.table}" near byte ${this.position(buf, this.start)} runs past ${MAX_ROW_BYTES / 2 ** 20} MiB without ending`,
        );
      this.carry = buf.subarray(this.start);
      this.consumed += this.start;
    } else {
      this.consumed += buf.length;
    }
    this.start = -1;
    return rows;
  }

  /** Throws unless the document was complete. */
  end(): void {
    if (!this.started) throw new JsonRowsError('the file is empty');
    if (this.depth !== 0 || this.inString)
      throw new JsonRowsError('it ends before the document does (a truncated file?)');
  }

  private position(buf: Buffer, at: number): string {
    return (this.consumed + at).toLocaleString('en-US');
  }
}
