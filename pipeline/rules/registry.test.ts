import { describe, expect, it } from 'vitest';
import { en } from '../../dashboard/app/src/lib/i18n/en.ts';
import { zhHans } from '../../dashboard/app/src/lib/i18n/zh-Hans.ts';
import { zhHant } from '../../dashboard/app/src/lib/i18n/zh-Hant.ts';
import { RuleIdValues, SeverityValues } from '../../schemas/index.ts';
import { RULE_METADATA } from './metadata.ts';
import { RULES, ruleById } from './registry.ts';
import { parseRuleConfig } from './rules-file.ts';
import { DEFAULT_RULES } from './settings.ts';

describe('rule registry', () => {
  it('defines every rule id of the contract once', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual(RuleIdValues.filter((id) => id !== 'UNKNOWN').sort());
    expect(new Set(RULES.map((r) => r.settingsKey)).size).toBe(RULES.length);
    expect(ruleById('UNKNOWN')).toBeUndefined();
  });

  it("keeps each rule's defaults within its own declared ranges and actions", () => {
    const rules = Object.fromEntries(RULES.map((r) => [r.settingsKey, r.defaults]));
    expect(parseRuleConfig({ rules }).rules).toEqual(DEFAULT_RULES);
    for (const rule of RULES) {
      expect(rule.actions).toContain(rule.defaults.action);
      const own = Object.keys(rule.defaults).filter(
        (k) => !['enabled', 'severity', 'trustPenalty', 'action', 'terminateMessage'].includes(k),
      );
      expect(Object.keys(rule.parameters).sort(), rule.id).toEqual(own.sort());
    }
  });

  it('has the strings of every label, parameter and unit in every language', () => {
    const keys = RULE_METADATA.flatMap((r) => [
      r.label,
      r.description,
      ...r.parameters.flatMap((p) => [p.label, ...(p.kind === 'number' ? [`unit.${p.unit}`] : [])]),
    ]);
    keys.push(...SeverityValues.map((s) => `severity.${s}`));
    for (const [language, dictionary] of Object.entries({ en, zhHans, zhHant }))
      for (const key of keys) expect(dictionary, `${language}: ${key}`).toHaveProperty([key]);
  });
});
