// Analytics over the history: the overview figures and every chart's data.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { Analytics, type ConcurrencyBucket, SessionQueries } from '../../warehouse/queries/index.ts';
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
const SERIES = ['plays', 'heatmap', 'decisions', 'concurrency', 'bandwidth', 'data'] as const;
const ANALYTICS = [...SERIES, ...RANKED];
type AnalyticName = (typeof ANALYTICS)[number];

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

  app.get<{
    Params: { name: AnalyticName };
    Querystring: RangeQuery & { limit?: number; bucket?: ConcurrencyBucket };
  }>(
    '/api/v1/analytics/:name',
    {
      ...can('view'),
      schema: {
        params: { type: 'object', properties: { name: { type: 'string', enum: [...ANALYTICS] } } },
        querystring: {
          ...rangeSchema,
          properties: {
            ...rangeSchema.properties,
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              description: `The first rows of a ranked list (${RANKED.join(', ')}; default 10 for the top lists, all rows for the others). Time series and shares (${SERIES.join(', ')}) return every bucket or share of the period.`,
            },
            bucket: {
              type: 'string',
              enum: ['minute', 'hour', 'day'],
              description:
                'concurrency and bandwidth: per minute, hour or day (default: minutes up to 6 hours, hours up to 3 days, days beyond)',
            },
          },
        },
      },
    },
    async (request) => {
      const f = filters(request.query);
      const limit = request.query.limit;
      const data = await {
        plays: () => analytics.playsOverTime(f),
        heatmap: () => analytics.heatmap(f),
        decisions: () => analytics.streamDecisions(f),
        resolutions: () => analytics.qualityPairs(f, 'resolution', limit),
        'video-codecs': () => analytics.qualityPairs(f, 'videoCodec', limit),
        'audio-codecs': () => analytics.qualityPairs(f, 'audioCodec', limit),
        platforms: () => analytics.clients(f, 'platform', limit),
        products: () => analytics.clients(f, 'product', limit),
        players: () => analytics.clients(f, 'player', limit),
        'top-users': () => analytics.topUsers(f, limit ?? 10),
        'top-titles': () => analytics.topTitles(f, limit ?? 10),
        concurrency: () => analytics.concurrencyPeaks(f, request.query.bucket),
        bandwidth: () => analytics.bandwidth(f, request.query.bucket),
        data: () => analytics.streamedData(f),
        countries: () => analytics.geography(f, 'country', limit),
        cities: () => analytics.geography(f, 'city', limit),
      }[request.params.name]();
      return { from: f.from, to: f.to, data };
    },
  );
}
