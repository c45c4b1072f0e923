// One partition of the embedded bus: an append-only log in segment files, like Kafka's.
//
// Frame layout (big-endian):
//   u32 length of the rest | u32 crc32 of what follows | f64 timestamp ms
//   i32 key length (-1 null) | key | i32 value length (-1 null) | value
//   u16 header count | (u16 name length | name | u32 value length | value)*
// A record's offset is its segment's base offset (the file name) plus its index in the segment.
// On open, a torn frame at the end of the newest segment (a crash mid-write) is cut off.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../runtime/logger.ts';
import type { ConsumedRecord, Headers } from '../types.ts';

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

  constructor(
    private readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    private readonly segmentBytes: number,
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir).filter((f) => SEGMENT_NAME.test(f)).sort();
    files.forEach((file, i) => this.segments.push(this.openSegment(Number(file.slice(0, 20)), i === files.length - 1)));
    if (this.segments.length === 0) this.segments.push(this.openSegment(0, true));
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
      const segment = this.segmentFor(offset);
      const first = offset - segment.baseOffset;
      const count = Math.min(maxRecords - out.length, segment.positions.length - first);
      const from = segment.positions[first]!;
      const to = first + count < segment.positions.length ? segment.positions[first + count]! : segment.size;
      const bytes = Buffer.allocUnsafe(to - from);
      readSync(segment.fd, bytes, 0, bytes.length, from);
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const frame = decodeFrame(bytes, pos);
        if (!frame) throw new Error(`corrupt record at ${this.topic}[${this.partition}]@${offset + i} in ${segment.path}`);
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
    const next = this.openSegment(active.baseOffset + active.positions.length, true);
    this.segments.push(next);
    return next;
  }

  private segmentFor(offset: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  private openSegment(baseOffset: number, isNewest: boolean): Segment {
    const path = join(this.dir, `${String(baseOffset).padStart(20, '0')}.log`);
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    const fileSize = fstatSync(fd).size;
    const segment: Segment = { baseOffset, path, fd, positions: [], size: 0, maxTimestamp: 0 };
    if (fileSize === 0) return segment;
    const bytes = Buffer.allocUnsafe(fileSize);
    readSync(fd, bytes, 0, fileSize, 0);
    let pos = 0;
    while (pos < fileSize) {
      const frame = decodeFrame(bytes, pos);
      if (!frame) break;
      segment.positions.push(pos);
      segment.maxTimestamp = Math.max(segment.maxTimestamp, frame.record.timestamp);
      pos = frame.next;
    }
    if (pos < fileSize) {
      if (!isNewest) throw new Error(`corrupt embedded bus segment ${path} at byte ${pos} of ${fileSize}`);
      // A crash mid-append leaves a partial frame; it was never acknowledged to the producer.
      this.logger.warn({ path, validBytes: pos, fileSize }, 'cutting torn record from the end of the log');
      ftruncateSync(fd, pos);
    }
    segment.size = pos;
    return segment;
  }
}

function encodeFrame(record: AppendRecord): Buffer {
  const headers = Object.entries(record.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
  const bodyLength =
    8 + 4 + (record.key?.length ?? 0) + 4 + (record.value?.length ?? 0) + 2 + headers.reduce((n, [k, v]) => n + 2 + k.length + 4 + v.length, 0);
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
  pos = width === 'i32' ? target.writeInt32BE(length, pos) : width === 'u16' ? target.writeUInt16BE(length, pos) : target.writeUInt32BE(length, pos);
  if (bytes) pos += bytes.copy(target, pos);
  return pos;
}

/** The record at pos, or undefined when the bytes there are not a whole, intact frame. */
function decodeFrame(bytes: Buffer, pos: number): { record: Omit<ConsumedRecord, 'topic' | 'partition' | 'offset'>; next: number } | undefined {
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
