// Automation rules (add, change, remove; the presets listed off until saved on) and the list of
// their firings, newest first.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { can } from '../auth/plugin.ts';
import { UnknownAutomationError, type AutomationStore } from '../../alerts/automations.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { AutomationQueries } from '../../warehouse/queries/automations.ts';
import { AutomationBody, AutomationRule, Automations, errors, Firings } from '../contract.ts';

const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

export async function automationRoutes(
  app: FastifyInstance,
  { automations, warehouse }: { automations: AutomationStore; warehouse: Warehouse },
): Promise<void> {
  const firings = new AutomationQueries(warehouse);

  app.get(
    '/api/v1/automations',
    { ...can('view'), schema: { response: { 200: Automations, ...errors } } },
    async () => ({ automations: await automations.list() }),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/automations',
    {
      ...can('manage', 'automation.add'),
      schema: { body: AutomationBody, response: { 201: AutomationRule, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await automations.save(request.body, request.user ?? 'api')),
  );

  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/v1/automations/:id',
    {
      ...can('manage', 'automation.change'),
      schema: { params: idParam, body: AutomationBody, response: { 200: AutomationRule, ...errors } },
    },
    async (request) => automations.save({ ...request.body, id: request.params.id }, request.user ?? 'api'),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/automations/:id',
    {
      ...can('manage', 'automation.remove'),
      schema: { params: idParam, response: { 204: Type.Null({ description: 'Removed' }), ...errors } },
    },
    async (request, reply) => {
      if (!(await automations.remove(request.params.id, request.user ?? 'api')))
        throw new UnknownAutomationError(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/automations/firings',
    {
      ...can('view'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: { 200: Firings, ...errors },
      },
    },
    async (request) => ({ firings: await firings.list(request.query.limit ?? 100) }),
  );
}
