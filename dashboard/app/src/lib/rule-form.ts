// How the rules' settings read in a form, from the rules' own definitions (GET /api/v1/rules):
// shared by the install's rules (Settings > Rules) and one account's overrides (its profile).
import { t, type MessageKey } from './i18n/index.svelte.ts';
import type { RuleMetadata } from './types.ts';

type Parameter = RuleMetadata['parameters'][number];

const OTHER_LABELS: Record<string, MessageKey> = {
  trust: 'settings.trust',
  exemptions: 'settings.exemptions',
  recoveryPerCleanDay: 'settings.recoveryPerCleanDay',
  trustedCidrs: 'settings.trustedCidrs',
  trustedDeviceIds: 'settings.trustedDeviceIds',
  trustPenalty: 'settings.trustPenalty',
  terminateMessage: 'settings.ruleMessage',
};

export function ruleForm(definitions: RuleMetadata[]) {
  const definition = (group: string) => definitions.find((d) => d.settingsKey === group);
  const parameterOf = (group: string, key: string): Parameter | undefined =>
    definition(group)?.parameters.find((p) => p.key === key);
  return {
    definition,
    parameterOf,
    groupLabel(group: string): string {
      const rule = definition(group);
      return rule ? t(rule.label as MessageKey) : OTHER_LABELS[group] ? t(OTHER_LABELS[group]) : group;
    },
    fieldLabel(group: string, key: string): string {
      const parameter = parameterOf(group, key);
      if (parameter) {
        const unit =
          parameter.kind === 'number' && parameter.unit !== 'count' ? ` (${t(`unit.${parameter.unit}`)})` : '';
        return t(parameter.label as MessageKey) + unit;
      }
      return OTHER_LABELS[key] ? t(OTHER_LABELS[key]) : key;
    },
    /** Stored value per shown unit (a window kept in ms, shown in hours). */
    scaleOf(group: string, key: string): number {
      const parameter = parameterOf(group, key);
      return parameter?.kind === 'number' ? (parameter.scale ?? 1) : 1;
    },
    bounds(group: string, key: string): { min: number; max: number | undefined; step: number | 'any' } {
      const parameter = parameterOf(group, key);
      if (parameter?.kind !== 'number') return { min: 0, max: key === 'trustPenalty' ? 100 : undefined, step: 'any' };
      const scale = parameter.scale ?? 1;
      return { min: parameter.min / scale, max: parameter.max / scale, step: parameter.integer ? 1 : 'any' };
    },
    actionsOf: (group: string): readonly string[] => definition(group)?.actions ?? ['notify'],
  };
}

export const listText = (value: unknown) => (value as string[]).join(', ');

export const parseList = (text: string, upper: boolean) =>
  text
    .split(',')
    .map((s) => (upper ? s.trim().toUpperCase() : s.trim()))
    .filter(Boolean);
