// Violations an admin marked a false alarm. The points each took are given back to the account's
// trust score, and taken again if the mark is withdrawn (the violation reopened or acknowledged).
// Marks are a config document, so every processor sees one within the poll interval; after a
// restart the processor applies each at its time among the replayed events, and since a change's
// id comes from the violation and the time of the mark, nothing is published twice.
import type { ConfigDocuments } from '../warehouse/config-documents.ts';

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
  watch(apply: (marks: FalseAlarmMarks) => void, onError: (err: Error) => void): Promise<() => void> {
    return this.documents.watch(DOCUMENT, () => this.get(), apply, onError);
  }

  /** Changes a copy of the marks; saved when `change` says it changed something. */
  private edit(by: string, change: (marks: FalseAlarmMarks) => boolean): Promise<void> {
    return this.documents.update<{ marks: FalseAlarmMarks }>(DOCUMENT, by, (body) => {
      const marks = { ...body?.marks };
      return change(marks) ? { marks } : null;
    });
  }
}
