// A finding's one-line summary in the viewer's language and distance unit, written from its
// structured evidence. The stored summary (English, kilometres) is what the rule wrote; it stays
// the words where the evidence cannot say as much (a rule added later than this file).
import { count } from './format.ts';
import { hasMessage, locale, t, type MessageKey } from './i18n/index.svelte.ts';
import { session } from './session.svelte.ts';

interface Place {
  city: string | null;
  countryCode: string | null;
  ip: string;
}

export interface Finding {
  rule: string;
  summary: string;
  evidence?: {
    locations?: Place[];
    distanceKm?: number | null;
    elapsedMs?: number | null;
    speedKmh?: number | null;
    count?: number | null;
    limit?: number | null;
    windowMs?: number | null;
    deviceIds?: string[];
    ips?: string[];
    innocentIf?: string[];
    innocentReasons?: Array<{ code: string; params: Record<string, string> }>;
  } | null;
}

const KM_PER_MILE = 1.609344;

/** A distance or speed in the install's unit: "5,265 km", "3,272 mi", "10,530 km/h". */
function inUnit(km: number, units: { km: MessageKey; mi: MessageKey }): string {
  const miles = session.settings?.distanceUnit === 'mi';
  return `${count(Math.round(miles ? km / KM_PER_MILE : km))} ${t(miles ? units.mi : units.km)}`;
}
const distance = (km: number) => inUnit(km, { km: 'unit.km', mi: 'unit.mi' });
const speed = (kmh: number) => inUnit(kmh, { km: 'unit.km/h', mi: 'unit.mph' });

function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 90) return t('summary.minutes', { n: minutes });
  return ms < 2 * 86_400_000
    ? t('summary.hours', { n: (ms / 3_600_000).toFixed(1) })
    : t('summary.days', { n: Math.round(ms / 86_400_000) });
}

const placeOf = (p: Place) => p.city ?? p.countryCode ?? p.ip;

export function findingSummary(f: Finding): string {
  // English in kilometres is what the rule wrote, word for word.
  if (locale() === 'en' && session.settings?.distanceUnit !== 'mi') return f.summary;
  const e = f.evidence;
  if (!e) return f.summary;
  const places = [...new Set((e.locations ?? []).map(placeOf))];
  const n = e.count ?? null;
  const limit = e.limit ?? null;
  switch (f.rule) {
    case 'IMPOSSIBLE_TRAVEL':
      if (places.length >= 2 && e.distanceKm != null && e.elapsedMs != null && e.speedKmh != null)
        return t('summary.travel', {
          from: places[0]!,
          to: places[places.length - 1]!,
          distance: distance(e.distanceKm),
          time: span(e.elapsedMs),
          speed: speed(e.speedKmh),
        });
      break;
    case 'SIMULTANEOUS_LOCATIONS':
      if (places.length >= 2 && e.distanceKm != null)
        return t('summary.simultaneous', {
          places: places.join(t('summary.and')),
          distance: distance(e.distanceKm),
        });
      break;
    case 'CONCURRENT_STREAMS':
      if (n !== null && limit !== null) return t('summary.concurrent', { n, limit });
      break;
    case 'DEVICE_VELOCITY':
      if (n !== null && limit !== null && e.windowMs != null) {
        const hours = Math.round(e.windowMs / 3_600_000);
        const devices = e.deviceIds?.length === n;
        return t(devices ? 'summary.devices' : 'summary.addresses', { n, hours, limit });
      }
      break;
    case 'GEO_RESTRICTION':
      if (places.length >= 1)
        return t('summary.geo', { place: places[0]!, country: e.locations?.[0]?.countryCode ?? '' });
      break;
    case 'SECOND_HOUSEHOLD':
      if (places.length >= 2 && e.distanceKm != null && n !== null && limit !== null)
        return t('summary.household', { a: places[0]!, b: places[1]!, distance: distance(e.distanceKm), n, limit });
      break;
    case 'MULTI_ACCOUNT': {
      const [device, address] = [e.deviceIds?.[0], e.ips?.[0]];
      if (n !== null && (device || address))
        return t(device ? 'summary.sharedDevice' : 'summary.sharedAddress', { n, id: (device ?? address)! });
      break;
    }
    case 'ACCOUNT_INACTIVITY':
      if (n !== null && limit !== null) return t('summary.inactive', { n, limit });
      break;
  }
  return f.summary;
}

/** A reason's figures for the viewer: kilometres and km/h in the install's unit, times in words, lists joined. */
function figures(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => {
      if (name.endsWith('Kmh')) return [name, speed(Number(value))];
      if (name.endsWith('Km')) return [name, distance(Number(value))];
      if (name.endsWith('Ms')) return [name, span(Number(value))];
      if (name === 'devices') {
        const list = value.split('\n');
        return [name, list.length > 1 ? `${list.slice(0, -1).join(', ')}${t('summary.and')}${list.at(-1)}` : value];
      }
      return [name, value];
    }),
  );
}

/**
 * What would have made a finding innocent, in the viewer's language and unit: from the reasons'
 * codes and figures where the finding has them (schema version 6), else the rule's English lines.
 */
export function innocentLines(f: Finding): string[] {
  const english = f.evidence?.innocentIf ?? [];
  const reasons = f.evidence?.innocentReasons ?? [];
  if (reasons.length !== english.length || (locale() === 'en' && session.settings?.distanceUnit !== 'mi'))
    return english;
  return reasons.map((r, i) => {
    const key = `innocent.${r.code}` as MessageKey;
    return hasMessage(key) ? t(key, figures(r.params)) : english[i]!;
  });
}
