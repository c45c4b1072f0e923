// Trust changed by hand, by account: violations marked false alarms (false-alarms.ts) and
// adjustments (trust-adjustments.ts). Each applies at its time among the account's events, so a
// replay reaches the score an uninterrupted run has.
import type { TrustScoreChange } from '../schemas/index.ts';
import type { AccountState } from './account-state.ts';
import type { FalseAlarmMarks } from './false-alarms.ts';
import type { TrustAdjustment } from './trust-adjustments.ts';
import { applyAdjustments, settleFalseAlarms } from './trust.ts';

const NOTHING: TrustScoreChange[] = [];

export class ChangesByHand {
  private readonly marks = new Map<string, FalseAlarmMarks>();
  private readonly adjustments = new Map<string, TrustAdjustment[]>();

  setMarks(marks: FalseAlarmMarks): void {
    this.marks.clear();
    for (const [id, mark] of Object.entries(marks)) {
      let own = this.marks.get(mark.accountKey);
      if (!own) this.marks.set(mark.accountKey, (own = {}));
      own[id] = mark;
    }
  }

  setAdjustments(adjustments: readonly TrustAdjustment[]): void {
    this.adjustments.clear();
    for (const a of [...adjustments].sort((x, y) => x.at - y.at)) {
      let own = this.adjustments.get(a.accountKey);
      if (!own) this.adjustments.set(a.accountKey, (own = []));
      own.push(a);
    }
  }

  /** The account's score given back or taken again for the marks as they are now. */
  settleMarks(state: AccountState, now: number): TrustScoreChange[] {
    return settleFalseAlarms(state, this.marks.get(state.accountKey) ?? {}, now);
  }

  /** The account's adjustments due by `now` and not applied yet, applied. */
  applyAdjustments(state: AccountState, now: number): TrustScoreChange[] {
    return applyAdjustments(state, this.adjustments.get(state.accountKey) ?? [], now);
  }

  /** The account's trust changes by hand due by `upTo` and not applied yet, applied. */
  due(state: AccountState, upTo: number): TrustScoreChange[] {
    const marks = this.marks.get(state.accountKey);
    const adjustments = this.adjustments.get(state.accountKey);
    if (!marks && !adjustments) return NOTHING;
    return [
      ...(marks ? settleFalseAlarms(state, marks, upTo) : []),
      ...(adjustments ? applyAdjustments(state, adjustments, upTo) : []),
    ];
  }
}
