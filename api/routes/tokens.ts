// API tokens of the signed-in user: listed, created (shown once) with a role no higher than their
// creator's, revoked.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { ROLES, type Role } from '../../core/roles.ts';
import { can } from '../auth/plugin.ts';
import type { AuthStore } from '../auth/store.ts';
import { errors, IssuedToken, Revoked, Tokens } from '../contract.ts';

export async function tokenRoutes(app: FastifyInstance, { store }: { store: AuthStore }): Promise<void> {
  app.get(
    '/api/v1/tokens',
    { ...can('manage'), schema: { response: { 200: Tokens, ...errors } } },
    async (request) => ({
      tokens: await store.listTokens(request.user!),
    }),
  );

  app.post<{ Body: { name: string; role?: Role } }>(
    '/api/v1/tokens',
    {
      ...can('manage', 'token.issue'),
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            role: {
              type: 'string',
              enum: [...ROLES],
              description:
                "What the token may do; at most its creator's role (the default). A viewer token only reads.",
            },
          },
        },
        response: { 201: IssuedToken, ...errors },
      },
    },
    async (request, reply) => {
      const creator = request.identity!;
      const { token, info } = await store.createToken(creator, request.body.name, request.body.role ?? creator.role);
      return reply.code(201).send({ ...info, token, note: 'Shown once: store it now.' });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      ...can('manage', 'token.revoke'),
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
        response: { 200: Revoked, ...errors },
      },
    },
    async (request) => {
      if (!(await store.revokeToken(request.user!, request.params.id)))
        throw new AppError('not-found', 'No such token.');
      return { revoked: request.params.id };
    },
  );
}
