// A Jellystat backup as Jellystat writes it: one JSON document, an array of table objects in the
// order of its backend/global/backup_tables.js (libraries, library items, seasons, episodes, users,
// playback activity, playback reporting plugin data, item info), with the columns of its
// migrations. Activity rows carry no media type (it is the library item's Type) and no season or
// episode numbers (jf_library_episodes has them); RemoteEndPoint is the address without a port,
// IPv6 included. '2023' writes activity rows as Jellystat 1.0 did (before migration 038 added the
// stream, play state and address columns). `lines` writes the same tables as JSON Lines, the
// layout of a streaming backup proposed upstream. `expected` is what each play should become.
import { writeFileSync } from 'node:fs';

export interface ExpectedJellystatPlay {
  id: string;
  mediaType: 'MOVIE' | 'EPISODE' | 'TRACK' | 'LIVE_TV' | 'VIDEO' | 'OTHER';
  title: string;
  seasonNumber: number | null;
  episodeNumber: number | null;
  /** The address stored: what RemoteEndPoint holds, without a port. */
  clientIp: string;
  networkLocation: 'LAN' | 'WAN' | 'UNKNOWN';
  playedMs: number;
  stoppedAt: number;
}

interface Spec {
  item: { Id: string; Name: string; Type: string } | null;
  episode?: { EpisodeId: string; Name: string; IndexNumber: number; ParentIndexNumber: number; SeasonName: string };
  endPoint: string;
  expected: Pick<ExpectedJellystatPlay, 'mediaType' | 'clientIp' | 'networkLocation'>;
}

const LIBRARY = 'lib-1';

const SPECS: Spec[] = [
  {
    item: { Id: 'movie-1', Name: 'Arrival', Type: 'Movie' },
    endPoint: '81.2.69.142',
    expected: { mediaType: 'MOVIE', clientIp: '81.2.69.142', networkLocation: 'WAN' },
  },
  {
    item: { Id: 'series-dark', Name: 'Dark', Type: 'Series' },
    episode: { EpisodeId: 'ep-105', Name: 'Truths', IndexNumber: 5, ParentIndexNumber: 1, SeasonName: 'Season 1' },
    endPoint: '2001:4860:4860::8888',
    expected: { mediaType: 'EPISODE', clientIp: '2001:4860:4860::8888', networkLocation: 'WAN' },
  },
  {
    item: { Id: 'track-1', Name: 'Airbag', Type: 'Audio' },
    endPoint: '::ffff:192.168.1.20',
    expected: { mediaType: 'TRACK', clientIp: '192.168.1.20', networkLocation: 'LAN' },
  },
  {
    item: { Id: 'channel-7', Name: 'Channel 7', Type: 'TvChannel' },
    endPoint: '[2001:4860:4860::8844]:51234',
    expected: { mediaType: 'LIVE_TV', clientIp: '2001:4860:4860::8844', networkLocation: 'WAN' },
  },
  {
    item: { Id: 'clip-1', Name: 'Live at Glastonbury', Type: 'MusicVideo' },
    endPoint: '1.1.1.1:8096',
    expected: { mediaType: 'VIDEO', clientIp: '1.1.1.1', networkLocation: 'WAN' },
  },
  // The item was deleted from the library before the backup: its type is unknown, not a film.
  {
    item: null,
    endPoint: 'fd00::1234',
    expected: { mediaType: 'OTHER', clientIp: 'fd00::1234', networkLocation: 'LAN' },
  },
];

const MIN = 60_000;

/** Writes the backup; returns the plays it holds as they should be imported. */
export function createJellystatHistory(
  path: string,
  options: { era?: 'current' | '2023'; lines?: boolean; from?: number; repeat?: number } = {},
): ExpectedJellystatPlay[] {
  const from = options.from ?? Date.UTC(2026, 7, 1);
  const era = options.era ?? 'current';
  const activity: Array<Record<string, unknown>> = [];
  const expected: ExpectedJellystatPlay[] = [];
  for (let round = 0; round < (options.repeat ?? 3); round++) {
    SPECS.forEach((spec, n) => {
      const id = `${round}-${n}`;
      const stoppedAt = from + round * 86_400_000 + n * 3_600_000;
      const played = (20 + n) * MIN;
      const itemId = spec.item?.Id ?? 'gone-1';
      const row: Record<string, unknown> = {
        Id: id,
        IsPaused: false,
        UserId: `user-${n % 3}`,
        UserName: `viewer${n % 3}`,
        Client: 'Jellyfin Web',
        DeviceName: 'Firefox',
        DeviceId: `device-${n}`,
        ApplicationVersion: '10.10.7',
        NowPlayingItemId: itemId,
        NowPlayingItemName: spec.episode?.Name ?? spec.item?.Name ?? 'Deleted film',
        SeasonId: spec.episode ? 'season-dark-1' : null,
        SeriesName: spec.episode ? 'Dark' : null,
        EpisodeId: spec.episode?.EpisodeId ?? null,
        PlaybackDuration: played / 1000,
        ActivityDateInserted: new Date(stoppedAt).toISOString(),
        PlayMethod: 'DirectPlay',
      };
      if (era === 'current')
        Object.assign(row, {
          MediaStreams: [],
          TranscodingInfo: null,
          PlayState: {
            PositionTicks: played * 10_000,
            CanSeek: true,
            IsPaused: false,
            RuntimeTicks: 2 * played * 10_000,
          },
          OriginalContainer: 'mkv',
          RemoteEndPoint: spec.endPoint,
          ServerId: 'f1e2d3',
          imported: false,
        });
      activity.push(row);
      expected.push({
        id,
        title: String(row.NowPlayingItemName),
        seasonNumber: spec.episode?.ParentIndexNumber ?? null,
        episodeNumber: spec.episode?.IndexNumber ?? null,
        playedMs: played,
        stoppedAt,
        ...spec.expected,
        // 2023 rows have no address.
        ...(era === '2023' ? { clientIp: '', networkLocation: 'UNKNOWN' as const } : {}),
      });
    });
  }
  const items = SPECS.flatMap((s) =>
    s.item ? [{ ...s.item, ParentId: LIBRARY, ServerId: 'f1e2d3', IsFolder: false }] : [],
  );
  const tables: Array<[string, Array<Record<string, unknown>>]> = [
    ['jf_libraries', [{ Id: LIBRARY, Name: 'Everything', CollectionType: 'mixed', ServerId: 'f1e2d3' }]],
    ['jf_library_items', items],
    [
      'jf_library_seasons',
      [{ Id: 'season-dark-1', Name: 'Season 1', SeriesId: 'series-dark', IndexNumber: 1, SeriesName: 'Dark' }],
    ],
    [
      'jf_library_episodes',
      SPECS.flatMap((s) =>
        s.episode
          ? [
              {
                Id: `${s.episode.EpisodeId}-row`,
                ...s.episode,
                SeriesId: 'series-dark',
                SeasonId: 'season-dark-1',
                SeriesName: 'Dark',
                Type: 'Episode',
              },
            ]
          : [],
      ),
    ],
    ['jf_users', [0, 1, 2].map((n) => ({ Id: `user-${n}`, Name: `viewer${n}`, IsAdministrator: n === 0 }))],
    ['jf_playback_activity', activity],
    ['jf_playback_reporting_plugin_data', []],
    ['jf_item_info', []],
  ];
  if (options.lines)
    writeFileSync(
      path,
      tables
        .flatMap(([table, rows]) => [{ type: 'table', table }, ...rows.map((data) => ({ type: 'row', table, data }))])
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
  else writeFileSync(path, JSON.stringify(tables.map(([table, rows]) => ({ [table]: rows }))));
  return expected;
}
