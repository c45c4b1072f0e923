// Every detection rule, in the order the detector runs them within a phase. The compiler checks
// that each rule id of the Avro contract has exactly one definition here.
import type { RuleId } from '../../schemas/index.ts';
import { concurrentStreams } from './concurrent-streams.ts';
import { deviceVelocity } from './device-velocity.ts';
import { geoRestriction } from './geo-restriction.ts';
import { impossibleTravel } from './impossible-travel.ts';
import { inactivity } from './inactivity.ts';
import { multiAccount } from './multi-account.ts';
import type { RuleDefinition, RulePhase } from './rule.ts';
import { secondHousehold } from './second-household.ts';
import { simultaneousLocations } from './simultaneous-locations.ts';

/** Every rule id but the contract's UNKNOWN (what a newer writer's unknown rule reads as). */
type DetectedRuleId = Exclude<RuleId, 'UNKNOWN'>;

// `satisfies`: a rule id without a definition, or a key that is no rule id, does not compile.
const REGISTRY = {
  IMPOSSIBLE_TRAVEL: impossibleTravel,
  SIMULTANEOUS_LOCATIONS: simultaneousLocations,
  GEO_RESTRICTION: geoRestriction,
  DEVICE_VELOCITY: deviceVelocity,
  CONCURRENT_STREAMS: concurrentStreams,
  ACCOUNT_INACTIVITY: inactivity,
  SECOND_HOUSEHOLD: secondHousehold,
  MULTI_ACCOUNT: multiAccount,
} satisfies Record<DetectedRuleId, { id: RuleId; settingsKey: string; runsOn: RulePhase }>;

type Defined = (typeof REGISTRY)[DetectedRuleId];

/** Each rule's settings under its key: { impossibleTravel: ImpossibleTravelSettings, ... }. */
export type RuleSettingsByKey = {
  [D in Defined as D['settingsKey']]: D['defaults'];
};

export const RULES: readonly RuleDefinition[] = Object.entries(REGISTRY).map(([id, rule]) => {
  if (rule.id !== id) throw new Error(`the rule registered as ${id} says it is ${rule.id}`);
  return rule as unknown as RuleDefinition;
});

/** The definition of a rule id; undefined for UNKNOWN. */
export function ruleById(id: RuleId): RuleDefinition | undefined {
  return id === 'UNKNOWN' ? undefined : (REGISTRY[id] as unknown as RuleDefinition);
}
