// API tokens of the signed-in administrator: listed, created (shown once), revoked.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { AuthStore } from '../auth/store.ts';

export async function tokenRoutes(app: FastifyInstance, { store }: { store: AuthStore }): Promise<void> {
  app.get('/api/v1/tokens', async (request) => ({ tokens: await store.listTokens(request.user!) }));

  app.post<{ Body: { name: string } }>(
    '/api/v1/tokens',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
    async (request, reply) => {
      const { token, info } = await store.createToken(request.user!, request.body.name);
      return reply.code(201).send({ ...info, token, note: 'Shown once: store it now.' });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } } } },
    async (request) => {
      if (!(await store.revokeToken(request.user!, request.params.id)))
        throw new AppError('not-found', 'No such token.');
      return { revoked: request.params.id };
    },
  );
}
