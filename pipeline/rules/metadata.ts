// The rules as the dashboard's form and API clients see them: no code, only what describes them.
import type { RuleId } from '../../schemas/index.ts';
import { RULES } from './registry.ts';
import { ruleLabel, type RuleAction, type RuleParameter, type RulePhase } from './rule.ts';

/** What the dashboard's form needs of each rule: its label, when it runs, its actions and settings. */
export interface RuleMetadata {
  id: RuleId;
  settingsKey: string;
  /** i18n key of the rule's name. */
  label: string;
  /** i18n key of what it detects and what does not count ("ruleHelp.<ID>"). */
  description: string;
  runsOn: RulePhase;
  actions: readonly RuleAction[];
  /** Each own setting with its i18n key ("ruleParam.<key>"), unit and range. */
  parameters: Array<RuleParameter & { key: string; label: string }>;
}

export const RULE_METADATA: RuleMetadata[] = RULES.map((rule) => ({
  id: rule.id,
  settingsKey: rule.settingsKey,
  label: ruleLabel(rule.id),
  description: `ruleHelp.${rule.id}`,
  runsOn: rule.runsOn,
  actions: rule.actions,
  parameters: Object.entries(rule.parameters as Record<string, RuleParameter>).map(([key, parameter]) => ({
    key,
    label: `ruleParam.${key}`,
    ...parameter,
  })),
}));
