// `npm run import` as a user runs it: a real process on a Tautulli database, saying how many of the
// source's rows became how many plays, and why they differ.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTautulliHistory } from '../testing/tautulli-history.ts';

const run = promisify(execFile);

describe('the import command', () => {
  it('imports a Tautulli database and accounts for every source row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-import-cli-'));
    const db = join(dir, 'tautulli.db');
    const history = createTautulliHistory(db);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'runtime/import-cli.ts', 'tautulli-db', db, '--server', 'plex-home'],
      { env: { ...process.env, STREAMWARDEN_DATA_DIR: join(dir, 'data'), KAFKA_BROKERS: '', CLICKHOUSE_URL: '' } },
    );
    const grouped = history.sessions - history.plays.length;
    expect(stdout).toContain(
      `${history.sessions} source rows became ${history.plays.length} plays; ${grouped} resumed sessions joined the play they continue, as the source tool counts them. ${history.plays.length} plays added, 0 already there.`,
    );
  }, 120_000);
});
