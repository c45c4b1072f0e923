// One device, or one home broadband address within the same hour, used by several accounts: these
// accounts are probably one household or one person. Not about any one account's state, so the
// detector does not run it: pipeline/multi-account.ts reads the shared use from the warehouse
// and calls `multiAccountFindings`.
import type { EvidenceLocation, Violation } from '../../schemas/index.ts';
import { newAccountState } from '../account-state.ts';
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { violation } from './violation.ts';
import { explained, reason } from './innocence.ts';

const HOUR = 3_600_000;

export interface MultiAccountSettings extends RuleBase {
  /** How far back shared use is looked for. */
  windowMs: number;
}

export const multiAccount = defineRule<'multiAccount', MultiAccountSettings>({
  id: 'MULTI_ACCOUNT',
  settingsKey: 'multiAccount',
  runsOn: 'fleet',
  // Several accounts sharing a device is no stream to stop.
  actions: ['notify'],
  defaults: { ...notifyOnly, severity: 'LOW', trustPenalty: 0, windowMs: 24 * HOUR },
  parameters: { windowMs: { kind: 'number', scale: HOUR, unit: 'h', min: HOUR, max: 30 * 24 * HOUR } },
  innocentIf(e) {
    return [
      reason(
        'multi.link',
        'Innocent if these accounts are one household or one person: link them on the People page, and their findings across accounts are judged together',
      ),
      ...(e.deviceIds.length > 0
        ? [
            reason(
              'multi.trustDevice',
              'A device shared on purpose (a family TV, a friend’s console): add its id to the trusted devices and it is never counted',
            ),
          ]
        : []),
    ];
  },
});

const NOWHERE: EvidenceLocation = {
  sessionKey: '',
  observedAt: 0,
  ip: '',
  city: null,
  region: null,
  countryCode: null,
  latitude: null,
  longitude: null,
  accuracyRadiusKm: null,
  deviceId: null,
  deviceName: null,
  asn: null,
  network: null,
  networkType: null,
  serverId: null,
  accountKey: null,
};

/** What several accounts shared (warehouse/queries/people-links.ts, `SharedUse`). */
export interface SharedUseEvidence {
  kind: 'device' | 'address';
  id: string;
  /** "one device, Living Room TV (dev-1), played for each". */
  description: string;
  accountKeys: string[];
  lastAt: number;
}

/**
 * One finding per group of accounts and thing shared, identified by both (not by time): the same
 * accounts on the same device are one finding however long they keep sharing it. The first
 * account (in key order) carries it.
 */
export function multiAccountFindings(
  shared: readonly SharedUseEvidence[],
  s: MultiAccountSettings,
  account: (accountKey: string) => { serverId: string; userId: string; userName: string },
): Violation[] {
  if (!s.enabled) return [];
  return shared.map((use) => {
    const accounts = [...use.accountKeys].sort();
    const first = account(accounts[0]!);
    const state = newAccountState(accounts[0]!, first.serverId, first.userId, first.userName, use.lastAt);
    const names = accounts.map((a) => account(a).userName || a);
    const found = violation('MULTI_ACCOUNT', s, state, {
      detectedAt: use.lastAt,
      sessionKeys: [],
      summary: `${accounts.length} accounts (${names.join(', ')}): ${use.description}`,
      idParts: [use.kind, use.id, ...accounts],
      evidence: {
        // One line per account, naming it and its server: no place, since the point is what they share.
        locations: accounts.map((accountKey) => ({
          ...NOWHERE,
          observedAt: use.lastAt,
          ip: use.kind === 'address' ? use.id : '',
          deviceId: use.kind === 'device' ? use.id : null,
          serverId: account(accountKey).serverId,
          accountKey,
        })),
        count: accounts.length,
        windowMs: s.windowMs,
        deviceIds: use.kind === 'device' ? [use.id] : [],
        ips: use.kind === 'address' ? [use.id] : [],
      },
    });
    return { ...found, evidence: { ...found.evidence, ...explained(multiAccount.innocentIf(found.evidence, s)) } };
  });
}
