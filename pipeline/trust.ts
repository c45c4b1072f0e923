// Trust score per account: 100 at first, each violation takes its rule's penalty off, each clean
// day gives a little back, always within 0..100. Every change is an event with its reason; change
// ids come from the account and the event time, so a replay yields the same changes.
import { createHash } from 'node:crypto';
import type { TrustScoreChange, Violation } from '../schemas/index.ts';
import type { AccountState } from './account-state.ts';

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
