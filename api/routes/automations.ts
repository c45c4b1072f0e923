// Automation rules (add, change, remove; the presets listed off until saved on) and the list of
// their firings, newest first.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { can } from '../auth/plugin.ts';
import { UnknownAutomationError, validateAutomation, type AutomationStore } from '../../alerts/automations.ts';
import { backtestAutomation } from '../../alerts/automation-backtest.ts';
import { AppError } from '../../core/errors.ts';
import { DEFAULT_SETTINGS, type SettingsStore } from '../../warehouse/settings-store.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { AutomationQueries } from '../../warehouse/queries/automations.ts';
import {
  AutomationBacktestAnswer,
  AutomationBacktestBody,
  AutomationBody,
  AutomationRule,
  Automations,
  errors,
  Firings,
} from '../contract.ts';

/** Plays a backtest replays at most (the answer says when the range held more). */
const BACKTEST_PLAYS = 500_000;

const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

export async function automationRoutes(
  app: FastifyInstance,
  { automations, settings, warehouse }: { automations: AutomationStore; settings: SettingsStore; warehouse: Warehouse },
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

  app.post<{ Body: { rule: Record<string, unknown>; from?: number; to?: number } }>(
    '/api/v1/automations/backtest',
    {
      ...can('view', 'automation.backtest'),
      schema: { body: AutomationBacktestBody, response: { 200: AutomationBacktestAnswer, ...errors } },
    },
    async (request) => {
      const rule = { id: 'backtest', ...validateAutomation({ ...request.body.rule, enabled: true }) };
      const to = request.body.to ?? Date.now();
      const from = request.body.from ?? to - 30 * 86_400_000;
      if (!(from < to)) throw new AppError('invalid', 'from must be before to');
      const history = await firings.historyPlays(from, to, BACKTEST_PLAYS);
      const cut = history.length > BACKTEST_PLAYS;
      return backtestAutomation(rule, cut ? history.slice(0, BACKTEST_PLAYS) : history, {
        timeZone: (await settings.read().catch(() => DEFAULT_SETTINGS)).timeZone,
        cut,
      });
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
