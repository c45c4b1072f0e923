// Users (accounts) with their trust score and profile, and trust changed by hand with a reason.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import { AppError } from '../../core/errors.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries } from '../../warehouse/queries/people.ts';
import type { TrustAdjustmentStore } from '../../pipeline/trust-adjustments.ts';
import { errors, TrustAdjusted, UserList, UserProfile } from '../contract.ts';

export const accountParam = {
  type: 'object',
  properties: { accountKey: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}:[^\\s/]{1,200}$' } },
} as const;

export async function userRoutes(
  app: FastifyInstance,
  { warehouse, trustAdjustments }: { warehouse: Warehouse; trustAdjustments: TrustAdjustmentStore },
): Promise<void> {
  const people = new PeopleQueries(warehouse);

  app.get('/api/v1/users', { ...can('view'), schema: { response: { 200: UserList, ...errors } } }, async () => ({
    users: await people.users(),
  }));

  app.get<{ Params: { accountKey: string } }>(
    '/api/v1/users/:accountKey',
    { ...can('view'), schema: { params: accountParam, response: { 200: UserProfile, ...errors } } },
    async (request) => {
      const profile = await people.profile(request.params.accountKey);
      if (!profile) throw new AppError('not-found', `No user "${request.params.accountKey}".`);
      return profile;
    },
  );

  // Applied by the processors within their poll interval: 202, the score changes in a moment.
  app.post<{ Params: { accountKey: string }; Body: { action: 'ADJUST' | 'RESET'; points?: number; reason: string } }>(
    '/api/v1/users/:accountKey/trust',
    {
      ...can('manage', 'trust.change'),
      schema: {
        params: accountParam,
        response: { 202: TrustAdjusted, ...errors },
        body: {
          type: 'object',
          required: ['action', 'reason'],
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: ['ADJUST', 'RESET'], description: 'ADJUST adds points; RESET sets 100' },
            points: {
              type: 'integer',
              minimum: -100,
              maximum: 100,
              description: 'ADJUST: points to add (negative: take)',
            },
            reason: { type: 'string', minLength: 3, maxLength: 500, description: 'Kept in the trust history' },
          },
        },
      },
    },
    async (request, reply) => {
      const { accountKey } = request.params;
      const { action, points, reason } = request.body;
      if (action === 'ADJUST' && !points)
        throw new AppError('invalid', 'An adjustment needs points: a whole number from -100 to 100, not 0.');
      if (!(await people.exists(accountKey))) throw new AppError('not-found', `No user "${accountKey}".`);
      const adjustment = await trustAdjustments.add({
        accountKey,
        kind: action,
        points: action === 'RESET' ? 0 : points!,
        by: request.user ?? 'api',
        reason: reason.trim(),
      });
      return reply.code(202).send({ adjustment });
    },
  );
}
