// Read-only views of the warehouse: live and past sessions, analytics, violations.
import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/client.ts';
import { ServerMetricsQueries } from '../../warehouse/queries/server-metrics.ts';
import { PeopleQueries, type ViolationStatus } from '../../warehouse/queries/people.ts';
import { Analytics, SessionQueries, type Filters } from '../../warehouse/queries/index.ts';

const DAY = 86_400_000;

interface RangeQuery {
  from?: number;
  to?: number;
  servers?: string;
  accounts?: string;
}

const rangeSchema = {
  type: 'object',
  properties: {
    from: { type: 'integer', minimum: 0, description: 'Start, ms since the epoch (default: 30 days ago)' },
    to: { type: 'integer', minimum: 1, description: 'End (exclusive), ms since the epoch (default: now)' },
    servers: { type: 'string', pattern: '^[a-z0-9_,-]*$', description: 'Comma-separated server ids' },
    accounts: { type: 'string', maxLength: 4000, description: 'Comma-separated account keys (server_id:user_id)' },
  },
} as const;

/** "a, b,,c" -> ['a', 'b', 'c']; undefined when nothing is given. */
export function commaList(text: string | undefined): string[] | undefined {
  const items = text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function filters(q: RangeQuery): Filters {
  const to = q.to ?? Date.now() + 1;
  return { from: q.from ?? to - 30 * DAY, to, serverIds: commaList(q.servers), accountKeys: commaList(q.accounts) };
}

const ANALYTICS = [
  'plays',
  'heatmap',
  'decisions',
  'resolutions',
  'video-codecs',
  'audio-codecs',
  'platforms',
  'products',
  'players',
  'top-users',
  'top-titles',
  'concurrency',
  'bandwidth',
  'data',
  'countries',
  'cities',
] as const;
type AnalyticName = (typeof ANALYTICS)[number];

export async function dataRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const sessions = new SessionQueries(warehouse);
  const analytics = new Analytics(warehouse);
  const serverMetrics = new ServerMetricsQueries(warehouse);
  const people = new PeopleQueries(warehouse);

  app.get('/api/v1/sessions/active', async () => ({ sessions: await sessions.active() }));

  app.get<{ Querystring: RangeQuery & { search?: string; cursor?: string; limit?: number } }>(
    '/api/v1/sessions/history',
    {
      schema: {
        querystring: {
          ...rangeSchema,
          properties: {
            ...rangeSchema.properties,
            search: { type: 'string', maxLength: 200 },
            cursor: { type: 'string', maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
      },
    },
    async (request, reply) => {
      const f = filters(request.query);
      if (f.to <= f.from)
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: '"from" must be before "to"' });
      try {
        return await sessions.history(f, {
          search: request.query.search,
          cursor: request.query.cursor,
          limit: request.query.limit,
        });
      } catch (err) {
        if (err instanceof RangeError)
          return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: err.message });
        throw err;
      }
    },
  );

  app.get<{ Params: { serverId: string; sessionKey: string } }>(
    '/api/v1/sessions/:serverId/:sessionKey',
    {
      schema: {
        params: {
          type: 'object',
          properties: {
            serverId: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
            sessionKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { serverId, sessionKey } = request.params;
      const session = await sessions.one(serverId, sessionKey);
      if (!session)
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: `No play "${sessionKey}" on server "${serverId}".` });
      const timeline = (await sessions.timeline(serverId, sessionKey)).map((e) => ({
        ...e,
        at: Number(e.at),
        positionMs: Number(e.positionMs),
        bandwidthKbps: e.bandwidthKbps === null ? null : Number(e.bandwidthKbps),
      }));
      return { session, timeline };
    },
  );

  app.get<{ Querystring: RangeQuery & { limit?: number } }>(
    '/api/v1/map/places',
    {
      schema: {
        querystring: {
          ...rangeSchema,
          properties: { ...rangeSchema.properties, limit: { type: 'integer', minimum: 1, maximum: 20000 } },
        },
      },
    },
    async (request, reply) => {
      const f = filters(request.query);
      if (f.to <= f.from)
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: '"from" must be before "to"' });
      return { from: f.from, to: f.to, places: await sessions.places(f, request.query.limit) };
    },
  );

  app.get<{ Querystring: RangeQuery & { bucket?: number } }>(
    '/api/v1/server-metrics',
    {
      schema: {
        querystring: {
          ...rangeSchema,
          properties: {
            ...rangeSchema.properties,
            bucket: {
              type: 'integer',
              minimum: 60,
              maximum: 86400,
              description: 'Seconds per point (default: about 200 points over the range)',
            },
          },
        },
      },
    },
    async (request, reply) => {
      const f = filters({ ...request.query, from: request.query.from ?? (request.query.to ?? Date.now()) - DAY });
      if (f.to <= f.from)
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: '"from" must be before "to"' });
      const bucket = request.query.bucket ?? Math.max(60, Math.ceil((f.to - f.from) / 1000 / 200 / 60) * 60);
      const points = await serverMetrics.overTime(f, bucket);
      return { from: f.from, to: f.to, bucketSeconds: bucket, points };
    },
  );

  app.get('/api/v1/analytics/overview', async () => sessions.overview());

  app.get<{ Params: { name: AnalyticName }; Querystring: RangeQuery & { limit?: number; tz?: string } }>(
    '/api/v1/analytics/:name',
    {
      schema: {
        params: { type: 'object', properties: { name: { type: 'string', enum: [...ANALYTICS] } } },
        querystring: {
          ...rangeSchema,
          properties: {
            ...rangeSchema.properties,
            limit: { type: 'integer', minimum: 1, maximum: 100 },
            tz: { type: 'string', pattern: '^[A-Za-z_]+(/[A-Za-z_+-]+)*$' },
          },
        },
      },
    },
    async (request, reply) => {
      const f = filters(request.query);
      if (f.to <= f.from)
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: '"from" must be before "to"' });
      const limit = request.query.limit ?? 10;
      const data = await {
        plays: () => analytics.playsOverTime(f),
        heatmap: () => analytics.heatmap(f, request.query.tz ?? 'UTC'),
        decisions: () => analytics.streamDecisions(f),
        resolutions: () => analytics.qualityPairs(f, 'resolution'),
        'video-codecs': () => analytics.qualityPairs(f, 'videoCodec'),
        'audio-codecs': () => analytics.qualityPairs(f, 'audioCodec'),
        platforms: () => analytics.clients(f, 'platform'),
        products: () => analytics.clients(f, 'product'),
        players: () => analytics.clients(f, 'player'),
        'top-users': () => analytics.topUsers(f, limit),
        'top-titles': () => analytics.topTitles(f, limit),
        concurrency: () => analytics.concurrencyPeaks(f),
        bandwidth: () => analytics.bandwidth(f),
        data: () => analytics.streamedData(f),
        countries: () => analytics.geography(f, 'country'),
        cities: () => analytics.geography(f, 'city'),
      }[request.params.name]();
      return { from: f.from, to: f.to, data };
    },
  );

  app.get<{ Querystring: { status?: string; limit?: number } }>(
    '/api/v1/violations',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['OPEN', 'ACKNOWLEDGED', 'DISMISSED'] },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
      },
    },
    async (request) => {
      const status = request.query.status as ViolationStatus | undefined;
      return { violations: await people.violations({ status, limit: request.query.limit ?? 100 }) };
    },
  );
}
