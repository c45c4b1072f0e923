// Numbers, times and sizes as people read them, in the visitor's language.
import { locale, t, type MessageKey } from './i18n/index.svelte.ts';
import { displayZone } from './session.svelte.ts';

const NETWORK_TYPES: Record<string, MessageKey> = {
  access: 'violations.networkAccess',
  mobile: 'violations.networkMobile',
  hosting: 'violations.networkHosting',
};

/** A network's type (access, mobile, hosting) in words; '' when unknown. */
export function networkType(type: string | null | undefined): string {
  const key = type ? NETWORK_TYPES[type] : undefined;
  return key ? t(key) : '';
}

export function bitrate(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined) return '–';
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(kbps >= 10_000 ? 0 : 1)} Mbps` : `${Math.round(kbps)} kbps`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
}

export function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 10 ? `${Math.round(h).toLocaleString(locale())} h` : `${h.toFixed(1)} h`;
}

/** "S01E05" for an episode with both numbers, "S01" with a season only, else empty. */
export function episodeNumber(item: { seasonNumber?: number | null; episodeNumber?: number | null }): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (item.seasonNumber === null || item.seasonNumber === undefined) return '';
  return `S${pad(item.seasonNumber)}${item.episodeNumber === null || item.episodeNumber === undefined ? '' : `E${pad(item.episodeNumber)}`}`;
}

/** What was played, as one line: "Dark · S01E05 · Chapter 5", "Heat (1995)". */
export function playTitle(item: {
  title: string;
  grandparentTitle?: string | null;
  seasonNumber?: number | null;
  episodeNumber?: number | null;
  year?: number | null;
  mediaType?: string;
}): string {
  const parts = [item.grandparentTitle, episodeNumber(item), item.title].filter((p) => p);
  const film = !item.grandparentTitle && item.year && item.mediaType !== 'EPISODE' && item.mediaType !== 'TRACK';
  return `${parts.join(' · ')}${film ? ` (${item.year})` : ''}`;
}

export function count(n: number): string {
  return n.toLocaleString(locale());
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** An API time (ISO 8601 with its zone, "2026-11-25T21:03:00.000Z") or epoch ms, as epoch ms. */
export function instant(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** A time series bucket for an axis: an instant as date and time in the install's zone, a day as it is. */
export function bucketLabel(value: string): string {
  if (!value.includes('T')) return value;
  return new Date(instant(value)).toLocaleString(locale(), {
    timeZone: displayZone(),
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

/** An API time shown in the install's time zone, saying which. */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const date = new Date(instant(value));
  // Every time says its zone: the install's (Settings > General) or the viewer's.
  return date.toLocaleString(locale(), {
    timeZone: displayZone(),
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

export function place(city: string | null | undefined, countryCode: string | null | undefined): string {
  const parts = [city, countryCode].filter((p) => p && p.length > 0);
  return parts.length ? parts.join(', ') : '–';
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${Math.round(value)}%`;
}

export function resolution(label: string | null | undefined): string {
  if (!label) return '–';
  if (/^\d+$/.test(label)) return `${label}p`;
  return label.toUpperCase();
}
