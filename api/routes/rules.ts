// Detection rule parameters, and trying other parameters on stored history (backtest).
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import { bundledNetworks } from '../../core/networks.ts';
import { backtest } from '../../pipeline/backtest.ts';
import { parseRuleConfig, type RuleConfig } from '../../pipeline/rules/rules-file.ts';
import type { RuleStore } from '../../pipeline/rules/rule-store.ts';
import { RULE_METADATA } from '../../pipeline/rules/metadata.ts';
import { SeverityValues } from '../../schemas/index.ts';
import { checkRange } from '../../warehouse/queries/index.ts';
import Type from 'typebox';
import { BacktestAnswer, errors, RuleOverrides as RuleOverridesBody, RulesAnswer, RulesPage } from '../contract.ts';
import { accountParam } from './users.ts';
import { settingsFor, type RuleOverrides } from '../../pipeline/rules/settings.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { ViolationQueries } from '../../warehouse/queries/violations.ts';

interface BacktestBody {
  from: number;
  to: number;
  rules?: RuleOverrides;
  accounts?: Record<string, RuleOverrides>;
  servers?: string[];
  limit?: number;
}

export async function rulesRoutes(
  app: FastifyInstance,
  { warehouse, store }: { warehouse: Warehouse; store: RuleStore },
): Promise<void> {
  // Refusals (read-only rules, a version conflict, invalid settings) are thrown with their kind.
  const saved = async (save: Promise<RuleConfig & { version: number }>) => ({ ...(await save), readOnlySource: null });

  const violations = new ViolationQueries(warehouse);
  app.get('/api/v1/rules', { ...can('view'), schema: { response: { 200: RulesPage, ...errors } } }, async () => {
    // Per rule: raised, reviewed and marked false alarms, for its false-alarm rate.
    const [config, review] = await Promise.all([store.get(), violations.reviewCounts()]);
    return {
      ...config,
      readOnlySource: store.readOnlySource ?? null,
      definitions: RULE_METADATA,
      severities: SeverityValues,
      review,
    };
  });

  app.put<{ Body: { rules: RuleOverrides; version?: number } }>(
    '/api/v1/rules',
    {
      ...can('manage', 'rules.change'),
      schema: {
        body: {
          type: 'object',
          required: ['rules'],
          additionalProperties: false,
          properties: {
            rules: RuleOverridesBody,
            version: {
              type: 'integer',
              minimum: 0,
              description: 'Version edited; refused with 409 if someone saved since',
            },
          },
        },
        response: { 200: RulesAnswer, ...errors },
      },
    },
    (request) => saved(store.saveRules(request.body.rules, request.user ?? 'api', request.body.version)),
  );

  app.put<{ Params: { accountKey: string }; Body: RuleOverrides }>(
    '/api/v1/users/:accountKey/rules',
    {
      ...can('manage', 'account-rules.change'),
      schema: {
        params: accountParam,
        body: {
          ...RuleOverridesBody,
          description: 'Overrides for this account, e.g. {"concurrentStreams": {"maxStreams": 5}}',
        },
        response: { 200: RulesAnswer, ...errors },
      },
    },
    (request) => saved(store.saveAccount(request.params.accountKey, request.body, request.user ?? 'api')),
  );

  app.delete<{ Params: { accountKey: string } }>(
    '/api/v1/users/:accountKey/rules',
    {
      ...can('manage', 'account-rules.remove'),
      schema: { params: accountParam, response: { 200: RulesAnswer, ...errors } },
    },
    (request) => saved(store.saveAccount(request.params.accountKey, null, request.user ?? 'api')),
  );

  app.post<{ Body: BacktestBody }>(
    '/api/v1/rules/backtest',
    {
      ...can('view', 'rules.backtest'),
      schema: {
        body: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0 },
            to: { type: 'integer', minimum: 1 },
            rules: { ...RuleOverridesBody, description: 'Overrides of the current rule parameters' },
            accounts: Type.Record(Type.String({ description: 'An account key' }), RuleOverridesBody, {
              description: 'Per-account overrides',
            }),
            servers: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }, maxItems: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 5000 },
          },
        },
        response: { 200: BacktestAnswer, ...errors },
      },
    },
    async (request) => {
      const { from, to, servers, limit } = request.body;
      checkRange(from, to);
      // Same checks as the rules file: unknown rules or settings and wrong types are refused.
      const config = parseRuleConfig({ rules: request.body.rules, accounts: request.body.accounts }, 'backtest');
      const rules = await store.get();
      const settings = settingsFor(rules.rules, request.body.rules);
      return backtest(
        warehouse,
        {
          from,
          to,
          rules: settings,
          overrides: { ...rules.accounts, ...config.accounts },
          serverIds: servers,
          limit,
        },
        bundledNetworks(),
      );
    },
  );
}
