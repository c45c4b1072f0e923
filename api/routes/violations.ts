// The violation feed and its review: acknowledge, dismiss, mark a false alarm, reopen, one at a
// time or in bulk (chosen ids, or everything a filter covers). A false alarm gives the points it
// took back to the account's trust score (pipeline/false-alarms.ts); any other status withdraws
// the mark and they are taken again.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import { AppError } from '../../core/errors.ts';
import type { FalseAlarmStore } from '../../pipeline/false-alarms.ts';
import { RuleIdValues, SeverityValues } from '../../schemas/index.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { ViolationQueries, type ViolationFilter, type ViolationStatus } from '../../warehouse/queries/violations.ts';
import { errors, ViolationList, ViolationReviewed, ViolationsReviewed } from '../contract.ts';

const STATUSES = ['OPEN', 'ACKNOWLEDGED', 'DISMISSED', 'FALSE_ALARM'] as const;
/** The most a bulk action changes at once. */
const BULK_LIMIT = 5000;
const ID = { type: 'string', pattern: '^[0-9a-f]{32}$' } as const;

export const violationFilterProperties = {
  status: { type: 'string', enum: [...STATUSES] },
  rule: { type: 'string', enum: RuleIdValues.filter((r) => r !== 'UNKNOWN') },
  severity: { type: 'string', enum: [...SeverityValues] },
  server: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
  person: {
    type: 'string',
    pattern: '^[0-9a-f-]{36}$',
    description: "A person's id: only the findings over that person's accounts together",
  },
  from: { type: 'integer', minimum: 0, description: 'Detected at or after (ms since the epoch)' },
  to: { type: 'integer', minimum: 0, description: 'Detected before (ms since the epoch)' },
} as const;

export type FilterQuery = Partial<
  Record<'status' | 'rule' | 'severity' | 'server' | 'person', string> & Record<'from' | 'to', number>
>;

export const toFilter = (q: FilterQuery): ViolationFilter => ({
  status: q.status as ViolationStatus | undefined,
  rule: q.rule,
  severity: q.severity,
  serverId: q.server,
  personId: q.person,
  from: q.from,
  to: q.to,
});

export async function violationRoutes(
  app: FastifyInstance,
  { warehouse, falseAlarms }: { warehouse: Warehouse; falseAlarms: FalseAlarmStore },
): Promise<void> {
  const violations = new ViolationQueries(warehouse);

  /** Sets the status of these violations, marking or unmarking false alarms first; how many were found. */
  async function review(ids: readonly string[], next: ViolationStatus, by: string, note?: string): Promise<number> {
    const found = await violations.forReview(ids);
    // The marks first: a status saved without its mark would show a false alarm the score ignores.
    if (next === 'FALSE_ALARM') {
      const markedAt = Date.now();
      await falseAlarms.mark(
        Object.fromEntries(
          found.map((v) => [
            v.violationId,
            { accountKey: v.accountKey, rule: v.rule, points: v.pointsTaken, markedAt, markedBy: by },
          ]),
        ),
        by,
      );
    } else {
      const withdrawn = found.filter((v) => v.status === 'FALSE_ALARM').map((v) => v.violationId);
      if (withdrawn.length > 0) await falseAlarms.unmark(withdrawn, by);
    }
    await violations.setStatus(
      found.map((v) => v.violationId),
      next,
      note ?? `${next.toLowerCase().replace('_', ' ')} by ${by}`,
    );
    return found.length;
  }

  app.get<{ Querystring: FilterQuery & { limit?: number } }>(
    '/api/v1/violations',
    {
      ...can('view'),
      schema: {
        querystring: {
          type: 'object',
          properties: { ...violationFilterProperties, limit: { type: 'integer', minimum: 1, maximum: 500 } },
        },
        response: { 200: ViolationList, ...errors },
      },
    },
    async (request) => ({ violations: await violations.list(toFilter(request.query), request.query.limit ?? 100) }),
  );

  app.post<{ Params: { id: string }; Body: { status: ViolationStatus; note?: string } }>(
    '/api/v1/violations/:id/status',
    {
      ...can('manage', 'violation.review'),
      schema: {
        params: { type: 'object', properties: { id: ID } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...STATUSES] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
        response: { 200: ViolationReviewed, ...errors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const found = await review([id], request.body.status, request.user ?? 'api', request.body.note);
      if (found === 0) throw new AppError('not-found', 'No such violation.');
      return { violationId: id, status: request.body.status };
    },
  );

  app.post<{ Body: { ids?: string[]; filter?: FilterQuery; status: ViolationStatus; note?: string } }>(
    '/api/v1/violations/status',
    {
      ...can('manage', 'violation.review'),
      schema: {
        description: `Reviews many violations at once: the ids given, or every violation the filter covers (newest first, at most ${BULK_LIMIT}). Exactly one of ids and filter.`,
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            ids: { type: 'array', items: ID, minItems: 1, maxItems: BULK_LIMIT, uniqueItems: true },
            filter: { type: 'object', additionalProperties: false, properties: violationFilterProperties },
            status: { type: 'string', enum: [...STATUSES] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
        response: { 200: ViolationsReviewed, ...errors },
      },
    },
    async (request) => {
      const { ids, filter, status, note } = request.body;
      if ((ids === undefined) === (filter === undefined))
        throw new AppError('invalid', 'Give either ids or a filter: the violations to review.');
      const chosen = ids ?? (await violations.ids(toFilter(filter!), BULK_LIMIT));
      const updated = await review(chosen, status, request.user ?? 'api', note);
      return { status, updated, limit: BULK_LIMIT };
    },
  );
}
