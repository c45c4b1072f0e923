// Ready-made library items, users and devices for scripting fake servers in tests and the demo.
import type { FakeDevice, FakeItem, FakeLibrary, FakeUser } from './fleet.ts';

export const MOVIES: FakeLibrary = { id: '1', title: 'Movies', kind: 'movie' };
export const SHOWS: FakeLibrary = { id: '2', title: 'TV Shows', kind: 'show' };
export const MUSIC: FakeLibrary = { id: '3', title: 'Music', kind: 'artist' };

const ADDED = Date.UTC(2025, 0, 15);

export function movie(id: string, title: string, overrides: Partial<FakeItem> = {}): FakeItem {
  return {
    id,
    title,
    type: 'movie',
    libraryId: MOVIES.id,
    durationMs: 7_200_000,
    year: 2021,
    container: 'mkv',
    videoCodec: 'hevc',
    videoHeight: 2160,
    audioCodec: 'eac3',
    bitrateKbps: 24_000,
    sizeBytes: 21_600_000_000,
    path: `/media/movies/${title}.mkv`,
    addedAt: ADDED,
    ...overrides,
  };
}

export function episode(
  id: string,
  series: string,
  season: number,
  number: number,
  title: string,
  overrides: Partial<FakeItem> = {},
): FakeItem {
  return {
    id,
    title,
    type: 'episode',
    libraryId: SHOWS.id,
    durationMs: 3_000_000,
    year: 2019,
    seriesId: `${series.toLowerCase().replace(/\W+/g, '-')}`,
    seriesTitle: series,
    seasonId: `${series.toLowerCase().replace(/\W+/g, '-')}-s${season}`,
    season,
    episode: number,
    container: 'mkv',
    videoCodec: 'h264',
    videoHeight: 1080,
    audioCodec: 'ac3',
    bitrateKbps: 8_000,
    sizeBytes: 3_000_000_000,
    path: `/media/tv/${series}/Season ${season}/${series} - S${season}E${number}.mkv`,
    addedAt: ADDED,
    ...overrides,
  };
}

export function track(id: string, artist: string, title: string): FakeItem {
  return {
    id,
    title,
    type: 'track',
    libraryId: MUSIC.id,
    durationMs: 240_000,
    year: 1997,
    seriesTitle: artist,
    container: 'flac',
    audioCodec: 'flac',
    bitrateKbps: 1_000,
    sizeBytes: 30_000_000,
    path: `/media/music/${artist}/${title}.flac`,
    addedAt: ADDED,
  };
}

export function user(id: string, name: string): FakeUser {
  return { id, name };
}

export const DEVICES = {
  tv: (id = 'tv-1'): FakeDevice => ({
    id,
    name: 'Living Room TV',
    product: 'Plex for Android (TV)',
    platform: 'Android',
    version: '10.20.0',
  }),
  phone: (id = 'phone-1'): FakeDevice => ({
    id,
    name: "Sam's iPhone",
    product: 'Plex for iOS',
    platform: 'iOS',
    version: '8.40',
  }),
  browser: (id = 'browser-1'): FakeDevice => ({
    id,
    name: 'Firefox',
    product: 'Jellyfin Web',
    platform: 'Firefox',
    version: '10.10.7',
  }),
};
