// Parameters of the detection rules: defaults (from each rule's definition), and per-account
// overrides and exemptions.
import { BlockList, isIP } from 'node:net';
import type { RuleId } from '../../schemas/index.ts';
import { RULES, ruleById, type RuleSettingsByKey } from './registry.ts';
import type { RuleBase } from './rule.ts';
import { AppError } from '../../core/errors.ts';

/** Every rule's settings under its key, and the settings that belong to no single rule. */
export type RuleSettings = RuleSettingsByKey & {
  trust: { recoveryPerCleanDay: number };
  /** Observations from these ranges or devices are never held against the account. */
  exemptions: { trustedCidrs: string[]; trustedDeviceIds: string[] };
};

export const DEFAULT_RULES: RuleSettings = {
  ...(Object.fromEntries(RULES.map((rule) => [rule.settingsKey, rule.defaults])) as RuleSettingsByKey),
  trust: { recoveryPerCleanDay: 2 },
  exemptions: { trustedCidrs: [], trustedDeviceIds: [] },
};

/** The settings of one rule, by the id its violations carry (undefined for UNKNOWN). */
export function settingsOfRule(settings: RuleSettings, id: RuleId): RuleBase | undefined {
  const key = ruleById(id)?.settingsKey;
  return key ? (settings as unknown as Record<string, RuleBase>)[key] : undefined;
}

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};
export type RuleOverrides = DeepPartial<RuleSettings>;

function merge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (!patch) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      current &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      typeof value === 'object' &&
      !Array.isArray(value)
        ? merge(current, value as never)
        : value;
  }
  return out as T;
}

/** Global settings, then the account's overrides (its exemptions add to the global ones). */
export function settingsFor(global: RuleSettings, accountOverrides: RuleOverrides | undefined): RuleSettings {
  const merged = merge(global, accountOverrides);
  merged.exemptions = {
    trustedCidrs: [...global.exemptions.trustedCidrs, ...(accountOverrides?.exemptions?.trustedCidrs ?? [])],
    trustedDeviceIds: [
      ...global.exemptions.trustedDeviceIds,
      ...(accountOverrides?.exemptions?.trustedDeviceIds ?? []),
    ],
  };
  return merged;
}

/** Membership test for trusted ranges ("203.0.113.0/24", "2001:db8::/32", or single addresses). */
export function trustedRanges(cidrs: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new AppError('invalid', `not an IP range: ${JSON.stringify(cidr)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return (ip) => {
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
}
