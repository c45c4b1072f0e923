// The violation feed and its review: acknowledge, dismiss, mark a false alarm, reopen. A false
// alarm gives the points it took back to the account's trust score (pipeline/false-alarms.ts);
// any other status withdraws the mark and they are taken again.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { FalseAlarmStore } from '../../pipeline/false-alarms.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries, type ViolationStatus } from '../../warehouse/queries/people.ts';

const STATUSES = ['OPEN', 'ACKNOWLEDGED', 'DISMISSED', 'FALSE_ALARM'] as const;

export async function violationRoutes(
  app: FastifyInstance,
  { warehouse, falseAlarms }: { warehouse: Warehouse; falseAlarms: FalseAlarmStore },
): Promise<void> {
  const people = new PeopleQueries(warehouse);

  app.get<{ Querystring: { status?: string; limit?: number } }>(
    '/api/v1/violations',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: [...STATUSES] },
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

  app.post<{ Params: { id: string }; Body: { status: ViolationStatus; note?: string } }>(
    '/api/v1/violations/:id/status',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...STATUSES] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const next = request.body.status;
      const by = request.user ?? 'api';
      const current = await people.violationForReview(id);
      if (!current) throw new AppError('not-found', 'No such violation.');
      // The mark first: a status saved without its mark would show a false alarm the score ignores.
      if (next === 'FALSE_ALARM')
        await falseAlarms.mark(id, {
          accountKey: current.accountKey,
          rule: current.rule,
          points: current.pointsTaken,
          markedAt: Date.now(),
          markedBy: by,
        });
      else if (current.status === 'FALSE_ALARM') await falseAlarms.unmark(id, by);
      const status = await people.setViolationStatus(
        id,
        next,
        request.body.note ?? `${next.toLowerCase().replace('_', ' ')} by ${by}`,
      );
      return { violationId: id, status };
    },
  );
}
