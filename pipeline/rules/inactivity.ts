// No playback for too long (checked on a schedule, not on events).
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { violation } from './violation.ts';
import { reason } from './innocence.ts';

const DAY = 86_400_000;

export interface InactivitySettings extends RuleBase {
  inactiveDays: number;
}

export const inactivity = defineRule<'inactivity', InactivitySettings>({
  id: 'ACCOUNT_INACTIVITY',
  settingsKey: 'inactivity',
  runsOn: 'schedule',
  // An inactive account has no stream to stop.
  actions: ['notify'],
  defaults: { ...notifyOnly, severity: 'LOW', trustPenalty: 0, inactiveDays: 90 },
  parameters: { inactiveDays: { kind: 'number', unit: 'days', min: 1, max: 3650, integer: true } },
  evaluate({ state, at }, s) {
    if (!s.enabled || at - state.lastActivityAt < s.inactiveDays * DAY) return [];
    const days = Math.floor((at - state.lastActivityAt) / DAY);
    return [
      violation('ACCOUNT_INACTIVITY', s, state, {
        detectedAt: at,
        sessionKeys: [],
        summary: `No playback for ${days} days (limit ${s.inactiveDays})`,
        idParts: [state.lastActivityAt],
        evidence: { count: days, limit: s.inactiveDays, lastActivityAt: state.lastActivityAt },
      }),
    ];
  },
  innocentIf(e) {
    return [
      reason('inactivity.played', `Innocent had the account played within ${e.limit ?? 0} days`, {
        days: e.limit ?? 0,
      }),
    ];
  },
});
