// Lines of a byte stream with a bound on their length. node:readline keeps whatever it has read of
// a line until the line ends, so a file with no line break, or one line of gigabytes, would be
// held in memory whole; this splitter refuses a line once it passes `maxBytes` instead.
// Lines end at "\n" (a "\r" before it is dropped); the last line may lack one.

/** A line longer than the bound, by its 1-based number in the file. */
export class LineTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly maxBytes: number,
  ) {
    super(`line ${line} runs past ${maxBytes / 2 ** 20} MiB without ending`);
    this.name = 'LineTooLongError';
  }
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function decode(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

/**
 * Each line of `chunks` as a string, in order. A "\n" byte never occurs inside a UTF-8 sequence,
 * so splitting the bytes before decoding keeps every character whole across chunk boundaries.
 */
export async function* boundedLines(chunks: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<string> {
  // The start of the current line: the tails of earlier chunks that held no line break.
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let line = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      line++;
      if (carriedBytes + end - start > maxBytes) throw new LineTooLongError(line, maxBytes);
      const piece = chunk.subarray(start, end);
      yield decode(carriedBytes > 0 ? Buffer.concat([...carried, piece]) : piece);
      carried = [];
      carriedBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      carriedBytes += chunk.length - start;
      if (carriedBytes > maxBytes) throw new LineTooLongError(line + 1, maxBytes);
      carried.push(chunk.subarray(start));
    }
  }
  if (carriedBytes > 0) yield decode(Buffer.concat(carried));
}
