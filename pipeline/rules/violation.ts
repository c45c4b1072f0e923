import { createHash } from 'node:crypto';
import type { EvidenceLocation, RuleId, Violation, ViolationEvidence } from '../../schemas/index.ts';
import type { AccountState, Observation } from '../account-state.ts';
import type { RuleBase } from './rule.ts';

/** Same rule, account and evidence -> same id: reprocessing the same events never doubles a violation. */
function violationId(rule: RuleId, accountKey: string, parts: Array<string | number>): string {
  return createHash('sha256')
    .update([rule, accountKey, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

export function evidenceLocation(o: Observation): EvidenceLocation {
  return {
    sessionKey: o.sessionKey,
    observedAt: o.at,
    ip: o.ip,
    city: o.geo?.city ?? null,
    region: o.geo?.region ?? null,
    countryCode: o.geo?.countryCode ?? null,
    latitude: o.geo?.latitude ?? null,
    longitude: o.geo?.longitude ?? null,
    accuracyRadiusKm: o.geo?.accuracyRadiusKm ?? null,
    deviceId: o.deviceId,
    deviceName: o.deviceName,
    // Filled in by the detector (network data), only for the violations it raises.
    asn: null,
    network: null,
    networkType: null,
    // Filled in on a person's finding (person-stage.ts), whose sessions are on several accounts.
    serverId: null,
    accountKey: null,
  };
}

export function placeName(o: Observation): string {
  return o.geo?.city ?? o.geo?.region ?? o.geo?.countryCode ?? o.ip;
}

export const km = (n: number) => `${Math.round(n).toLocaleString('en-US')} km`;

export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 90 ? `${minutes} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Evidence with nothing in it: what a rule leaves out stays empty. */
export const EMPTY_EVIDENCE: ViolationEvidence = {
  locations: [],
  distanceKm: null,
  elapsedMs: null,
  speedKmh: null,
  count: null,
  limit: null,
  windowMs: null,
  ips: [],
  deviceIds: [],
  countryCode: null,
  lastActivityAt: null,
  innocentIf: [],
  innocentReasons: [],
};

export function violation(
  rule: RuleId,
  settings: RuleBase,
  state: AccountState,
  fields: {
    detectedAt: number;
    sessionKeys: string[];
    summary: string;
    idParts: Array<string | number>;
    evidence: Partial<ViolationEvidence>;
  },
): Violation {
  return {
    violationId: violationId(rule, state.accountKey, fields.idParts),
    rule,
    severity: settings.severity,
    accountKey: state.accountKey,
    serverId: state.serverId,
    userId: state.userId,
    userName: state.userName,
    detectedAt: fields.detectedAt,
    sessionKeys: [...new Set(fields.sessionKeys)],
    trustPenalty: settings.trustPenalty,
    personId: null,
    summary: fields.summary,
    evidence: { ...EMPTY_EVIDENCE, ...fields.evidence },
  };
}
