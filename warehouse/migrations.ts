// Numbered SQL migrations (warehouse/migrations/NNNN_description.sql), each applied once and
// recorded with its checksum in `schema_migrations`.
//
// ClickHouse has no transactional DDL and no lock to take, so every statement in a migration must
// be safe to run twice (IF NOT EXISTS, IF EXISTS, ...): a crash halfway through a file, or two
// processes starting at once in the scale-out mode, then simply re-apply it. `{{database}}` in a
// file stands for the configured database.
import { createHash } from 'node:crypto';
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

/** Applies the migrations not yet recorded, in order; returns the versions it applied. */
export async function migrate(warehouse: Warehouse, logger: Logger, dir = MIGRATIONS_DIR): Promise<number[]> {
  const log = logger.child({ component: 'migrations' });
  const ledger = warehouse.table('schema_migrations');
  await warehouse.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${ledger} (
      version UInt32 COMMENT 'Number of the migration file',
      name String COMMENT 'Description part of the file name',
      checksum String COMMENT 'SHA-256 of the file as applied',
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When it was applied'
    ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version
    COMMENT 'Warehouse migrations applied to this database (warehouse/migrations/*.sql)'`,
  });
  const result = await warehouse.client.query({
    query: `SELECT version, name, checksum FROM ${ledger} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const applied = new Map((await result.json<AppliedRow>()).map((row) => [Number(row.version), row]));

  const migrations = loadMigrations(dir);
  for (const [version, row] of applied) {
    const file = migrations.find((m) => m.version === version);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the warehouse, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`,
      );
    }
  }

  const done: number[] = [];
  const database = identifier(warehouse.database);
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
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
