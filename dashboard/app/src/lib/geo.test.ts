// The country shapes as the map draws them: no ring jumps across the world at the antimeridian
// (a streak from +180 to -180), none spans more than half of it, and the countries that cross the
// antimeridian are still there on both sides of it.
import type { Geometry, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { loadCountries } from './geo.ts';

const ringsOf = (g: Geometry): Position[][] =>
  g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? g.coordinates.flat() : [];

describe('country shapes for a flat map', () => {
  it('cut at the antimeridian: no ring jumps across the map or spans more than 180° of longitude', async () => {
    const countries = await loadCountries();
    const wide: string[] = [];
    for (const country of countries)
      for (const ring of ringsOf(country.geometry)) {
        const lons = ring.map((p) => p[0]!);
        const jumps = lons.slice(1).some((lon, i) => Math.abs(lon - lons[i]!) > 180);
        if (jumps || Math.max(...lons) - Math.min(...lons) > 180 || lons.some((l) => Math.abs(l) > 180))
          wide.push(String(country.properties?.name ?? country.id));
      }
    expect(wide).toEqual([]);
    expect(countries.some((c) => c.properties?.name === 'Antarctica')).toBe(false);
    const russia = countries.find((c) => c.properties?.name === 'Russia')!;
    const lons = ringsOf(russia.geometry).flatMap((r) => r.map((p) => p[0]!));
    // Chukotka's tip is west of -170, the rest east of +20.
    expect(Math.min(...lons)).toBeLessThan(-170);
    expect(Math.max(...lons)).toBe(180);
    expect(countries.length).toBeGreaterThan(170);
  });
});
