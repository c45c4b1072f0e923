// Users (accounts) with their trust score and profile; acknowledging or dismissing violations;
// media server status.
import type { FastifyInstance } from 'fastify';
import type { ConnectorStatus } from '../../connectors/server-connector.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries } from '../../warehouse/queries/people.ts';

export interface PeopleOptions {
  warehouse: Warehouse;
  /** Live connector status, when the connectors run in this process. */
  serverStatus?: () => ConnectorStatus[];
}

export const accountParam = {
  type: 'object',
  properties: { accountKey: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}:[^\\s/]{1,200}$' } },
} as const;

export async function peopleRoutes(app: FastifyInstance, { warehouse, serverStatus }: PeopleOptions): Promise<void> {
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
    async (request, reply) => {
      const status = await people.setViolationStatus(
        request.params.id,
        request.body.status,
        request.body.note ?? `${request.body.status.toLowerCase()} by ${request.user}`,
      );
      if (!status) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such violation.' });
      return { violationId: request.params.id, status };
    },
  );

  app.get('/api/v1/servers/status', async () => ({ servers: serverStatus?.() ?? [] }));
}
