// Detection rule parameters, and trying other parameters on stored history (backtest).
import type { FastifyInstance } from 'fastify';
import { backtest } from '../../../pipeline/backtest.ts';
import { parseRuleConfig, type RuleConfig } from '../../../pipeline/rules/rules-file.ts';
import { settingsFor, type RuleOverrides } from '../../../pipeline/rules/settings.ts';
import type { Warehouse } from '../../../warehouse/client.ts';

interface BacktestBody {
  from: number;
  to: number;
  rules?: RuleOverrides;
  accounts?: Record<string, RuleOverrides>;
  servers?: string[];
  limit?: number;
}

export async function rulesRoutes(app: FastifyInstance, { warehouse, rules }: { warehouse: Warehouse; rules: RuleConfig }): Promise<void> {
  app.get('/api/v1/rules', async () => rules);

  app.post<{ Body: BacktestBody }>(
    '/api/v1/rules/backtest',
    {
      schema: {
        body: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0 },
            to: { type: 'integer', minimum: 1 },
            rules: { type: 'object', description: 'Overrides of the current rule parameters' },
            accounts: { type: 'object', description: 'Per-account overrides' },
            servers: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }, maxItems: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 5000 },
          },
        },
      },
    },
    async (request, reply) => {
      const { from, to, servers, limit } = request.body;
      if (to <= from) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: '"from" must be before "to"' });
      let config: RuleConfig;
      try {
        // Same checks as the rules file: unknown rules or settings and wrong types are refused.
        config = parseRuleConfig({ rules: request.body.rules, accounts: request.body.accounts }, 'backtest');
      } catch (err) {
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: (err as Error).message });
      }
      const settings = settingsFor(rules.rules, request.body.rules);
      return backtest(warehouse, { from, to, rules: settings, overrides: { ...rules.accounts, ...config.accounts }, serverIds: servers, limit });
    },
  );
}
