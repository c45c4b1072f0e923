// Media server load over time.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { ServerMetricsQueries } from '../../warehouse/queries/server-metrics.ts';
import { errors, ServerLoad } from '../contract.ts';
import { DAY, filters, rangeSchema, type RangeQuery } from './range.ts';

export async function serverMetricsRoutes(
  app: FastifyInstance,
  { warehouse }: { warehouse: Warehouse },
): Promise<void> {
  const serverMetrics = new ServerMetricsQueries(warehouse);

  app.get<{ Querystring: RangeQuery & { bucket?: number } }>(
    '/api/v1/server-metrics',
    {
      ...can('view'),
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
        response: { 200: ServerLoad, ...errors },
      },
    },
    async (request) => {
      const f = filters({ ...request.query, from: request.query.from ?? (request.query.to ?? Date.now()) - DAY });
      const bucket = request.query.bucket ?? Math.max(60, Math.ceil((f.to - f.from) / 1000 / 200 / 60) * 60);
      const points = await serverMetrics.overTime(f, bucket);
      return { from: f.from, to: f.to, bucketSeconds: bucket, points };
    },
  );
}
