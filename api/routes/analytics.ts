// Analytics over the history: the overview figures and every chart's data.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { Analytics, type ConcurrencyBucket, type Filters, SessionQueries } from '../../warehouse/queries/index.ts';

import { errors, Overview, RankedAnswers, SeriesAnswers } from '../contract.ts';
import { filters, rangeSchema, type RangeQuery } from './range.ts';
import { nowFigures } from '../../warehouse/queries/sessions.ts';
import type { LiveHub } from '../live.ts';
import type { ShortCache } from '../short-cache.ts';
import { queryKey } from '../short-cache.ts';

/** The analytics that are ranked lists, which `limit` cuts. */
const RANKED = [
  'resolutions',
  'video-codecs',
  'audio-codecs',
  'platforms',
  'products',
  'players',
  'top-users',
  'top-titles',
  'countries',
  'cities',
] as const;
/** Time series and shares: every bucket or share of the period. */
type Series = 'plays' | 'heatmap' | 'decisions' | 'concurrency' | 'bandwidth' | 'data';

export interface AnalyticsRouteOptions {
  warehouse: Warehouse;
  /** The live state: the overview's figures of now come from it when given. */
  live?: LiveHub;
  /** Answers kept a few seconds for the same question. */
  cache: ShortCache<unknown>;
}

export async function analyticsRoutes(
  app: FastifyInstance,
  { warehouse, live, cache }: AnalyticsRouteOptions,
): Promise<void> {
  const sessions = new SessionQueries(warehouse);
  const analytics = new Analytics(warehouse);
  const cached = <T>(key: string, load: () => Promise<T>) => cache.read(key, load) as Promise<T>;

  app.get<{ Querystring: Pick<RangeQuery, 'servers' | 'tz'> }>(
    '/api/v1/analytics/overview',
    {
      ...can('view'),
      schema: {
        querystring: {
          type: 'object',
          properties: { servers: rangeSchema.properties.servers, tz: rangeSchema.properties.tz },
        },
        response: { 200: Overview, ...errors },
      },
    },
    async (request) => {
      const { serverIds, timeZone } = filters({ servers: request.query.servers, tz: request.query.tz });
      const now = live ? live.figures(serverIds) : nowFigures(await sessions.active(Date.now(), serverIds));
      const today = await cached(queryKey('today', { serverIds, timeZone }), () =>
        sessions.today(Date.now(), serverIds, timeZone),
      );
      return { ...now, ...today };
    },
  );

  /** A chart's data: filters, the period and the time zone; `extra` adds what the operation takes. */
  const query = (extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties: { ...rangeSchema.properties, ...extra },
  });
  const BUCKET = {
    type: 'string',
    enum: ['minute', 'hour', 'day'],
    description: 'Per minute, hour or day (default: minutes up to 6 hours, hours up to 3 days, days beyond)',
  } as const;

  // Time series and shares: every bucket or share of the period, one operation each, so each
  // documents exactly what it takes.
  const series: Record<
    Series,
    { summary: string; bucket?: boolean; read: (f: Filters, q: { bucket?: ConcurrencyBucket }) => Promise<unknown> }
  > = {
    plays: { summary: 'Plays and watch time per day and media type', read: (f) => analytics.playsOverTime(f) },
    heatmap: { summary: 'Plays by weekday and hour of the day', read: (f) => analytics.heatmap(f) },
    decisions: {
      summary: 'Direct play, direct stream and transcode shares',
      read: (f) => analytics.streamDecisions(f),
    },
    concurrency: {
      summary: 'Peak concurrent streams and transcodes',
      bucket: true,
      read: (f, q) => analytics.concurrencyPeaks(f, q.bucket),
    },
    bandwidth: {
      summary: 'Server bandwidth, average and peak, and WAN',
      bucket: true,
      read: (f, q) => analytics.bandwidth(f, q.bucket),
    },
    data: { summary: 'Data streamed per day', read: (f) => analytics.streamedData(f) },
  };
  for (const [name, s] of Object.entries(series))
    app.get<{ Querystring: RangeQuery & { bucket?: ConcurrencyBucket } }>(
      `/api/v1/analytics/${name}`,
      {
        ...can('view'),
        schema: {
          summary: s.summary,
          querystring: query(s.bucket ? { bucket: BUCKET } : {}),
          response: { 200: SeriesAnswers[name as Series], ...errors },
        },
      },
      async (request) => {
        const f = filters(request.query);
        return {
          from: f.from,
          to: f.to,
          data: await cached(queryKey(name, request.query), () => s.read(f, request.query)),
        };
      },
    );

  // Ranked lists: the first `limit` rows, one operation each, so each documents its own rows.
  const ranked: Record<
    (typeof RANKED)[number],
    { summary: string; read: (f: Filters, limit?: number) => Promise<unknown> }
  > = {
    resolutions: {
      summary: 'Plays by source and stream resolution',
      read: (f, l) => analytics.qualityPairs(f, 'resolution', l),
    },
    'video-codecs': {
      summary: 'Plays by source and stream video codec',
      read: (f, l) => analytics.qualityPairs(f, 'videoCodec', l),
    },
    'audio-codecs': {
      summary: 'Plays by source and stream audio codec',
      read: (f, l) => analytics.qualityPairs(f, 'audioCodec', l),
    },
    platforms: {
      summary: 'Plays by platform, with devices and accounts',
      read: (f, l) => analytics.clients(f, 'platform', l),
    },
    products: { summary: 'Plays by client application', read: (f, l) => analytics.clients(f, 'product', l) },
    players: {
      summary: 'Plays by player (device model or browser)',
      read: (f, l) => analytics.clients(f, 'player', l),
    },
    'top-users': { summary: 'Accounts with the most plays', read: (f, l) => analytics.topUsers(f, l ?? 10) },
    'top-titles': {
      summary: 'Series, artists and films with the most plays',
      read: (f, l) => analytics.topTitles(f, l ?? 10),
    },
    countries: { summary: 'Plays by country', read: (f, l) => analytics.geography(f, 'country', l) },
    cities: { summary: 'Plays by city', read: (f, l) => analytics.geography(f, 'city', l) },
  };
  for (const name of RANKED)
    app.get<{ Querystring: RangeQuery & { limit?: number } }>(
      `/api/v1/analytics/${name}`,
      {
        ...can('view'),
        schema: {
          summary: ranked[name].summary,
          querystring: query({
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              description:
                'The first rows of the list (default 10 for top-users and top-titles, every row for the others)',
            },
          }),
          response: { 200: RankedAnswers[name], ...errors },
        },
      },
      async (request) => {
        const f = filters(request.query);
        const data = await cached(queryKey(name, request.query), () => ranked[name].read(f, request.query.limit));
        return { from: f.from, to: f.to, data };
      },
    );
}
