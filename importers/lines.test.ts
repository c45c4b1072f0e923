import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundedLines, LineTooLongError } from './lines.ts';

async function linesOf(chunks: Array<string | Buffer>, maxBytes = 1024): Promise<string[]> {
  const out: string[] = [];
  for await (const line of boundedLines(Readable.from(chunks.map((c) => Buffer.from(c))), maxBytes)) out.push(line);
  return out;
}

describe('bounded lines', () => {
  it('splits lines across chunks, drops a "\\r" before "\\n", and keeps a last line without one', async () => {
    expect(await linesOf(['a\nbb', 'b\r\n', '\ncc', 'c'])).toEqual(['a', 'bbb', '', 'ccc']);
    expect(await linesOf(['a\n'])).toEqual(['a']);
    expect(await linesOf([])).toEqual([]);
  });

  it('keeps a character whole when its bytes are split between chunks', async () => {
    const bytes = Buffer.from('é€😀\nß');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await linesOf(chunks)).toEqual(['é€😀', 'ß']);
  });

  it('refuses a line past the bound, by its number, before holding more of it', async () => {
    const read = linesOf(['ok\n', 'x'.repeat(600), 'x'.repeat(600), 'never read\n'], 1000);
    await expect(read).rejects.toThrow(new LineTooLongError(2, 1000));
    await expect(linesOf(['ok\n', `${'y'.repeat(1001)}\n`], 1000)).rejects.toThrow('line 2 runs past');
    // At the bound exactly, a line is read.
    expect(await linesOf([`${'z'.repeat(1000)}\n`], 1000)).toEqual(['z'.repeat(1000)]);
  });

  it('reads the next chunk only when asked for more lines', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield Buffer.from(`line ${i}\n`);
      }
    }
    const lines = boundedLines(source(), 100);
    expect((await lines.next()).value).toBe('line 0');
    expect(pulled).toBe(1);
  });
});
