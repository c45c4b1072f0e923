// Draws the app's install icons (PNG, as browsers require for an installable app) from the shield
// of favicon.svg: 192 and 512 px on a transparent ground, and a 512 px "maskable" one with the
// shield inside the safe circle on a full dark ground. Run after changing the shield:
//   node --import tsx scripts/make-icons.ts
// A few lines of geometry instead of an image library: the shape is two polygons.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../connectors/fakes/poster-image.ts';

type Point = [number, number];

/** A cubic Bézier from p0 through controls to p3, as points (p0 left out). */
function bezier(p0: Point, c1: Point, c2: Point, p3: Point, steps = 24): Point[] {
  return Array.from({ length: steps }, (_, i) => {
    const t = (i + 1) / steps;
    const u = 1 - t;
    return [0, 1].map(
      (k) => u * u * u * p0[k]! + 3 * u * u * t * c1[k]! + 3 * u * t * t * c2[k]! + t * t * t * p3[k]!,
    ) as Point;
  });
}

// favicon.svg, in its 32-unit box: M16 2 4 7v8c0 7.5 5.1 13.2 12 15 6.9-1.8 12-7.5 12-15V7z
const SHIELD: Point[] = [
  [16, 2],
  [4, 7],
  [4, 15],
  ...bezier([4, 15], [4, 22.5], [9.1, 28.2], [16, 30]),
  ...bezier([16, 30], [22.9, 28.2], [28, 22.5], [28, 15]),
  [28, 7],
];
const PLAY: Point[] = [
  [13, 11],
  [21, 16],
  [13, 21],
];

function inside(polygon: Point[], x: number, y: number): boolean {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

const BLUE = [0x3b, 0x82, 0xf6];
const WHITE = [0xff, 0xff, 0xff];
const GROUND = [0x0b, 0x12, 0x20];

/** The icon at `size` px, the shield filling `scale` of it; `ground` fills the rest. */
function icon(size: number, scale: number, ground: number[] | null): Buffer {
  const unit = (size * scale) / 32;
  const offset = (size - size * scale) / 2;
  const samples = 4;
  return encodePng(size, size, (px, py) => {
    let blue = 0;
    let white = 0;
    for (let sy = 0; sy < samples; sy++)
      for (let sx = 0; sx < samples; sx++) {
        const x = (px + (sx + 0.5) / samples - offset) / unit;
        const y = (py + (sy + 0.5) / samples - offset) / unit;
        if (inside(PLAY, x, y)) white++;
        else if (inside(SHIELD, x, y)) blue++;
      }
    const n = samples * samples;
    const cover = (blue + white) / n;
    const mix = (c: number) => (white * WHITE[c]! + blue * BLUE[c]!) / Math.max(1, blue + white);
    if (!ground) return [mix(0), mix(1), mix(2), Math.round(cover * 255)];
    return [0, 1, 2].map((c) => Math.round(mix(c) * cover + ground[c]! * (1 - cover))).concat(255);
  });
}

const dir = join(import.meta.dirname, '..', 'dashboard', 'app', 'static', 'icons');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'icon-192.png'), icon(192, 0.9, null));
writeFileSync(join(dir, 'icon-512.png'), icon(512, 0.9, null));
// Maskable: platforms crop to a circle of 80% of the side; the shield stays well inside it.
writeFileSync(join(dir, 'maskable-512.png'), icon(512, 0.6, GROUND));
console.log(`icons written to ${dir}`);
