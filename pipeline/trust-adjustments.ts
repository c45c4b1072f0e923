// Trust scores changed by hand: an admin adds or takes points, or resets a score to 100, always
// with a reason (kept in the trust history and shown on the profile). A config document every
// processor watches; each adjustment is applied once, at its time among the account's events, so
// a processor that rebuilds the state by replaying the events reaches the same score.
import { randomUUID } from 'node:crypto';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import { VersionConflictError } from '../warehouse/config-documents.ts';

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
    // Read, append, save against the version read: two admins at once both land.
    for (let attempt = 0; ; attempt++) {
      const doc = await this.documents.get<{ adjustments: TrustAdjustment[] }>(DOCUMENT);
      try {
        await this.documents.put(
          DOCUMENT,
          { adjustments: [...(doc?.body.adjustments ?? []), added] },
          adjustment.by,
          doc?.version ?? 0,
        );
        return added;
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= 4) throw err;
      }
    }
  }

  /** Calls `apply` with every adjustment now and whenever one is added (here or elsewhere). */
  async watch(apply: (adjustments: TrustAdjustment[]) => void, onError: (err: Error) => void): Promise<() => void> {
    apply(await this.list());
    return this.documents.onChange((name) => {
      if (name === DOCUMENT) this.list().then(apply, onError);
    });
  }
}
