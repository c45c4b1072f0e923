// The answers of the analytics and map operations: each chart's rows, declared once for Fastify's
// serialiser, the OpenAPI document and the dashboard.
import Type, { type Static, type TSchema } from 'typebox';
import { Nullable, type Same } from './shapes.ts';
import type { Analytics, SessionQueries } from '../../warehouse/queries/index.ts';

const plays = Type.Integer({ description: 'Plays started in the period (running ones included)' });
const watchMs = Type.Number({ description: 'Watch time of the plays that ended in the period, ms' });

/** A chart's answer: the period it covers and its rows. */
const chart = <T extends TSchema>(row: T, example: Static<T>) =>
  Type.Object(
    {
      from: Type.Number({ description: 'Start of the period, ms since the epoch' }),
      to: Type.Number({ description: 'End of the period (exclusive), ms since the epoch' }),
      data: Type.Array(row),
    },
    { examples: [{ from: 1764201600000, to: 1764806400000, data: [example] }] },
  );

const PlaysPoint = Type.Object({
  day: Type.String({ description: 'Day in the time zone asked for, YYYY-MM-DD' }),
  mediaType: Type.String({ description: 'MOVIE, EPISODE, TRACK, LIVE...' }),
  plays,
  watchMs,
});
const HeatmapCell = Type.Object({
  dayOfWeek: Type.Integer({ minimum: 1, maximum: 7, description: '1 = Monday' }),
  hour: Type.Integer({ minimum: 0, maximum: 23 }),
  plays,
  watchMs,
});
const Share = Type.Object({
  key: Type.String({ description: 'TRANSCODE, DIRECT_STREAM or DIRECT_PLAY' }),
  plays,
  watchMs,
});
const ConcurrencyPoint = Type.Object({
  period: Type.String({
    description: 'Start of the bucket: an instant (ISO 8601) for minutes and hours, a day (YYYY-MM-DD) for days',
  }),
  day: Type.String({ description: 'Day of the bucket in the time zone asked for' }),
  peakStreams: Type.Integer(),
  peakTranscodes: Type.Integer(),
});
const BandwidthPoint = Type.Object({
  period: Type.String({ description: 'Start of the bucket, as for concurrency' }),
  hour: Type.String({ description: 'The same as period (kept for clients written when this was hourly only)' }),
  avgKbps: Type.Number(),
  peakKbps: Type.Number(),
  wanAvgKbps: Type.Number({ description: 'Average of what went to addresses outside the LAN' }),
});
const DataPoint = Type.Object({ day: Type.String(), kilobits: Type.Number({ description: 'Data streamed, kbit' }) });
const QualityPair = Type.Object({
  source: Type.String({ description: "The file's value, e.g. 4k or hevc" }),
  stream: Type.String({ description: 'What the client received' }),
  plays,
  watchMs,
});
const Client = Type.Object({
  key: Type.String({ description: 'The platform, client application or player' }),
  plays,
  watchMs,
  devices: Type.Integer({ description: 'Distinct devices' }),
  accounts: Type.Integer({ description: 'Distinct accounts' }),
});
const TopUser = Type.Object({ accountKey: Type.String(), userName: Type.String(), plays, watchMs });
const TopTitle = Type.Object({
  titleKey: Type.String({ description: 'Pass as `titleKey` to sessions/history for the plays of this title' }),
  title: Type.String({ description: 'A series, artist or film' }),
  mediaType: Type.String(),
  year: Nullable(Type.Integer()),
  servers: Type.Array(Type.String()),
  plays,
  watchMs,
  users: Type.Integer(),
});
const Place = Type.Object({
  countryCode: Type.String({ description: 'ISO 3166-1 alpha-2; empty when unknown' }),
  region: Type.String({ description: 'Empty in the countries list' }),
  city: Type.String({ description: 'Empty in the countries list' }),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  plays,
  watchMs,
  users: Type.Integer(),
});

const place = {
  countryCode: 'DE',
  region: 'Berlin',
  city: 'Berlin',
  latitude: 52.52,
  longitude: 13.4,
  plays: 42,
  watchMs: 151_200_000,
  users: 3,
};
const client = { key: 'Android', plays: 120, watchMs: 432_000_000, devices: 7, accounts: 5 };
const pair = { source: '4k', stream: '1080', plays: 12, watchMs: 43_200_000 };

/** Time series and shares, by operation name (GET /api/v1/analytics/{name}). */
export const SeriesAnswers = {
  plays: chart(PlaysPoint, { day: '2026-11-26', mediaType: 'EPISODE', plays: 31, watchMs: 64_800_000 }),
  heatmap: chart(HeatmapCell, { dayOfWeek: 5, hour: 21, plays: 14, watchMs: 30_600_000 }),
  decisions: chart(Share, { key: 'TRANSCODE', plays: 18, watchMs: 52_000_000 }),
  concurrency: chart(ConcurrencyPoint, {
    period: '2026-11-26T20:00:00Z',
    day: '2026-11-26',
    peakStreams: 9,
    peakTranscodes: 3,
  }),
  bandwidth: chart(BandwidthPoint, {
    period: '2026-11-26T20:00:00Z',
    hour: '2026-11-26T20:00:00Z',
    avgKbps: 21_500,
    peakKbps: 48_000,
    wanAvgKbps: 16_000,
  }),
  data: chart(DataPoint, { day: '2026-11-26', kilobits: 310_000_000 }),
} as const;

/** Ranked lists, by operation name (GET /api/v1/analytics/{name}). */
export const RankedAnswers = {
  resolutions: chart(QualityPair, pair),
  'video-codecs': chart(QualityPair, { ...pair, source: 'hevc', stream: 'h264' }),
  'audio-codecs': chart(QualityPair, { ...pair, source: 'truehd', stream: 'aac' }),
  platforms: chart(Client, client),
  products: chart(Client, { ...client, key: 'Plex for Android (TV)' }),
  players: chart(Client, { ...client, key: 'SHIELD Android TV' }),
  'top-users': chart(TopUser, { accountKey: 'plex-home:1234', userName: 'alice', plays: 88, watchMs: 316_800_000 }),
  'top-titles': chart(TopTitle, {
    titleKey: 'EPISODE|dark',
    title: 'Dark',
    mediaType: 'EPISODE',
    year: null,
    servers: ['plex-home'],
    plays: 26,
    watchMs: 78_000_000,
    users: 2,
  }),
  countries: chart(Place, { ...place, region: '', city: '', latitude: null, longitude: null }),
  cities: chart(Place, place),
} as const;

export const MapPlaces = Type.Object(
  {
    from: Type.Number(),
    to: Type.Number(),
    places: Type.Array(
      Type.Object({
        latitude: Type.Number(),
        longitude: Type.Number(),
        city: Type.String(),
        countryCode: Type.String(),
        plays,
        users: Type.Integer(),
      }),
    ),
  },
  {
    examples: [
      {
        from: 1764201600000,
        to: 1764806400000,
        places: [{ latitude: 52.52, longitude: 13.4, city: 'Berlin', countryCode: 'DE', plays: 42, users: 3 }],
      },
    ],
  },
);

// The warehouse's rows and these answers must stay one shape: this fails to compile otherwise.
type Rows<K extends keyof Analytics> = Awaited<ReturnType<Analytics[K]>>;
type Data<T extends TSchema> = Static<T> extends { data: infer D } ? D : never;
const shapesMatch: [
  Same<Data<typeof SeriesAnswers.plays>, Rows<'playsOverTime'>>,
  Same<Data<typeof SeriesAnswers.heatmap>, Rows<'heatmap'>>,
  Same<Data<typeof SeriesAnswers.decisions>, Rows<'streamDecisions'>>,
  Same<Data<typeof SeriesAnswers.concurrency>, Rows<'concurrencyPeaks'>>,
  Same<Data<typeof SeriesAnswers.bandwidth>, Rows<'bandwidth'>>,
  Same<Data<typeof SeriesAnswers.data>, Rows<'streamedData'>>,
  Same<Data<typeof RankedAnswers.resolutions>, Rows<'qualityPairs'>>,
  Same<Data<typeof RankedAnswers.platforms>, Rows<'clients'>>,
  Same<Data<typeof RankedAnswers.cities>, Rows<'geography'>>,
  Same<Data<(typeof RankedAnswers)['top-users']>, Rows<'topUsers'>>,
  Same<Data<(typeof RankedAnswers)['top-titles']>, Rows<'topTitles'>>,
  Same<Static<typeof MapPlaces>['places'], Awaited<ReturnType<SessionQueries['places']>>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void shapesMatch;
