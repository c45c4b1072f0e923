// Parameters of the detection rules: defaults, and per-account overrides and exemptions.
import { BlockList, isIP } from 'node:net';
import type { Severity } from '../../schemas/index.ts';
import { AppError } from '../../core/errors.ts';

export interface RuleBase {
  enabled: boolean;
  severity: Severity;
  /** Points the rule takes off the account's trust score. */
  trustPenalty: number;
  /** What happens besides the alert: `terminate` stops the offending streams. */
  action: 'notify' | 'terminate';
  /** Shown to the viewer when the action stops a stream (empty: the install's default message). */
  terminateMessage: string;
}

export interface RuleSettings {
  impossibleTravel: RuleBase & { maxSpeedKmh: number; minDistanceKm: number };
  simultaneousLocations: RuleBase & { minDistanceKm: number };
  deviceVelocity: RuleBase & { windowMs: number; maxIps: number; maxDevices: number };
  concurrentStreams: RuleBase & { maxStreams: number };
  geoRestriction: RuleBase & { denyCountries: string[]; allowCountries: string[] };
  inactivity: RuleBase & { inactiveDays: number };
  trust: { recoveryPerCleanDay: number };
  /** Observations from these ranges or devices are never held against the account. */
  exemptions: { trustedCidrs: string[]; trustedDeviceIds: string[] };
}

const HOUR = 3_600_000;

/** The settings of each rule id the violations carry. */
export const RULE_SETTINGS_KEY = {
  IMPOSSIBLE_TRAVEL: 'impossibleTravel',
  SIMULTANEOUS_LOCATIONS: 'simultaneousLocations',
  DEVICE_VELOCITY: 'deviceVelocity',
  CONCURRENT_STREAMS: 'concurrentStreams',
  GEO_RESTRICTION: 'geoRestriction',
  ACCOUNT_INACTIVITY: 'inactivity',
} as const satisfies Record<string, keyof RuleSettings>;

export const DEFAULT_RULES: RuleSettings = {
  impossibleTravel: {
    enabled: true,
    severity: 'HIGH',
    trustPenalty: 20,
    action: 'notify',
    terminateMessage: '',
    maxSpeedKmh: 1000,
    minDistanceKm: 50,
  },
  simultaneousLocations: {
    enabled: true,
    severity: 'HIGH',
    trustPenalty: 15,
    action: 'notify',
    terminateMessage: '',
    minDistanceKm: 100,
  },
  deviceVelocity: {
    enabled: true,
    severity: 'MEDIUM',
    trustPenalty: 10,
    action: 'notify',
    terminateMessage: '',
    windowMs: 24 * HOUR,
    maxIps: 5,
    maxDevices: 5,
  },
  concurrentStreams: {
    enabled: true,
    severity: 'LOW',
    trustPenalty: 5,
    action: 'notify',
    terminateMessage: '',
    maxStreams: 3,
  },
  geoRestriction: {
    enabled: true,
    severity: 'HIGH',
    trustPenalty: 25,
    action: 'notify',
    terminateMessage: '',
    denyCountries: [],
    allowCountries: [],
  },
  inactivity: {
    enabled: true,
    severity: 'LOW',
    trustPenalty: 0,
    action: 'notify',
    terminateMessage: '',
    inactiveDays: 90,
  },
  trust: { recoveryPerCleanDay: 2 },
  exemptions: { trustedCidrs: [], trustedDeviceIds: [] },
};

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
