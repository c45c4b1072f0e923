// `npm run backup` and `npm run restore`: the install as one archive, and back (same environment
// variables as `npm start`). With the embedded ClickHouse, stop Streamwarden first (or download a
// backup from the dashboard, Settings > Backup, while it runs).
//   npm run backup -- [--out <file>] [--config-only] [--with-key]
//   npm run restore -- <file>
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { secretKeyFile, storedSecretKey } from '../core/secret-box.ts';
import { AppError } from '../core/errors.ts';
import { checkBackup, restoreBackup, writeBackup } from '../warehouse/backup.ts';
import { openCliWarehouse } from './cli-warehouse.ts';

const command = process.argv[2];
const args = process.argv.slice(3);

function usage(message?: string): never {
  if (message) console.error(`${command ?? 'backup'}: ${message}\n`);
  console.error(
    'usage: npm run backup -- [--out <file>] [--config-only] [--with-key]\n       npm run restore -- <file>',
  );
  process.exit(2);
}

const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function backup(): Promise<void> {
  const out = option('--out') ?? `streamwarden-backup-${new Date().toISOString().slice(0, 10)}.jsonl.gz`;
  if (existsSync(out)) usage(`${out} exists: name another file with --out`);
  const { warehouse, config } = await openCliWarehouse('backup', usage, 'or download a backup from the dashboard');
  try {
    const secretKey = flag('--with-key') ? storedSecretKey(config.dataDir) : undefined;
    const summary = await writeBackup(warehouse, createWriteStream(out, { mode: 0o600 }), {
      history: !flag('--config-only'),
      secretKey,
    });
    const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
    console.log(
      `backup written to ${out}: ${total.toLocaleString('en-US')} rows of ${summary.header.tables.length} tables.`,
    );
    console.log(
      secretKey
        ? 'WARNING: it holds the secret key: whoever has the file can open the media-server tokens. Keep it safe.'
        : 'The secret key is not in it: keep data/secret.key (or STREAMWARDEN_SECRET_KEY), which opens the media-server tokens.',
    );
  } finally {
    await warehouse.close();
  }
}

async function restore(): Promise<void> {
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) usage('name the backup file to restore');
  if (!existsSync(file)) usage(`${file} does not exist`);
  // Checked before the warehouse is even opened: a bad archive changes nothing.
  const { header } = await checkBackup(file);
  const { warehouse, config, logger } = await openCliWarehouse('restore', usage);
  try {
    const summary = await restoreBackup(warehouse, file, logger);
    const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
    console.log(
      `restored ${total.toLocaleString('en-US')} rows into ${warehouse.description} (backup of ${header.createdAt}).`,
    );
    const keyFile = secretKeyFile(config.dataDir);
    const onDisk = storedSecretKey(config.dataDir, undefined);
    if (header.secretKey && !process.env.STREAMWARDEN_SECRET_KEY && warehouse.kind === 'embedded') {
      if (onDisk !== undefined && onDisk !== header.secretKey)
        console.error(`WARNING: ${keyFile} differs from the key in the backup; the backup's key was not written.`);
      else writeFileSync(keyFile, header.secretKey, { mode: 0o600 });
    } else if (!header.secretKey) {
      console.log(
        "The backup holds no secret key: put the old install's data/secret.key in place (or set STREAMWARDEN_SECRET_KEY) before starting, or re-enter the media-server tokens.",
      );
    }
  } finally {
    await warehouse.close();
  }
}

async function main(): Promise<void> {
  try {
    if (command === 'backup') await backup();
    else if (command === 'restore') await restore();
    else usage();
  } catch (err) {
    if (err instanceof AppError && (err.kind === 'invalid' || err.kind === 'conflict')) {
      console.error(`${command}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

void main();
