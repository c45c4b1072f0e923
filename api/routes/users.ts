// Users (accounts) with their trust score and profile.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries } from '../../warehouse/queries/people.ts';
import { errors, UserList } from '../contract.ts';

export const accountParam = {
  type: 'object',
  properties: { accountKey: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}:[^\\s/]{1,200}$' } },
} as const;

export async function userRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const people = new PeopleQueries(warehouse);

  app.get('/api/v1/users', { schema: { response: { 200: UserList, ...errors } } }, async () => ({
    users: await people.users(),
  }));

  app.get<{ Params: { accountKey: string } }>(
    '/api/v1/users/:accountKey',
    { schema: { params: accountParam } },
    async (request) => {
      const profile = await people.profile(request.params.accountKey);
      if (!profile) throw new AppError('not-found', `No user "${request.params.accountKey}".`);
      return profile;
    },
  );
}
