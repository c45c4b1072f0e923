// Users (accounts) with their trust score and profile.
import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries } from '../../warehouse/queries/people.ts';

export const accountParam = {
  type: 'object',
  properties: { accountKey: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}:[^\\s/]{1,200}$' } },
} as const;

export async function userRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const people = new PeopleQueries(warehouse);

  app.get('/api/v1/users', async () => ({ users: await people.users() }));

  app.get<{ Params: { accountKey: string } }>(
    '/api/v1/users/:accountKey',
    { schema: { params: accountParam } },
    async (request, reply) => {
      const profile = await people.profile(request.params.accountKey);
      if (!profile)
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: `No user "${request.params.accountKey}".` });
      return profile;
    },
  );
}
