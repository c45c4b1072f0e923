// Posters for the fake servers: a small PNG of one colour per item, so the image proxy and the
// dashboard have real image bytes to carry and draw. Real servers answer JPEG (or WebP); the
// proxy passes any image type through, so the fakes keep to the format node:zlib can write.
import { crc32, deflateSync } from 'node:zlib';

/** A width x height PNG filled with a colour derived from `seed`. */
export function posterPng(seed: string, width: number, height: number): Buffer {
  const w = Math.max(1, Math.min(2000, Math.round(width)));
  const h = Math.max(1, Math.min(3000, Math.round(height)));
  let hash = 0;
  for (const c of seed) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const [r, g, b] = [hash & 0xff, (hash >> 8) & 0xff, (hash >> 16) & 0xff].map((v) => 60 + (v % 160));
  return encodePng(w, h, () => [r!, g!, b!, 255]);
}

/** An RGBA PNG whose pixel (x, y) is `pixel(x, y)`. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => number[]): Buffer {
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 4); // each row starts with its filter byte, 0 (none)
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
