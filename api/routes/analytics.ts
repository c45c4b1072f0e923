// Analytics over the history: the overview figures and every chart's data.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { Analytics, type ConcurrencyBucket, type Filters, SessionQueries } from '../../warehouse/queries/index.ts';

import { errors, Overview } from '../contract.ts';
import { filters, rangeSchema, type RangeQuery } from './range.ts';

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

export async function analyticsRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const sessions = new SessionQueries(warehouse);
  const analytics = new Analytics(warehouse);

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
      return sessions.overview(Date.now(), serverIds, timeZone);
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
      { ...can('view'), schema: { summary: s.summary, querystring: query(s.bucket ? { bucket: BUCKET } : {}) } },
      async (request) => {
        const f = filters(request.query);
        return { from: f.from, to: f.to, data: await s.read(f, request.query) };
      },
    );

  // Ranked lists: the first `limit` rows.
  app.get<{ Params: { name: (typeof RANKED)[number] }; Querystring: RangeQuery & { limit?: number } }>(
    '/api/v1/analytics/:name',
    {
      ...can('view'),
      schema: {
        summary: 'A ranked list: qualities, codecs, clients, top users and titles, countries, cities',
        params: { type: 'object', properties: { name: { type: 'string', enum: [...RANKED] } } },
        querystring: query({
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: 100,
            description:
              'The first rows of the list (default 10 for top-users and top-titles, every row for the others)',
          },
        }),
      },
    },
    async (request) => {
      const f = filters(request.query);
      const limit = request.query.limit;
      const data = await {
        resolutions: () => analytics.qualityPairs(f, 'resolution', limit),
        'video-codecs': () => analytics.qualityPairs(f, 'videoCodec', limit),
        'audio-codecs': () => analytics.qualityPairs(f, 'audioCodec', limit),
        platforms: () => analytics.clients(f, 'platform', limit),
        products: () => analytics.clients(f, 'product', limit),
        players: () => analytics.clients(f, 'player', limit),
        'top-users': () => analytics.topUsers(f, limit ?? 10),
        'top-titles': () => analytics.topTitles(f, limit ?? 10),
        countries: () => analytics.geography(f, 'country', limit),
        cities: () => analytics.geography(f, 'city', limit),
      }[request.params.name]();
      return { from: f.from, to: f.to, data };
    },
  );
}
