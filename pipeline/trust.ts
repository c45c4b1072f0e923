// Trust score per account: 100 at first, each violation takes its rule's penalty off, each clean
// day gives a little back, a violation marked a false alarm gives its points back, an admin may
// adjust or reset it with a reason; always within 0..100. Every change is an event with its
// reason; change ids come from the account and the event time (or the mark, or the adjustment),
// so a replay yields the same changes.
import { createHash } from 'node:crypto';
import type { TrustScoreChange, Violation } from '../schemas/index.ts';
import type { AccountState } from './account-state.ts';
import type { FalseAlarmMarks } from './false-alarms.ts';
import type { TrustAdjustment } from './trust-adjustments.ts';

const DAY = 86_400_000;

function change(
  state: AccountState,
  at: number,
  next: number,
  fields: Pick<TrustScoreChange, 'reason' | 'violationId' | 'rule' | 'note'>,
  idPart: string,
): TrustScoreChange | null {
  const previous = state.trust.score;
  const score = Math.max(0, Math.min(100, Math.round(next)));
  if (score === previous) return null;
  state.trust.score = score;
  return {
    changeId: createHash('sha256')
      .update(`${state.accountKey}\u0000${fields.reason}\u0000${idPart}`)
      .digest('hex')
      .slice(0, 32),
    accountKey: state.accountKey,
    serverId: state.serverId,
    userId: state.userId,
    changedAt: at,
    previousScore: previous,
    newScore: score,
    delta: score - previous,
    ...fields,
  };
}

export function penalize(state: AccountState, v: Violation): TrustScoreChange | null {
  state.trust.lastViolationAt = v.detectedAt;
  state.trust.recoveredThrough = v.detectedAt;
  return change(
    state,
    v.detectedAt,
    state.trust.score - v.trustPenalty,
    { reason: 'VIOLATION', violationId: v.violationId, rule: v.rule, note: v.summary },
    v.violationId,
  );
}

/** Gives back `perDay` points for every full clean day since the last violation or recovery. */
export function recover(state: AccountState, at: number, perDay: number): TrustScoreChange | null {
  const days = Math.floor((at - state.trust.recoveredThrough) / DAY);
  if (days < 1) return null;
  state.trust.recoveredThrough += days * DAY;
  if (state.trust.score >= 100 || perDay <= 0) return null;
  return change(
    state,
    at,
    state.trust.score + days * perDay,
    { reason: 'RECOVERY', violationId: null, rule: null, note: `${days} clean day${days === 1 ? '' : 's'}` },
    String(state.trust.recoveredThrough),
  );
}

/**
 * Brings the account's score in line with the false-alarm marks: points given back for each new
 * mark of one of its violations, taken again for each mark withdrawn. `marks` may hold other
 * accounts' marks. Changes are dated by the mark (given back) or by `at` (taken again).
 */
export function settleFalseAlarms(
  state: AccountState,
  marks: FalseAlarmMarks,
  at: number,
  /** Only marks made by then (a replay applies each at its time among the events). */
  upTo = at,
): TrustScoreChange[] {
  const forgiven = (state.trust.forgiven ??= {});
  const changes: Array<TrustScoreChange | null> = [];
  for (const [violationId, mark] of Object.entries(marks)) {
    if (mark.accountKey !== state.accountKey || forgiven[violationId] || mark.markedAt > upTo) continue;
    const given = change(
      state,
      mark.markedAt,
      state.trust.score + mark.points,
      { reason: 'FALSE_ALARM', violationId, rule: mark.rule, note: `marked a false alarm by ${mark.markedBy}` },
      `${violationId}:${mark.markedAt}`,
    );
    // What was given back (a score near 100 takes less) is what a withdrawal takes again.
    forgiven[violationId] = { markedAt: mark.markedAt, points: given?.delta ?? 0, rule: mark.rule };
    changes.push(given);
  }
  for (const [violationId, was] of Object.entries(forgiven)) {
    if (marks[violationId]) continue;
    delete forgiven[violationId];
    changes.push(
      change(
        state,
        at,
        state.trust.score - was.points,
        { reason: 'FALSE_ALARM_WITHDRAWN', violationId, rule: was.rule, note: 'false-alarm mark withdrawn' },
        `${violationId}:${was.markedAt}`,
      ),
    );
  }
  return changes.filter((c): c is TrustScoreChange => c !== null);
}

/** Applies the account's adjustments by hand made by `upTo` and not applied yet, in time order. */
export function applyAdjustments(
  state: AccountState,
  adjustments: readonly TrustAdjustment[],
  upTo: number,
): TrustScoreChange[] {
  const applied = (state.trust.adjusted ??= []);
  const changes: TrustScoreChange[] = [];
  for (const a of adjustments) {
    if (a.accountKey !== state.accountKey || a.at > upTo || applied.includes(a.id)) continue;
    applied.push(a.id);
    const next = a.kind === 'RESET' ? 100 : state.trust.score + a.points;
    const made = change(
      state,
      a.at,
      next,
      { reason: a.kind === 'RESET' ? 'RESET' : 'MANUAL', violationId: null, rule: null, note: `${a.reason} (${a.by})` },
      a.id,
    );
    if (made) changes.push(made);
  }
  return changes;
}
