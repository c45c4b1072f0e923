// Checking rule parameters, from the rules file (STREAMWARDEN_RULES_FILE), the API or a backtest:
// { "rules": { <overrides of DEFAULT_RULES> }, "accounts": { "<account key>": { <overrides> } } }.
// Each rule's definition (registry.ts) says which settings exist, their ranges and its actions.
import { readFileSync } from 'node:fs';
import { SeverityValues } from '../../schemas/index.ts';
import { RULES } from './registry.ts';
import type { RuleDefinition, RuleParameter } from './rule.ts';
import { DEFAULT_RULES, settingsFor, trustedRanges, type RuleOverrides, type RuleSettings } from './settings.ts';
import { AppError } from '../../core/errors.ts';

export class RuleConfigError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export interface RuleConfig {
  rules: RuleSettings;
  accounts: Record<string, RuleOverrides>;
}

/** A setting's value against its rule's definition: severity, action, range, country codes. */
function checkValue(rule: RuleDefinition | undefined, key: string, value: unknown, where: string): void {
  if (key === 'severity' && !(SeverityValues as readonly unknown[]).includes(value))
    throw new RuleConfigError(`${where}: expected ${SeverityValues.join(', ')}, got ${JSON.stringify(value)}`);
  if (key === 'trustPenalty' && ((value as number) < 0 || (value as number) > 100))
    throw new RuleConfigError(`${where}: expected 0 to 100 points, got ${value}`);
  if (!rule) return;
  if (key === 'trustPenalty' && rule.runsOn === 'fleet' && value !== 0)
    throw new RuleConfigError(
      `${where}: this rule is about several accounts together and takes no trust points; use 0`,
    );
  if (key === 'action' && !(rule.actions as readonly unknown[]).includes(value)) {
    throw new RuleConfigError(
      rule.actions.length === 1
        ? `${where}: this rule has no stream to stop; use "${rule.actions[0]}"`
        : `${where}: expected ${rule.actions.map((a) => `"${a}"`).join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  const parameter = (rule.parameters as Record<string, RuleParameter | undefined>)[key];
  if (parameter?.kind === 'number') {
    const n = value as number;
    if (!Number.isFinite(n) || n < parameter.min || n > parameter.max)
      throw new RuleConfigError(`${where}: expected ${parameter.min} to ${parameter.max}, got ${n}`);
    if (parameter.integer && !Number.isInteger(n))
      throw new RuleConfigError(`${where}: expected a whole number, got ${n}`);
  }
  if (parameter?.kind === 'countries') {
    const bad = (value as unknown[]).find((c) => typeof c !== 'string' || !/^[A-Z]{2}$/.test(c));
    if (bad !== undefined)
      throw new RuleConfigError(`${where}: expected two-letter country codes such as "DE", got ${JSON.stringify(bad)}`);
  }
}

function check(overrides: unknown, where: string): RuleOverrides {
  if (overrides === undefined) return {};
  if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides))
    throw new RuleConfigError(`${where}: expected an object`);
  for (const [group, value] of Object.entries(overrides)) {
    const defaults = (DEFAULT_RULES as unknown as Record<string, Record<string, unknown>>)[group];
    if (!defaults)
      throw new RuleConfigError(`${where}: unknown rule "${group}" (known: ${Object.keys(DEFAULT_RULES).join(', ')})`);
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new RuleConfigError(`${where}.${group}: expected an object`);
    const rule = RULES.find((r) => r.settingsKey === group);
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (!(key in defaults))
        throw new RuleConfigError(
          `${where}.${group}: unknown setting "${key}" (known: ${Object.keys(defaults).join(', ')})`,
        );
      const expected = Array.isArray(defaults[key]) ? 'array' : typeof defaults[key];
      const actual = Array.isArray(v) ? 'array' : typeof v;
      if (expected !== actual)
        throw new RuleConfigError(`${where}.${group}.${key}: expected ${expected}, got ${actual}`);
      checkValue(rule, key, v, `${where}.${group}.${key}`);
    }
  }
  const typed = overrides as RuleOverrides;
  try {
    trustedRanges(typed.exemptions?.trustedCidrs ?? []);
  } catch (err) {
    throw new RuleConfigError(`${where}.exemptions.trustedCidrs: ${(err as Error).message}`);
  }
  return typed;
}

export function parseRuleConfig(json: unknown, source = 'rules'): RuleConfig {
  const root = (json ?? {}) as { rules?: unknown; accounts?: Record<string, unknown> };
  const rules = settingsFor(DEFAULT_RULES, check(root.rules, `${source}: rules`));
  const accounts: Record<string, RuleOverrides> = {};
  for (const [account, overrides] of Object.entries(root.accounts ?? {}))
    accounts[account] = check(overrides, `${source}: accounts.${account}`);
  return { rules, accounts };
}

export function loadRuleConfig(path: string | undefined): RuleConfig {
  if (!path) return { rules: DEFAULT_RULES, accounts: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RuleConfigError(`cannot read the rules file ${path}: ${(err as Error).message}`);
  }
  return parseRuleConfig(json, path);
}
