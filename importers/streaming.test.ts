// Big histories are read as streams: the process keeps answering while a backup is read, and
// temporary upload files do not outlive their import.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { createJellystatBackup, generatePlays } from '../testing/import-fixtures.ts';
import { readJellystatBackup } from './jellystat.ts';
import { newSourceRows } from './play.ts';
import { removeStaleUploadDirs } from './upload-files.ts';

/** Reads every play while counting event-loop turns: a reader that parses the file in one go turns it zero times. */
async function readCountingTurns(path: string): Promise<{ plays: number; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  let plays = 0;
  const start = turns;
  for await (const play of readJellystatBackup(path).plays('jf', newSourceRows())) if (play) plays++;
  running = false;
  return { plays, turns: turns - start };
}

describe('Jellystat backups are streamed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-stream-'));
  const list = generatePlays(30_000, 50);

  it.each(['json', 'jsonl'] as const)(
    'reads a %s backup of 30,000 plays in chunks, letting the event loop run between them',
    async (format) => {
      const path = join(dir, `backup.${format}`);
      createJellystatBackup(path, list, format);
      const { plays, turns } = await readCountingTurns(path);
      expect(plays).toBe(list.length);
      // Some 20 MB in 256 KiB chunks: dozens of turns; the whole-file parse gave none.
      expect(turns).toBeGreaterThan(20);
    },
  );
});

describe('temporary upload files', () => {
  it('removes the folders of processes that are gone, and only those', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sw-uploads-root-'));
    const dead = join(root, 'sw-import-4194301-abc123');
    const mine = join(root, `sw-import-${process.pid}-def456`);
    const parent = join(root, `sw-import-${process.ppid}-ghi789`);
    const other = join(root, 'something-else');
    for (const folder of [dead, mine, parent, other]) mkdirSync(folder);
    expect(await removeStaleUploadDirs(createLogger('test'), root)).toBe(1);
    expect([dead, mine, parent, other].map(existsSync)).toEqual([false, true, true, true]);
  });
});
