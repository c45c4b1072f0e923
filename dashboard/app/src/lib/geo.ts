// Country shapes for the globe and the map, from world-atlas (Natural Earth 1:110m), loaded only
// when a map is on screen; no tile server or internet access is needed.
//
// On a flat map a ring that crosses the antimeridian (Russia's Chukotka, Fiji) jumps from +180 to
// -180 and back, which draws a streak across the whole world, and Antarctica's ring runs along
// the whole of it and closes through the pole, a wedge. So rings are made continuous and cut at
// ±180 into one part on each side, and Antarctica, where no one streams from, is left out.
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

const ANTARCTICA = '010';

let countries: Promise<Feature<Geometry>[]> | null = null;

export function loadCountries(): Promise<Feature<Geometry>[]> {
  countries ??= import('world-atlas/countries-110m.json').then((module) => {
    const topology = (module.default ?? module) as unknown as Topology<{ countries: GeometryCollection }>;
    return (feature(topology, topology.objects.countries) as FeatureCollection<Geometry>).features
      .filter((f) => f.id !== ANTARCTICA)
      .map(splitAtAntimeridian);
  });
  return countries;
}

/** The ring with each longitude within 180° of the one before (it may reach beyond ±180). */
function continuous(ring: Position[]): Position[] {
  const out: Position[] = [];
  let shift = 0;
  for (let i = 0; i < ring.length; i++) {
    const [lon, lat] = ring[i] as [number, number];
    if (i > 0) {
      const before = (ring[i - 1] as [number, number])[0] + shift;
      while (lon + shift - before > 180) shift -= 360;
      while (lon + shift - before < -180) shift += 360;
    }
    out.push([lon + shift, lat]);
  }
  return out;
}

/** The part of a ring on one side of the meridian `at` (Sutherland–Hodgman against one line). */
function clip(ring: Position[], at: number, keepWest: boolean): Position[] {
  const inside = (p: Position) => (keepWest ? p[0]! <= at : p[0]! >= at);
  const cross = (a: Position, b: Position): Position => {
    const t = (at - a[0]!) / (b[0]! - a[0]!);
    return [at, a[1]! + t * (b[1]! - a[1]!)];
  };
  const out: Position[] = [];
  for (let i = 0; i < ring.length; i++) {
    const current = ring[i]!;
    const previous = ring[(i + ring.length - 1) % ring.length]!;
    if (inside(current)) {
      if (!inside(previous)) out.push(cross(previous, current));
      out.push(current);
    } else if (inside(previous)) out.push(cross(previous, current));
  }
  if (out.length > 0) out.push(out[0]!);
  return out;
}

/** A polygon's rings cut at ±180: the part beyond moved a world's width back onto the map. */
function splitPolygon(rings: Position[][]): Position[][][] {
  const unwrapped = rings.map(continuous);
  const lons = unwrapped[0]!.map((p) => p[0]!);
  const [min, max] = [Math.min(...lons), Math.max(...lons)];
  if (min >= -180 && max <= 180) return [rings];
  const edge = max > 180 ? 180 : -180;
  const shift = max > 180 ? -360 : 360;
  const inner = unwrapped.map((r) => clip(r, edge, edge === 180)).filter((r) => r.length >= 4);
  const outer = unwrapped
    .map((r) => clip(r, edge, edge !== 180).map(([lon, lat]) => [lon! + shift, lat!]))
    .filter((r) => r.length >= 4);
  return [inner, outer].filter((part) => part.length > 0);
}

function splitAtAntimeridian(f: Feature<Geometry>): Feature<Geometry> {
  const g = f.geometry;
  if (g.type === 'Polygon') {
    const parts = splitPolygon(g.coordinates);
    return parts.length === 1
      ? { ...f, geometry: { type: 'Polygon', coordinates: parts[0]! } }
      : { ...f, geometry: { type: 'MultiPolygon', coordinates: parts } };
  }
  if (g.type === 'MultiPolygon')
    return { ...f, geometry: { type: 'MultiPolygon', coordinates: g.coordinates.flatMap(splitPolygon) } };
  return f;
}

/** Colours of the dark theme, as deck.gl RGBA arrays. */
export const COLOURS = {
  ocean: [12, 22, 40, 255],
  land: [38, 52, 78, 255],
  border: [70, 90, 125, 255],
  stream: [59, 130, 246, 220],
  transcode: [245, 158, 11, 230],
  server: [34, 197, 94, 255],
  arc: [96, 165, 250, 160],
} as const satisfies Record<string, [number, number, number, number]>;
