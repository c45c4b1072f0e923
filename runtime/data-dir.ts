// The data folder holds the install's secrets (secret.key, the embedded ClickHouse with password
// hashes and sealed tokens, the message log): nobody but the account running Streamwarden may read
// it. Everything this process creates is private (umask 077: folders 0700, files 0600, chdb's
// included), and a folder an earlier version created world-readable is closed on start.
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import type { Logger } from '../core/logger.ts';

export function preparePrivateDataDir(dir: string, logger: Logger): void {
  process.umask(0o077);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(dir, 0o700);
    logger.info({ dataDir: dir, was: mode.toString(8) }, 'data folder was readable by others: now 0700');
  }
}
