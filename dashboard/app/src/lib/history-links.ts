// Where an analytics panel's row leads: the history of the plays it counted, narrowed by the
// columns the panel groups plays by (the filters of GET /api/v1/sessions/history). The API's test
// api/numbers-agree.test.ts follows each of these links and counts the plays it finds.
import type { MessageKey } from './i18n/index.svelte.ts';

type Row = Record<string, unknown>;
type Narrowing = Record<string, string>;

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));

export const PANEL_LINKS = {
  decisions: (r: Row) => ({ delivery: text(r.key) }),
  platforms: (r: Row) => ({ platform: text(r.key) }),
  products: (r: Row) => ({ product: text(r.key) }),
  players: (r: Row) => ({ player: text(r.key) }),
  resolutions: (r: Row) => ({ sourceResolution: text(r.source), streamResolution: text(r.stream) }),
  'video-codecs': (r: Row) => ({ sourceVideoCodec: text(r.source), streamVideoCodec: text(r.stream) }),
  'audio-codecs': (r: Row) => ({ sourceAudioCodec: text(r.source), streamAudioCodec: text(r.stream) }),
  countries: (r: Row) => ({ country: text(r.countryCode) }),
  cities: (r: Row) => ({ country: text(r.countryCode), city: text(r.city) }),
  'top-users': (r: Row) => ({ accounts: text(r.accountKey), shown: text(r.userName) }),
  'top-titles': (r: Row) => ({ titleKey: text(r.titleKey), shown: text(r.title) }),
} satisfies Record<string, (r: Row) => Narrowing>;
export type Panel = keyof typeof PANEL_LINKS;

/** The history's narrowing parameters, each with its label. */
export const NARROWING: Record<string, MessageKey> = {
  delivery: 'narrow.delivery',
  platform: 'narrow.platform',
  product: 'narrow.product',
  player: 'narrow.player',
  sourceResolution: 'narrow.sourceResolution',
  streamResolution: 'narrow.streamResolution',
  sourceVideoCodec: 'narrow.sourceVideoCodec',
  streamVideoCodec: 'narrow.streamVideoCodec',
  sourceAudioCodec: 'narrow.sourceAudioCodec',
  streamAudioCodec: 'narrow.streamAudioCodec',
  country: 'narrow.country',
  city: 'narrow.city',
  accounts: 'narrow.user',
  titleKey: 'narrow.title',
};

/** The history page showing the plays behind one row of a panel, over the panel's period. */
export function historyHref(panel: Panel, row: Row, days: number): string {
  const search = new URLSearchParams({ ...PANEL_LINKS[panel](row), days: String(days) });
  return `/history?${search.toString()}`;
}

/** The narrowing a history address asks for (unknown parameters ignored). */
export function narrowingOf(search: URLSearchParams): Narrowing {
  return Object.fromEntries([...search].filter(([name]) => name in NARROWING));
}
