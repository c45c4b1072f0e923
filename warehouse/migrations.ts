// Numbered SQL migrations (warehouse/migrations/NNNN_description.sql), each applied once and
// recorded with its checksum in `schema_migrations`.
//
// ClickHouse has no transactional DDL, so every statement in a migration must be safe to run twice
// (IF NOT EXISTS, IF EXISTS, TRUNCATE before a rebuild, ...): a crash halfway through a file simply
// re-applies it. Rebuilding derived data is not safe to run twice *at once*, so the processes of
// the scale-out mode, which all start together, take turns: one holds a lease on the pending
// migrations while the others wait for it to record them. `{{database}}` in a file stands for the
// configured database.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/logger.ts';
import { identifier, type Warehouse } from './client.ts';
import { AppError } from '../core/errors.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: string[];
}

export class MigrationError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** Splits a file into statements at semicolons that end a line, ignoring comment-only lines. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const match = FILE.exec(file);
      if (!match) throw new MigrationError(`migration file ${file} must be named NNNN_lowercase_words.sql`);
      const sql = readFileSync(dir + file, 'utf8');
      return {
        version: Number(match[1]),
        name: match[2]!,
        file,
        checksum: createHash('sha256').update(sql).digest('hex'),
        statements: splitStatements(sql),
      };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new MigrationError(
        `two migrations share version ${migrations[i]!.version}: ${migrations[i - 1]!.file}, ${migrations[i]!.file}`,
      );
    }
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** How long a lease holds without its migrations being recorded before another process takes over. */
const LEASE_MS = 15 * 60_000;

interface Lease {
  attempt: number;
  holder: string;
  age_ms: number;
}

/** The newest claim on the lease for `version`, if any. */
async function latestLease(warehouse: Warehouse, version: number): Promise<Lease | undefined> {
  const result = await warehouse.client.query({
    query: `SELECT attempt, holder, toUInt64(dateDiff('millisecond', taken_at, now64(3))) AS age_ms
            FROM ${warehouse.table('schema_migration_leases')}
            WHERE version = {version:UInt32} ORDER BY attempt DESC LIMIT 1`,
    query_params: { version },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Lease>();
  return row ? { ...row, attempt: Number(row.attempt), age_ms: Number(row.age_ms) } : undefined;
}

/**
 * Takes the lease to apply migrations up to `version`, or says who holds it. Leases are rows
 * numbered per version; a row inserted with its number as deduplication token is stored only once,
 * so of two processes claiming the same number exactly one gets it, without a lock server.
 */
async function claimLease(
  warehouse: Warehouse,
  version: number,
  holder: string,
): Promise<{ mine: boolean; holder: string }> {
  const latest = await latestLease(warehouse, version);
  if (latest && latest.holder !== RELEASED && (latest.holder === holder || latest.age_ms < LEASE_MS))
    return { mine: latest.holder === holder, holder: latest.holder };
  await insertLease(warehouse, version, latest ? latest.attempt + 1 : 0, holder);
  const won = await latestLease(warehouse, version);
  return { mine: won?.holder === holder, holder: won?.holder ?? holder };
}

const RELEASED = '';

async function insertLease(warehouse: Warehouse, version: number, attempt: number, holder: string): Promise<void> {
  // The token in the statement's own SETTINGS: the embedded engine's adapter applies
  // clickhouse_settings with SET, which would leave it on the connection for later inserts.
  await warehouse.client.command({
    query: `INSERT INTO ${warehouse.table('schema_migration_leases')} (version, attempt, holder)
      SETTINGS insert_deduplicate = 1, insert_deduplication_token = {token:String}
      SELECT {version:UInt32}, {attempt:UInt32}, {holder:String}`,
    query_params: { version, attempt, holder, token: `lease-${version}-${attempt}` },
  });
}

/** Gives the lease up, done or failed: whoever starts next may claim it at once. */
async function releaseLease(warehouse: Warehouse, version: number): Promise<void> {
  await insertLease(warehouse, version, ((await latestLease(warehouse, version))?.attempt ?? 0) + 1, RELEASED);
}

/** Applies the migrations not yet recorded, in order; returns the versions it applied. */
export async function migrate(warehouse: Warehouse, logger: Logger, dir = MIGRATIONS_DIR): Promise<number[]> {
  const log = logger.child({ component: 'migrations' });
  const migrations = loadMigrations(dir);
  const ledger = warehouse.table('schema_migrations');
  await warehouse.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${warehouse.table('schema_migration_leases')} (
      version UInt32 COMMENT 'Newest migration the holder is applying',
      attempt UInt32 COMMENT 'Number of the claim: a lease that ran out is claimed again with the next one',
      holder String COMMENT 'Process that holds the lease; empty once given up',
      taken_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY (version, attempt)
    SETTINGS non_replicated_deduplication_window = 1000
    COMMENT 'Which process applies the pending migrations (warehouse/migrations.ts)'`,
  });
  await warehouse.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${ledger} (
      version UInt32 COMMENT 'Number of the migration file',
      name String COMMENT 'Description part of the file name',
      checksum String COMMENT 'SHA-256 of the file as applied',
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When it was applied'
    ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version
    COMMENT 'Warehouse migrations applied to this database (warehouse/migrations/*.sql)'`,
  });
  const holder = randomUUID();
  for (let waited = 0; ; waited++) {
    const pending = await pendingMigrations(warehouse, migrations, ledger);
    if (pending.length === 0) return [];
    const lease = await claimLease(warehouse, pending.at(-1)!.version, holder);
    if (lease.mine) {
      try {
        return await applyMigrations(warehouse, pending, ledger, log);
      } finally {
        // After a failure, whoever starts next (this process once the file is fixed) may try at once.
        await releaseLease(warehouse, pending.at(-1)!.version).catch(() => undefined);
      }
    }
    if (waited % 30 === 0) log.info({ holder: lease.holder }, 'another process is applying migrations; waiting');
    await sleep(1000);
  }
}

async function pendingMigrations(warehouse: Warehouse, migrations: Migration[], ledger: string): Promise<Migration[]> {
  const result = await warehouse.client.query({
    query: `SELECT version, name, checksum FROM ${ledger} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const applied = new Map((await result.json<AppliedRow>()).map((row) => [Number(row.version), row]));
  for (const [version, row] of applied) {
    const file = migrations.find((m) => m.version === version);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the warehouse, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`,
      );
    }
  }

  return migrations.filter((m) => !applied.has(m.version));
}

async function applyMigrations(
  warehouse: Warehouse,
  pending: Migration[],
  ledger: string,
  log: Logger,
): Promise<number[]> {
  const done: number[] = [];
  const database = identifier(warehouse.database);
  for (const migration of pending) {
    log.info({ migration: migration.file, statements: migration.statements.length }, 'applying migration');
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await warehouse.client.command({ query: statement.replaceAll('{{database}}', database) });
      } catch (err) {
        throw new MigrationError(`migration ${migration.file}, statement ${index + 1}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await warehouse.client.insert({
      table: ledger,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    done.push(migration.version);
  }
  if (done.length > 0) log.info({ applied: done }, 'warehouse migrations applied');
  return done;
}
