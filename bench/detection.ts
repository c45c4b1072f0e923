// How right detection is on a labelled fleet: the events go through the processor's detection
// (state per account, the rules of the registry, trust) in the order they reach it, and every
// account's verdict is compared with its label. An account counts as flagged by a rule when the
// rule raised at least one violation on it; the combined verdict is a trust score that fell below
// a threshold. Precision = flagged shared / flagged; recall = flagged shared / shared; false
// alarms are flagged legitimate accounts per 1,000 legitimate accounts per 30 days.
import type { GeoLocation } from '../core/geoip.ts';
import type { NetworkLookup } from '../core/networks.ts';
import type { AccountState } from '../pipeline/account-state.ts';
import { Detector } from '../pipeline/detector.ts';
import { DEFAULT_RULES, type RuleSettings } from '../pipeline/rules/settings.ts';
import type { PlaybackEvent, RuleId } from '../schemas/index.ts';
import type { LabelledFleet } from '../testing/labelled-fleet.ts';

export interface Score {
  flagged: number;
  truePositives: number;
  precision: number;
  recall: number;
  falseAlarmsPer1000: number;
}

export interface DetectionResult {
  byRule: Partial<Record<RuleId, Score>>;
  /** By trust threshold: flagged when the score fell below it at any time. */
  combined: Record<number, Score>;
  /** The false alarms by the kind of legitimate account, for the combined verdict at 70. */
  falseAlarmsByKind: Record<string, number>;
  /** The shared accounts missed, by kind, for the combined verdict at 70. */
  missedByKind: Record<string, number>;
  events: number;
}

/**
 * Tracearr v2's published defaults, as the baseline: impossible travel above 500 km/h,
 * simultaneous locations 100 km apart, 5 addresses in 24 h, more than 3 streams, no exemptions, and
 * none of its own rules (the second household).
 */
export const TRACEARR_DEFAULTS: RuleSettings = {
  ...DEFAULT_RULES,
  impossibleTravel: { ...DEFAULT_RULES.impossibleTravel, maxSpeedKmh: 500, minDistanceKm: 0 },
  simultaneousLocations: { ...DEFAULT_RULES.simultaneousLocations, minDistanceKm: 100 },
  deviceVelocity: { ...DEFAULT_RULES.deviceVelocity, maxIps: 5, maxDevices: 1000, windowMs: 24 * 3_600_000 },
  concurrentStreams: { ...DEFAULT_RULES.concurrentStreams, maxStreams: 3 },
  // Tracearr has no such rule.
  secondHousehold: { ...DEFAULT_RULES.secondHousehold, enabled: false },
  exemptions: { trustedCidrs: [], trustedDeviceIds: [] },
};

export const TRUST_THRESHOLDS = [90, 80, 70, 50];

function placeOf(e: PlaybackEvent): GeoLocation | null {
  const l = e.location;
  return l
    ? {
        countryCode: l.countryCode,
        region: l.region,
        city: l.city,
        latitude: l.latitude,
        longitude: l.longitude,
        accuracyRadiusKm: l.accuracyRadiusKm,
      }
    : null;
}

function score(flagged: Set<string>, shared: Set<string>, legitimate: number, days: number): Score {
  const truePositives = [...flagged].filter((a) => shared.has(a)).length;
  const falseAlarms = flagged.size - truePositives;
  return {
    flagged: flagged.size,
    truePositives,
    precision: flagged.size ? truePositives / flagged.size : 1,
    recall: shared.size ? truePositives / shared.size : 1,
    falseAlarmsPer1000: legitimate ? ((falseAlarms / legitimate) * 1000 * 30) / days : 0,
  };
}

/**
 * `networks` given: the product as it runs. `baseline`: no network data and no model of devices
 * and households, every pair of places compared, as monitors without one do.
 */
export function measureDetection(
  fleet: LabelledFleet,
  settings: RuleSettings,
  networks?: NetworkLookup,
  baseline = false,
): DetectionResult {
  const detector = new Detector(settings, baseline ? undefined : networks, { devices: !baseline });
  const states = new Map<string, AccountState>();
  const flaggedBy = new Map<RuleId, Set<string>>();
  const lowest = new Map<string, number>();
  for (const event of fleet.events) {
    let state = states.get(event.accountKey);
    if (!state) states.set(event.accountKey, (state = Detector.stateFor(event)));
    const { violations } = detector.observe(state, event, placeOf(event));
    for (const v of violations) flaggedBy.set(v.rule, (flaggedBy.get(v.rule) ?? new Set()).add(v.accountKey));
    lowest.set(event.accountKey, Math.min(lowest.get(event.accountKey) ?? 100, state.trust.score));
  }
  const shared = new Set(fleet.accounts.filter((a) => a.shared).map((a) => a.accountKey));
  const legitimate = fleet.accounts.length - shared.size;
  const byRule: DetectionResult['byRule'] = {};
  for (const [rule, flagged] of flaggedBy) byRule[rule] = score(flagged, shared, legitimate, fleet.days);
  const combined: DetectionResult['combined'] = {};
  const below = (t: number) => new Set([...lowest].filter(([, s]) => s < t).map(([a]) => a));
  for (const t of TRUST_THRESHOLDS) combined[t] = score(below(t), shared, legitimate, fleet.days);
  const verdict = below(70);
  const falseAlarmsByKind: Record<string, number> = {};
  const missedByKind: Record<string, number> = {};
  for (const a of fleet.accounts) {
    if (!a.shared && verdict.has(a.accountKey)) falseAlarmsByKind[a.kind] = (falseAlarmsByKind[a.kind] ?? 0) + 1;
    if (a.shared && !verdict.has(a.accountKey)) missedByKind[a.kind] = (missedByKind[a.kind] ?? 0) + 1;
  }
  return { byRule, combined, falseAlarmsByKind, missedByKind, events: fleet.events.length };
}
