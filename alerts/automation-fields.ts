// What automation conditions can read, shared with the dashboard's rule form (no imports, so the
// browser bundle can take it as it is).

/** Fields of an event a list condition reads (from its details, or the event itself). */
export const LIST_FIELDS = [
  'mediaType',
  'decision',
  'sourceResolution',
  'streamResolution',
  /** Video codecs as the servers name them (hevc, h264, av1...). */
  'sourceCodec',
  'streamCodec',
  'country',
  'network',
  'platform',
  'player',
  /** The client application (Plex for Android (TV), Jellyfin Web...), and the device's name. */
  'product',
  'device',
  'serverId',
  'libraryId',
  'accountKey',
  'personId',
  /** A tag of the event's person (people-store.ts): a rule on a group of people. */
  'personTag',
] as const;

/** Numbers of an event a threshold condition reads, with their unit. */
export const NUMBER_FIELDS = { bandwidthKbps: 'kbit/s', bitrateKbps: 'kbit/s', pausedMinutes: 'minutes' } as const;

/**
 * Numbers counted beside the event, with their unit, over the person's accounts (the account's when
 * it is no one's): minutes played today or since Monday and plays started today, each before this
 * play, and streams played now, this one included.
 */
export const COUNTER_UNITS = {
  watchedTodayMinutes: 'minutes',
  watchedWeekMinutes: 'minutes',
  playsToday: 'plays',
  streamsNow: 'streams',
} as const;
