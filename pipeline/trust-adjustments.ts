// Trust scores changed by hand: an admin adds or takes points, or resets a score to 100, always
// with a reason (kept in the trust history and shown on the profile). A config document every
// processor watches; each adjustment is applied once, at its time among the account's events, so
// a processor that rebuilds the state by replaying the events reaches the same score.
import { randomUUID } from 'node:crypto';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';

export interface TrustAdjustment {
  id: string;
  accountKey: string;
  /** ADJUST adds `points` (negative: takes them); RESET sets the score to 100. */
  kind: 'ADJUST' | 'RESET';
  points: number;
  at: number;
  by: string;
  reason: string;
}

const DOCUMENT = 'trust-adjustments';

export class TrustAdjustmentStore {
  constructor(private readonly documents: ConfigDocuments) {}

  async list(): Promise<TrustAdjustment[]> {
    return (await this.documents.get<{ adjustments: TrustAdjustment[] }>(DOCUMENT))?.body.adjustments ?? [];
  }

  async add(adjustment: Omit<TrustAdjustment, 'id' | 'at'>, at = Date.now()): Promise<TrustAdjustment> {
    const added = { ...adjustment, id: randomUUID(), at };
    await this.documents.update<{ adjustments: TrustAdjustment[] }>(DOCUMENT, adjustment.by, (body) => ({
      adjustments: [...(body?.adjustments ?? []), added],
    }));
    return added;
  }

  /** Calls `apply` with every adjustment now and whenever one is added (here or elsewhere). */
  watch(apply: (adjustments: TrustAdjustment[]) => void, onError: (err: Error) => void): Promise<() => void> {
    return this.documents.watch(DOCUMENT, () => this.list(), apply, onError);
  }
}
