// What a detection rule is: one definition per rule, read by the detector (when it runs and what
// it finds), the rules file and API validation (which settings exist, their ranges, the allowed
// actions) and the dashboard's form (labels, units). Adding a rule is one file plus its strings.
import type { RuleId, Severity, Violation, ViolationEvidence } from '../../schemas/index.ts';
import type { AccountState, Observation } from '../account-state.ts';
import type { Reason } from './innocence.ts';

export type RuleAction = 'notify' | 'terminate';

/** The settings every rule has. */
export interface RuleBase {
  enabled: boolean;
  severity: Severity;
  /** Points the rule takes off the account's trust score. */
  trustPenalty: number;
  /** What happens besides the alert: `terminate` stops the offending streams. */
  action: RuleAction;
  /** Shown to the viewer when the action stops a stream (empty: the install's default message). */
  terminateMessage: string;
}

/**
 * When a rule runs, in the detector's order:
 * - `arrival`: on each observation from an untrusted place, before it is recorded;
 * - `recorded`: after the observation's address and device are recorded (untrusted only);
 * - `streams`: whenever the account's set of playing sessions changes, stops included;
 * - `schedule`: on the processor's periodic check, with no observation;
 * - `fleet`: over every account at once, from the warehouse, on a periodic check of its own
 *   (pipeline/multi-account.ts); the detector never runs it, and it takes no trust points, since
 *   its finding is about several accounts and none of them alone did it.
 */
export type RulePhase = 'arrival' | 'recorded' | 'streams' | 'schedule' | 'fleet';

export interface RuleContext {
  state: AccountState;
  at: number;
  /** The observation this evaluation follows; null on a schedule. */
  now: Observation | null;
  /** Observations from trusted ranges or devices never count against the account. */
  trusted: (o: Observation) => boolean;
  /** The observation's place is no evidence: its device's address wanders (carrier NAT, VPN). */
  wandering?: (o: Observation) => boolean;
  /** The two observations' devices were seen at one place: two members of one household (places.ts). */
  household?: (a: Observation, b: Observation) => boolean;
}

/** What the lines on innocence need of the install's other settings. */
interface InnocenceContext {
  /** Two devices seen at one place within this long are one household's (secondHousehold.windowMs). */
  householdWindowMs: number;
}

/** How the form shows a numeric setting, and the range the API accepts. */
interface NumberParameter {
  kind: 'number';
  /** Stored value / scale = shown value (windowMs shown in hours: scale 3 600 000). */
  scale?: number;
  unit: 'km' | 'km/h' | 'h' | 'days' | 'count' | 'points';
  /** Bounds of the stored value. */
  min: number;
  max: number;
  integer?: boolean;
}

/** A list of ISO 3166-1 alpha-2 country codes. */
interface CountriesParameter {
  kind: 'countries';
}

export type RuleParameter = NumberParameter | CountriesParameter;

export interface RuleDefinition<K extends string = string, S extends RuleBase = RuleBase> {
  id: RuleId;
  /** Its settings' key in the rules document ("impossibleTravel"). */
  settingsKey: K;
  runsOn: RulePhase;
  defaults: S;
  /** Actions it may take: a rule with no stream to stop only notifies. */
  actions: readonly RuleAction[];
  /** Every setting besides the common ones, described for validation and the form. */
  parameters: { [P in Exclude<keyof S, keyof RuleBase>]-?: RuleParameter };
  /** What the detector runs; a `fleet` rule has none (it is not about one account's state). */
  evaluate?(context: RuleContext, settings: S): Violation[];
  /**
   * What would have made the violation innocent, one plain line each (evidence.innocentIf): the
   * thresholds it crossed, and what an admin can check or change. Evidence locations carry their
   * networks by then.
   */
  innocentIf(evidence: ViolationEvidence, settings: S, install?: InnocenceContext): Reason[];
}

/** Keeps each rule's own settings type (the registry derives RuleSettings from them). */
export function defineRule<K extends string, S extends RuleBase>(rule: RuleDefinition<K, S>): RuleDefinition<K, S> {
  return rule;
}

/** The common settings' defaults: enabled, notify only. */
export const notifyOnly = { enabled: true, action: 'notify', terminateMessage: '' } as const;

/** Label of a rule (i18n key of the dashboard). */
export const ruleLabel = (id: RuleId) => `rule.${id}` as const;
