// Violations an admin marked a false alarm. The points each took are given back to the account's
// trust score, and taken again if the mark is withdrawn (the violation reopened or acknowledged).
// Marks are a config document, so every processor sees one within the poll interval; after a
// restart the processor re-applies them all to the replayed state, and since a change's id comes
// from the violation and the time of the mark, nothing is published twice.
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import { VersionConflictError } from '../warehouse/config-documents.ts';

interface FalseAlarmMark {
  accountKey: string;
  rule: string;
  /** Points the violation took off the score (0 when the score was already at 0). */
  points: number;
  markedAt: number;
  markedBy: string;
}

/** By violation id. */
export type FalseAlarmMarks = Record<string, FalseAlarmMark>;

const DOCUMENT = 'false-alarms';

export class FalseAlarmStore {
  constructor(private readonly documents: ConfigDocuments) {}

  async get(): Promise<FalseAlarmMarks> {
    return (await this.documents.get<{ marks: FalseAlarmMarks }>(DOCUMENT))?.body.marks ?? {};
  }

  /** Adds marks (a violation already marked keeps its first mark). */
  async mark(added: FalseAlarmMarks, by: string): Promise<void> {
    await this.edit(by, (marks) => {
      let changed = false;
      for (const [id, mark] of Object.entries(added))
        if (!marks[id]) {
          marks[id] = mark;
          changed = true;
        }
      return changed;
    });
  }

  async unmark(violationIds: readonly string[], by: string): Promise<void> {
    await this.edit(by, (marks) => violationIds.map((id) => delete marks[id]).some(Boolean));
  }

  /** Calls `apply` with the marks now and whenever they change (here or in another process). */
  async watch(apply: (marks: FalseAlarmMarks) => void, onError: (err: Error) => void): Promise<() => void> {
    apply(await this.get());
    return this.documents.onChange((name) => {
      if (name === DOCUMENT) this.get().then(apply, onError);
    });
  }

  /** Read, change, save against the version read: two admins marking at once both land. */
  private async edit(by: string, change: (marks: FalseAlarmMarks) => boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const doc = await this.documents.get<{ marks: FalseAlarmMarks }>(DOCUMENT);
      const marks = { ...(doc?.body.marks ?? {}) };
      if (!change(marks)) return;
      try {
        await this.documents.put(DOCUMENT, { marks }, by, doc?.version ?? 0);
        return;
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= 4) throw err;
      }
    }
  }
}
