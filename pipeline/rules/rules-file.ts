// Rule parameters from a JSON file (STREAMWARDEN_RULES_FILE) until the API manages them:
// { "rules": { <overrides of DEFAULT_RULES> }, "accounts": { "<account key>": { <overrides> } } }
import { readFileSync } from 'node:fs';
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

function check(overrides: unknown, where: string): RuleOverrides {
  if (overrides === undefined) return {};
  if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides))
    throw new RuleConfigError(`${where}: expected an object`);
  for (const [rule, value] of Object.entries(overrides)) {
    const defaults = (DEFAULT_RULES as unknown as Record<string, Record<string, unknown>>)[rule];
    if (!defaults)
      throw new RuleConfigError(`${where}: unknown rule "${rule}" (known: ${Object.keys(DEFAULT_RULES).join(', ')})`);
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (!(key in defaults))
        throw new RuleConfigError(
          `${where}.${rule}: unknown setting "${key}" (known: ${Object.keys(defaults).join(', ')})`,
        );
      const expected = Array.isArray(defaults[key]) ? 'array' : typeof defaults[key];
      const actual = Array.isArray(v) ? 'array' : typeof v;
      if (expected !== actual)
        throw new RuleConfigError(`${where}.${rule}.${key}: expected ${expected}, got ${actual}`);
      if (key === 'severity' && !['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].includes(v as string))
        throw new RuleConfigError(
          `${where}.${rule}.severity: expected LOW, MEDIUM, HIGH or CRITICAL, got ${JSON.stringify(v)}`,
        );
      if (key === 'action' && !['notify', 'terminate'].includes(v as string))
        throw new RuleConfigError(
          `${where}.${rule}.action: expected "notify" or "terminate", got ${JSON.stringify(v)}`,
        );
      if (key === 'action' && v === 'terminate' && rule === 'inactivity')
        throw new RuleConfigError(
          `${where}.inactivity.action: an inactive account has no stream to stop; use "notify"`,
        );
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
