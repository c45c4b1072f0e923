// Staged rows are written into buffers that come back once staged: the same memory carries batch
// after batch, and every byte of the text arrives, whatever its characters.
import { describe, expect, it } from 'vitest';
import { LineBuffers } from './import-rows.ts';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('LineBuffers', () => {
  it('writes into a buffer given back when it fits, and into a new one with room when none does', () => {
    const buffers = new LineBuffers();
    const text = '["a","Amélie 🎬",1]\n["b","x",2]';
    const first = buffers.encode(text);
    expect(decode(first)).toBe(text);
    expect(first.buffer.byteLength).toBeGreaterThan(first.byteLength);

    buffers.give([first.buffer as ArrayBuffer]);
    const again = buffers.encode(text.replace('x', 'yy'));
    expect(again.buffer).toBe(first.buffer);
    expect(decode(again)).toBe(text.replace('x', 'yy'));

    // Too long for the buffer it was given: a new one, the given one kept for later.
    buffers.give([again.buffer as ArrayBuffer]);
    const longer = buffers.encode(text.repeat(10));
    expect(longer.buffer).not.toBe(first.buffer);
    expect(decode(longer)).toBe(text.repeat(10));
    expect(buffers.encode(text).buffer).toBe(first.buffer);
  });
});
