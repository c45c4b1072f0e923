// Committed offsets of the embedded bus's consumer groups: one JSON file per group, replaced
// atomically (write to a temporary file, fsync, rename) so a crash leaves the old or the new
// commit, never half of one.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

type GroupOffsets = Record<string, Record<string, number>>;

export class OffsetStore {
  private readonly groups = new Map<string, GroupOffsets>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Live-feed groups were committed to disk by versions before ephemeral groups existed, three
    // files per API start that nothing ever read again.
    for (const file of readdirSync(dir)) if (file.startsWith('api-live-')) rmSync(join(dir, file), { force: true });
  }

  get(groupId: string, topic: string, partition: number): number | undefined {
    return this.load(groupId)[topic]?.[String(partition)];
  }

  all(groupId: string, topic: string): Map<number, number> {
    return new Map(Object.entries(this.load(groupId)[topic] ?? {}).map(([p, o]) => [Number(p), o]));
  }

  commit(groupId: string, topic: string, partition: number, nextOffset: number): void {
    const offsets = this.load(groupId);
    (offsets[topic] ??= {})[String(partition)] = nextOffset;
    const path = this.pathOf(groupId);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(offsets));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  /** Forgets a group (one that will not come back, e.g. a stopped API's live feed). */
  remove(groupId: string): void {
    this.groups.delete(groupId);
    rmSync(this.pathOf(groupId), { force: true });
  }

  private load(groupId: string): GroupOffsets {
    let offsets = this.groups.get(groupId);
    if (!offsets) {
      const path = this.pathOf(groupId);
      offsets = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as GroupOffsets) : {};
      this.groups.set(groupId, offsets);
    }
    return offsets;
  }

  private pathOf(groupId: string): string {
    return join(this.dir, `${encodeURIComponent(groupId)}.json`);
  }
}
