// Country shapes for the globe and the map, from world-atlas (Natural Earth 1:110m), loaded only
// when a map is on screen; no tile server or internet access is needed.
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

let countries: Promise<Feature<Geometry>[]> | null = null;

export function loadCountries(): Promise<Feature<Geometry>[]> {
  countries ??= import('world-atlas/countries-110m.json').then((module) => {
    const topology = (module.default ?? module) as unknown as Topology<{ countries: GeometryCollection }>;
    return (feature(topology, topology.objects.countries) as FeatureCollection<Geometry>).features;
  });
  return countries;
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
