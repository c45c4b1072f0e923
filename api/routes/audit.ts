// The audit log: who changed what, signed in or failed to, newest first, filtered and paged.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { AuditQueries } from '../../warehouse/queries/audit.ts';
import { can } from '../auth/plugin.ts';
import { AuditPage, errors } from '../contract.ts';

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: string;
  outcome?: 'ok' | 'failed';
  before?: string;
  limit?: number;
}

export const auditFilterProperties = {
  from: { type: 'number', description: 'ms since the epoch, inclusive' },
  to: { type: 'number', description: 'ms since the epoch, exclusive' },
  actor: { type: 'string', maxLength: 64 },
  action: { type: 'string', maxLength: 64, description: 'An action, or a family ending in "." (auth.)' },
  outcome: { type: 'string', enum: ['ok', 'failed'] },
} as const;

// Cursors from before times were ISO 8601 (a space, no zone) still read.
const CURSOR = /^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{3}Z?)\|([0-9a-f-]{36})$/;

export async function auditRoutes(app: FastifyInstance, { audit }: { audit: AuditQueries }): Promise<void> {
  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    {
      ...can('manage'),
      schema: {
        description:
          'Every admin action and sign-in, newest first. Page with `before`: the `next` cursor of the previous page.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...auditFilterProperties,
            before: { type: 'string', maxLength: 80 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
        response: { 200: AuditPage, ...errors },
      },
    },
    async (request) => {
      const { before, limit = 100, ...filter } = request.query;
      const cursor = before === undefined ? undefined : CURSOR.exec(before);
      if (before !== undefined && !cursor)
        throw new AppError('invalid', 'querystring/before is not a cursor from this API');
      const entries = await audit.list({
        ...filter,
        before: cursor ? { at: cursor[1]!, auditId: cursor[2]! } : undefined,
        limit,
      });
      const last = entries.at(-1);
      return { entries, next: entries.length === limit && last ? `${last.at}|${last.auditId}` : null };
    },
  );
}
