// Temporary files of uploaded histories: one folder per upload under the system's temporary
// folder, named after the process that owns it, removed when its import ends or fails, and
// removed at start when the process that made it is gone (a crash or kill mid-import).
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { isProcessAlive } from '../core/processes.ts';

const PREFIX = 'sw-import-';

export function newUploadDir(root = tmpdir()): Promise<string> {
  return mkdtemp(join(root, `${PREFIX}${process.pid}-`));
}

/** Removes upload folders whose process no longer runs; returns how many. */
export async function removeStaleUploadDirs(logger: Logger, root = tmpdir()): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(root).catch(() => [])) {
    const pid = Number(/^sw-import-(\d+)-/.exec(entry)?.[1]);
    if (!pid || pid === process.pid || isProcessAlive(pid)) continue;
    await rm(join(root, entry), { recursive: true, force: true });
    removed++;
  }
  if (removed) logger.info({ removed, folder: root }, 'removed temporary files of interrupted imports');
  return removed;
}

/** Bytes free for uploads, or undefined when the system does not say. */
export async function freeUploadBytes(root = tmpdir()): Promise<number | undefined> {
  // No figure (an unusual file system): the upload goes on, bounded by the size limit alone.
  const stats = await statfs(root).catch(() => undefined);
  return stats ? stats.bavail * stats.bsize : undefined;
}
