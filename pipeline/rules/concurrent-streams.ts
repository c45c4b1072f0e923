// More streams at once than the account may have.
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { evidenceLocation, violation } from './violation.ts';
import { reason } from './innocence.ts';

export interface ConcurrentStreamsSettings extends RuleBase {
  maxStreams: number;
}

/** Fires when crossing the limit; a stop that brings the account back under re-arms it. */
export const concurrentStreams = defineRule<'concurrentStreams', ConcurrentStreamsSettings>({
  id: 'CONCURRENT_STREAMS',
  settingsKey: 'concurrentStreams',
  runsOn: 'streams',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'LOW', trustPenalty: 5, maxStreams: 3 },
  parameters: { maxStreams: { kind: 'number', unit: 'count', min: 1, max: 100, integer: true } },
  evaluate({ state, at, trusted }, s) {
    const streams = Object.values(state.active).filter((o) => !trusted(o));
    const over = s.enabled && streams.length > s.maxStreams;
    const crossed = over && !state.over.concurrentStreams;
    state.over.concurrentStreams = over;
    if (!crossed) return [];
    const keys = streams.map((o) => o.sessionKey).sort();
    return [
      violation('CONCURRENT_STREAMS', s, state, {
        detectedAt: at,
        sessionKeys: keys,
        summary: `${streams.length} streams at once (limit ${s.maxStreams})`,
        idParts: keys,
        evidence: {
          locations: streams.map(evidenceLocation),
          count: streams.length,
          limit: s.maxStreams,
          ips: [...new Set(streams.map((o) => o.ip))].sort(),
          deviceIds: [...new Set(streams.map((o) => o.deviceId))].sort(),
        },
      }),
    ];
  },
  innocentIf(e) {
    const ips = new Set(e.locations.map((l) => l.ip));
    return [
      reason(
        'concurrent.limit',
        `Innocent if this account may play ${e.count ?? 0} streams at once: raise its limit on the account`,
        { count: e.count ?? 0 },
      ),
      ...(ips.size === 1
        ? [
            reason(
              'concurrent.oneAddress',
              'Every stream came from one address: one household watching on several screens',
            ),
          ]
        : []),
    ];
  },
});
