// Reading a segment file back on open, and telling a torn write from corruption, as Kafka's log
// recovery does. A crash mid-append can only damage the very end of the newest segment: the
// bytes after the last whole frame hold no whole frame. Damage anywhere else (a flipped bit, a bad
// sector) is followed by intact frames; those are found again (every frame carries a CRC, so a
// false match is a 1 in 2^32 chance) and kept, and the damaged stretch is reported so that the
// caller can quarantine it loudly instead of cutting everything after it.

/** Smallest frame: length, crc, timestamp, key length, value length, header count. */
const MIN_FRAME_BYTES = 4 + 4 + 8 + 4 + 4 + 2;

/** Intact frames standing one after another, from byte `start`. */
export interface Run {
  /** Index, within the segment, of the run's first record. */
  firstIndex: number;
  /** Byte position of each frame. */
  positions: number[];
  start: number;
  end: number;
  /** Newest record timestamp in the run (0 when empty), for retention. */
  maxTimestamp: number;
}

interface Damage {
  /** Byte range that did not hold intact frames. */
  from: number;
  to: number;
  /** Index of the first record lost there. */
  firstIndex: number;
  /** Records lost there: exact when the damaged frame's length survived, else an upper bound. */
  records: number;
  exact: boolean;
}

export interface SegmentScan {
  runs: Run[];
  damage: Damage[];
  /** Byte position of a torn tail (no whole frame after it), if any. */
  tornAt?: number;
}

type Decode = (bytes: Buffer, pos: number) => { next: number; record: { timestamp: number } } | undefined;

/** Whether an intact frame starts at pos, and the frame after it (if any) too. */
function chainsAt(bytes: Buffer, pos: number, decode: Decode): boolean {
  const frame = decode(bytes, pos);
  if (!frame) return false;
  return frame.next >= bytes.length || decode(bytes, frame.next) !== undefined;
}

/** The next position after `from` where intact frames resume, or undefined. */
function resync(bytes: Buffer, from: number, decode: Decode): number | undefined {
  // Where the damaged frame's own length says the next one starts: the usual case of a flipped
  // bit in a body, found without searching.
  if (from + 4 <= bytes.length) {
    const declared = from + 4 + bytes.readUInt32BE(from);
    if (declared > from + MIN_FRAME_BYTES - 1 && declared < bytes.length && chainsAt(bytes, declared, decode))
      return declared;
  }
  for (let pos = from + 1; pos + MIN_FRAME_BYTES <= bytes.length; pos++) {
    if (chainsAt(bytes, pos, decode)) return pos;
  }
  return undefined;
}

export function scanSegment(bytes: Buffer, decode: Decode): SegmentScan {
  const runs: Run[] = [];
  const damage: Damage[] = [];
  let run: Run = { firstIndex: 0, positions: [], start: 0, end: 0, maxTimestamp: 0 };
  let index = 0;
  let pos = 0;
  let tornAt: number | undefined;
  while (pos < bytes.length) {
    const frame = decode(bytes, pos);
    if (frame) {
      run.positions.push(pos);
      run.maxTimestamp = Math.max(run.maxTimestamp, frame.record.timestamp);
      pos = run.end = frame.next;
      index++;
      continue;
    }
    const next = resync(bytes, pos, decode);
    if (next === undefined) {
      tornAt = pos;
      break;
    }
    const declaredNext = pos + 4 + bytes.readUInt32BE(pos);
    const exact = declaredNext === next;
    // A stretch of n bytes held at most n / MIN_FRAME_BYTES frames, and at least one.
    const records = exact ? 1 : Math.max(1, Math.floor((next - pos) / MIN_FRAME_BYTES));
    damage.push({ from: pos, to: next, firstIndex: index, records, exact });
    runs.push(run);
    index += records;
    run = { firstIndex: index, positions: [], start: next, end: next, maxTimestamp: 0 };
    pos = next;
  }
  runs.push(run);
  return { runs: runs.filter((r, i) => i === 0 || r.positions.length > 0), damage, tornAt };
}
