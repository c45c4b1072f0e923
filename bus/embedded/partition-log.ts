// One partition of the embedded bus: an append-only log in segment files, like Kafka's.
//
// Frame layout (big-endian):
//   u32 length of the rest | u32 crc32 of what follows | f64 timestamp ms
//   i32 key length (-1 null) | key | i32 value length (-1 null) | value
//   u16 header count | (u16 name length | name | u32 value length | value)*
// A record's offset is its segment's base offset (the file name) plus its index in the segment.
// On open, a torn frame at the end of the newest segment (a crash mid-write) is cut off. Damage
// anywhere else is never cut silently: the damaged file is copied to quarantine/, the intact
// frames before and after the damage are kept at their offsets (those after it go to a segment
// of their own), the lost offsets are left as a gap, and the damage is logged at ERROR and listed
// in `problems` (shown in /health). Offsets are never reused: where the number of lost records is
// unknown, the records after them are placed at an upper bound, so a consumer may see some again
// but never skips one.
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../core/logger.ts';
import type { ConsumedRecord, Headers } from '../types.ts';
import { scanSegment, type Run } from './segment-scan.ts';

export interface AppendRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

interface Segment {
  baseOffset: number;
  path: string;
  fd: number;
  /** Byte position of each record; positions.length is the record count. */
  positions: number[];
  size: number;
  maxTimestamp: number;
}

const SEGMENT_NAME = /^(\d{20})\.log$/;
const FRAME_PREFIX = 8;

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private dirty = false;
  /** Damage found on open, one sentence each (for /health and the operator). */
  readonly problems: string[] = [];

  constructor(
    private readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    private readonly segmentBytes: number,
    private readonly logger: Logger,
    /** Where damaged segment files are copied before they are repaired. */
    private readonly quarantineDir: string = join(dir, 'quarantine'),
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const bases = readdirSync(dir)
      .filter((f) => SEGMENT_NAME.test(f))
      .sort()
      .map((f) => Number(f.slice(0, 20)));
    bases.forEach((base, i) => this.segments.push(...this.openSegment(base, i === bases.length - 1, bases[i + 1])));
    if (this.segments.length === 0) this.segments.push(this.createSegment(0));
  }

  /** Offset of the oldest record still kept. */
  get startOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  /** Offset the next appended record gets. */
  get endOffset(): number {
    const last = this.segments[this.segments.length - 1]!;
    return last.baseOffset + last.positions.length;
  }

  append(records: AppendRecord[]): number[] {
    const offsets: number[] = [];
    for (const record of records) {
      let active = this.segments[this.segments.length - 1]!;
      if (active.size >= this.segmentBytes && active.positions.length > 0) active = this.roll();
      const frame = encodeFrame(record);
      writeSync(active.fd, frame, 0, frame.length, active.size);
      offsets.push(active.baseOffset + active.positions.length);
      active.positions.push(active.size);
      active.size += frame.length;
      active.maxTimestamp = Math.max(active.maxTimestamp, record.timestamp);
    }
    this.dirty = true;
    return offsets;
  }

  /** Up to maxRecords records from offset on (clamped to what the log still holds). */
  read(fromOffset: number, maxRecords: number): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    let offset = Math.max(fromOffset, this.startOffset);
    while (out.length < maxRecords && offset < this.endOffset) {
      const index = this.segmentIndexFor(offset);
      const segment = this.segments[index]!;
      if (offset >= segment.baseOffset + segment.positions.length) {
        // Offsets lost to damage (see the header): go on with the next records kept.
        offset = this.segments[index + 1]!.baseOffset;
        continue;
      }
      const first = offset - segment.baseOffset;
      const count = Math.min(maxRecords - out.length, segment.positions.length - first);
      const from = segment.positions[first]!;
      const to = first + count < segment.positions.length ? segment.positions[first + count]! : segment.size;
      const bytes = Buffer.allocUnsafe(to - from);
      readSync(segment.fd, bytes, 0, bytes.length, from);
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const frame = decodeFrame(bytes, pos);
        if (!frame)
          throw new Error(`corrupt record at ${this.topic}[${this.partition}]@${offset + i} in ${segment.path}`);
        out.push({ topic: this.topic, partition: this.partition, offset: String(offset + i), ...frame.record });
        pos = frame.next;
      }
      offset += count;
    }
    return out;
  }

  /** Deletes closed segments whose newest record is older than the cut-off. */
  deleteOlderThan(cutoffMs: number): number {
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[0]!.maxTimestamp < cutoffMs) {
      const segment = this.segments.shift()!;
      closeSync(segment.fd);
      rmSync(segment.path, { force: true });
      deleted++;
    }
    return deleted;
  }

  flush(): void {
    if (!this.dirty) return;
    fsyncSync(this.segments[this.segments.length - 1]!.fd);
    this.dirty = false;
  }

  close(): void {
    this.flush();
    for (const segment of this.segments) closeSync(segment.fd);
    this.segments.length = 0;
  }

  private roll(): Segment {
    const active = this.segments[this.segments.length - 1]!;
    fsyncSync(active.fd);
    const next = this.createSegment(active.baseOffset + active.positions.length);
    this.segments.push(next);
    return next;
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private pathOf(baseOffset: number): string {
    return join(this.dir, `${String(baseOffset).padStart(20, '0')}.log`);
  }

  private createSegment(baseOffset: number): Segment {
    const path = this.pathOf(baseOffset);
    return {
      baseOffset,
      path,
      fd: openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600),
      positions: [],
      size: 0,
      maxTimestamp: 0,
    };
  }

  /** The segment file at baseOffset, repaired if damaged: one segment, or more when records follow damage. */
  private openSegment(baseOffset: number, isNewest: boolean, nextBase: number | undefined): Segment[] {
    const segment = this.createSegment(baseOffset);
    const fileSize = fstatSync(segment.fd).size;
    if (fileSize === 0) return [segment];
    const bytes = Buffer.allocUnsafe(fileSize);
    readSync(segment.fd, bytes, 0, fileSize, 0);
    const scan = scanSegment(bytes, decodeFrame);
    const fill = (target: Segment, run: Run, shift: number) => {
      target.positions = run.positions.map((p) => p - shift);
      target.maxTimestamp = run.maxTimestamp;
    };
    const [first, ...later] = scan.runs;
    const damaged = scan.damage.length > 0 || (scan.tornAt !== undefined && !isNewest);
    if (!damaged) {
      fill(segment, first!, 0);
      segment.size = first!.end;
      if (scan.tornAt !== undefined) {
        // A crash mid-append leaves a partial frame; it was never acknowledged to the producer.
        this.logger.warn(
          { path: segment.path, validBytes: scan.tornAt, fileSize },
          'cutting torn record from the end of the log',
        );
        ftruncateSync(segment.fd, scan.tornAt);
      }
      return [segment];
    }

    // Damage: keep a copy of the file as it was, then keep what is intact.
    mkdirSync(this.quarantineDir, { recursive: true, mode: 0o700 });
    const quarantined = join(
      this.quarantineDir,
      `${encodeURIComponent(this.topic)}-${this.partition}-${basename(segment.path, '.log')}-${Date.now()}.log`,
    );
    copyFileSync(segment.path, quarantined);
    const kept = scan.runs.reduce((n, r) => n + r.positions.length, 0);
    // Records in the damaged stretches: known exactly from the next segment's base when only one
    // stretch had an unknown count; otherwise the upper bounds found by the scan.
    let lost = scan.damage.reduce((n, d) => n + d.records, 0);
    const unknown = scan.damage.filter((d) => !d.exact).length + (scan.tornAt !== undefined ? 1 : 0);
    if (nextBase !== undefined && unknown <= 1) lost = nextBase - baseOffset - kept;
    const message = `damaged records in ${segment.path}: ${scan.damage.length + (scan.tornAt !== undefined ? 1 : 0)} damaged stretch(es) from byte ${scan.damage[0]?.from ?? scan.tornAt} (offset ${baseOffset + (scan.damage[0]?.firstIndex ?? first!.positions.length)}), about ${lost} record(s) lost, ${kept} kept; the original file is in ${quarantined}`;
    this.problems.push(message);
    this.logger.error(
      {
        topic: this.topic,
        partition: this.partition,
        path: segment.path,
        quarantined,
        damage: scan.damage,
        tornAt: scan.tornAt,
        kept,
      },
      message,
    );

    fill(segment, first!, 0);
    segment.size = first!.end;
    ftruncateSync(segment.fd, first!.end);
    fsyncSync(segment.fd);
    const segments = [segment];
    for (const run of later) {
      // When counts were estimated, the kept records may not overrun the next segment's offsets.
      const base =
        nextBase === undefined
          ? baseOffset + run.firstIndex
          : Math.min(baseOffset + run.firstIndex, nextBase - run.positions.length);
      const part = this.createSegment(base);
      const body = bytes.subarray(run.start, run.end);
      writeSync(part.fd, body, 0, body.length, 0);
      fsyncSync(part.fd);
      fill(part, run, run.start);
      part.size = body.length;
      segments.push(part);
    }
    if (isNewest) {
      // New records go after every offset the damaged file may have held, never onto one of them.
      const last = segments[segments.length - 1]!;
      const end = baseOffset + kept + lost;
      if (last.baseOffset + last.positions.length < end) segments.push(this.createSegment(end));
    }
    return segments;
  }
}

function encodeFrame(record: AppendRecord): Buffer {
  const headers = Object.entries(record.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
  const bodyLength =
    8 +
    4 +
    (record.key?.length ?? 0) +
    4 +
    (record.value?.length ?? 0) +
    2 +
    headers.reduce((n, [k, v]) => n + 2 + k.length + 4 + v.length, 0);
  const frame = Buffer.allocUnsafe(FRAME_PREFIX + bodyLength);
  frame.writeUInt32BE(bodyLength + 4, 0);
  let pos = FRAME_PREFIX;
  pos = frame.writeDoubleBE(record.timestamp, pos);
  pos = writeBytes(frame, pos, record.key, 'i32');
  pos = writeBytes(frame, pos, record.value, 'i32');
  pos = frame.writeUInt16BE(headers.length, pos);
  for (const [name, value] of headers) {
    pos = writeBytes(frame, pos, name, 'u16');
    pos = writeBytes(frame, pos, value, 'u32');
  }
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_PREFIX)), 4);
  return frame;
}

function writeBytes(target: Buffer, pos: number, bytes: Buffer | null, width: 'i32' | 'u16' | 'u32'): number {
  const length = bytes?.length ?? -1;
  pos =
    width === 'i32'
      ? target.writeInt32BE(length, pos)
      : width === 'u16'
        ? target.writeUInt16BE(length, pos)
        : target.writeUInt32BE(length, pos);
  if (bytes) pos += bytes.copy(target, pos);
  return pos;
}

/** The record at pos, or undefined when the bytes there are not a whole, intact frame. */
function decodeFrame(
  bytes: Buffer,
  pos: number,
): { record: Omit<ConsumedRecord, 'topic' | 'partition' | 'offset'>; next: number } | undefined {
  if (pos + FRAME_PREFIX > bytes.length) return undefined;
  const length = bytes.readUInt32BE(pos);
  const end = pos + 4 + length;
  if (length < 4 + 18 || end > bytes.length) return undefined;
  const body = bytes.subarray(pos + FRAME_PREFIX, end);
  if (crc32(body) !== bytes.readUInt32BE(pos + 4)) return undefined;
  const cursor = new Cursor(body);
  const timestamp = cursor.f64();
  const key = cursor.bytes(cursor.i32());
  const value = cursor.bytes(cursor.i32());
  const headers: Headers = {};
  for (let count = cursor.u16(); count > 0; count--) {
    const name = cursor.bytes(cursor.u16())!.toString('utf8');
    headers[name] = cursor.bytes(cursor.u32())!.toString('utf8');
  }
  return { record: { key, value, headers, timestamp }, next: end };
}

class Cursor {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  f64(): number {
    return this.advance(8, this.buf.readDoubleBE(this.pos));
  }
  i32(): number {
    return this.advance(4, this.buf.readInt32BE(this.pos));
  }
  u32(): number {
    return this.advance(4, this.buf.readUInt32BE(this.pos));
  }
  u16(): number {
    return this.advance(2, this.buf.readUInt16BE(this.pos));
  }
  /** A copy of the next length bytes; null for length -1. */
  bytes(length: number): Buffer | null {
    if (length < 0) return null;
    return this.advance(length, Buffer.from(this.buf.subarray(this.pos, this.pos + length)));
  }
  private advance<T>(by: number, value: T): T {
    this.pos += by;
    return value;
  }
}
