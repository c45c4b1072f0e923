// Bulk actions on accounts, chosen on the users list with its filters: exempt from every rule (or
// take the exemption back), reset trust with a reason, or apply one set of rule overrides. Rule
// changes are one save of the rules; trust resets are applied by the processors like any by hand.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { RULES } from '../../pipeline/rules/registry.ts';
import type { RuleStore } from '../../pipeline/rules/rule-store.ts';
import type { RuleOverrides } from '../../pipeline/rules/settings.ts';
import type { TrustAdjustmentStore } from '../../pipeline/trust-adjustments.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleQueries } from '../../warehouse/queries/people.ts';
import { can } from '../auth/plugin.ts';
import { accountParam } from './users.ts';
import { BulkDone, errors, RuleOverrides as RuleOverridesBody } from '../contract.ts';

type Action = 'EXEMPT' | 'UNEXEMPT' | 'RESET_TRUST' | 'APPLY_OVERRIDES';
type Overrides = Record<string, Record<string, unknown> | undefined>;

/** Every rule off, on top of what the account had. */
const exempt = (current: RuleOverrides | undefined): RuleOverrides => {
  const next = { ...(current as Overrides) };
  for (const rule of RULES) next[rule.settingsKey] = { ...next[rule.settingsKey], enabled: false };
  return next as RuleOverrides;
};

const RULE_KEYS = new Set(RULES.map((r) => r.settingsKey));

/** The exemption taken back: each rule's on/off left to the global rules again. */
const unexempt = (current: RuleOverrides | undefined): RuleOverrides | null => {
  const next: Overrides = {};
  for (const [key, value] of Object.entries((current ?? {}) as Overrides)) {
    if (!RULE_KEYS.has(key)) {
      if (value !== undefined) next[key] = value;
      continue;
    }
    const { enabled: _, ...rest } = value ?? {};
    if (Object.keys(rest).length > 0) next[key] = rest;
  }
  return Object.keys(next).length ? (next as RuleOverrides) : null;
};

export async function userBulkRoutes(
  app: FastifyInstance,
  {
    warehouse,
    rules,
    trustAdjustments,
  }: { warehouse: Warehouse; rules: RuleStore; trustAdjustments: TrustAdjustmentStore },
): Promise<void> {
  const people = new PeopleQueries(warehouse);

  app.post<{ Body: { accountKeys: string[]; action: Action; reason?: string; overrides?: RuleOverrides } }>(
    '/api/v1/users/bulk',
    {
      ...can('manage', 'users.bulk'),
      schema: {
        description:
          'One action on many accounts: EXEMPT from every rule, UNEXEMPT, RESET_TRUST (with a reason), APPLY_OVERRIDES.',
        body: {
          type: 'object',
          required: ['accountKeys', 'action'],
          additionalProperties: false,
          properties: {
            accountKeys: { type: 'array', minItems: 1, maxItems: 5000, items: accountParam.properties.accountKey },
            action: { type: 'string', enum: ['EXEMPT', 'UNEXEMPT', 'RESET_TRUST', 'APPLY_OVERRIDES'] },
            reason: {
              type: 'string',
              minLength: 3,
              maxLength: 500,
              description: 'RESET_TRUST: kept in the trust history',
            },
            overrides: {
              ...RuleOverridesBody,
              description: 'APPLY_OVERRIDES: rule settings set for each account (as PUT /users/:accountKey/rules)',
            },
          },
        },
        response: { 200: BulkDone, ...errors },
      },
    },
    async (request) => {
      const { action, reason, overrides } = request.body;
      const accountKeys = [...new Set(request.body.accountKeys)];
      const known = new Set((await people.users()).map((u) => u.accountKey));
      const unknown = accountKeys.filter((k) => !known.has(k));
      if (unknown.length)
        throw new AppError(
          'not-found',
          `No such account: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}.`,
        );
      const by = request.user!;
      if (action === 'RESET_TRUST') {
        if (!reason?.trim())
          throw new AppError('invalid', 'A trust reset needs a reason: it is kept in the trust history.');
        for (const accountKey of accountKeys)
          await trustAdjustments.add({ accountKey, kind: 'RESET', points: 0, by, reason: reason.trim() });
      } else if (action === 'APPLY_OVERRIDES') {
        if (!overrides || Object.keys(overrides).length === 0)
          throw new AppError('invalid', 'Say which rule settings to apply: "overrides".');
        await rules.changeAccounts(accountKeys, (current) => ({ ...current, ...overrides }), by);
      } else {
        await rules.changeAccounts(accountKeys, action === 'EXEMPT' ? exempt : unexempt, by);
      }
      return { action, accounts: accountKeys.length };
    },
  );
}
