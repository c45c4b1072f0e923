// The violation feed and its review: acknowledge, dismiss, reopen.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries, type ViolationStatus } from '../../warehouse/queries/people.ts';

export async function violationRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const people = new PeopleQueries(warehouse);

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

  app.post<{ Params: { id: string }; Body: { status: 'ACKNOWLEDGED' | 'DISMISSED' | 'OPEN'; note?: string } }>(
    '/api/v1/violations/:id/status',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['ACKNOWLEDGED', 'DISMISSED', 'OPEN'] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
      },
    },
    async (request) => {
      const status = await people.setViolationStatus(
        request.params.id,
        request.body.status,
        request.body.note ?? `${request.body.status.toLowerCase()} by ${request.user}`,
      );
      if (!status) throw new AppError('not-found', 'No such violation.');
      return { violationId: request.params.id, status };
    },
  );
}
