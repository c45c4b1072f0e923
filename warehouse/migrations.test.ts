import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { identifier, type Warehouse } from './client.ts';
import { MigrationError, loadMigrations, migrate, splitStatements, MIGRATIONS_DIR } from './migrations.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
});
afterAll(async () => {
  await warehouse?.drop();
});

function migrationsDir(files: Record<string, string>): string {
  const dir = `${mkdtempSync(join(tmpdir(), 'sw-migrations-'))}/`;
  for (const [name, sql] of Object.entries(files)) writeFileSync(dir + name, sql);
  return dir;
}

async function tables(w: Warehouse): Promise<string[]> {
  const result = await w.client.query({
    query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
    query_params: { db: w.database },
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string }>()).map((r) => r.name);
}

const first = `-- plays
CREATE TABLE IF NOT EXISTS {{database}}.plays (id UInt64, title String) ENGINE = MergeTree ORDER BY id;
INSERT INTO {{database}}.plays VALUES (1, 'a;b');
`;
const second = `CREATE TABLE IF NOT EXISTS {{database}}.users (id UInt64) ENGINE = MergeTree ORDER BY id;\n`;

describe('warehouse migrations on the real engine', () => {
  it('applies numbered files in order, once each, and records them', async () => {
    const dir = migrationsDir({ '0002_users.sql': second, '0001_plays.sql': first });
    expect(await migrate(warehouse, logger, dir)).toEqual([1, 2]);
    expect(await tables(warehouse)).toEqual(['plays', 'schema_migration_leases', 'schema_migrations', 'users']);
    const rows = await warehouse.client.query({
      query: `SELECT title FROM ${warehouse.table('plays')}`,
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([{ title: 'a;b' }]);

    expect(await migrate(warehouse, logger, dir)).toEqual([]);
    const again = await warehouse.client.query({
      query: `SELECT count() AS n FROM ${warehouse.table('plays')}`,
      format: 'JSONEachRow',
    });
    expect(await again.json()).toEqual([{ n: '1' }]);

    writeFileSync(`${dir}0003_more.sql`, `ALTER TABLE {{database}}.users ADD COLUMN IF NOT EXISTS name String;\n`);
    expect(await migrate(warehouse, logger, dir)).toEqual([3]);
    const ledger = await warehouse.client.query({
      query: `SELECT version, name FROM ${warehouse.table('schema_migrations')} FINAL ORDER BY version`,
      format: 'JSONEachRow',
    });
    expect(await ledger.json()).toEqual([
      { version: 1, name: 'plays' },
      { version: 2, name: 'users' },
      { version: 3, name: 'more' },
    ]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = migrationsDir({ '0001_plays.sql': first, '0002_users.sql': `${second}-- edited\n` });
    await expect(migrate(warehouse, logger, dir)).rejects.toThrow(/0002_users.sql was edited after it was applied/);
  });

  it('names the failing file and statement, records nothing, and applies it once fixed', async () => {
    const broken =
      'CREATE TABLE IF NOT EXISTS {{database}}.ok (id UInt64) ENGINE = MergeTree ORDER BY id;\nCREATE TABLE {{database}}.bad (id UInt64) ENGINE = NoSuchEngine;\n';
    const dir = migrationsDir({
      '0001_plays.sql': first,
      '0002_users.sql': second,
      '0003_more.sql': `ALTER TABLE {{database}}.users ADD COLUMN IF NOT EXISTS name String;\n`,
      '0004_broken.sql': broken,
    });
    const error = await migrate(warehouse, logger, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/^migration 0004_broken.sql, statement 2: .*NoSuchEngine/s);
    writeFileSync(`${dir}0004_broken.sql`, broken.replace('NoSuchEngine', 'MergeTree ORDER BY id'));
    expect(await migrate(warehouse, logger, dir)).toEqual([4]);
    expect(await tables(warehouse)).toContain('bad');
  });

  it('rejects badly named or duplicate-numbered files', () => {
    expect(() => loadMigrations(migrationsDir({ '1_x.sql': first }))).toThrow(/NNNN_lowercase_words.sql/);
    expect(() => loadMigrations(migrationsDir({ '0001_a.sql': first, '0001_b.sql': second }))).toThrow(
      /share version 1/,
    );
  });

  it("applies the product's own migrations to a fresh database", async () => {
    const fresh = await openTestWarehouse();
    const own = loadMigrations(MIGRATIONS_DIR);
    expect(await migrate(fresh, logger)).toEqual(own.map((m) => m.version));
    expect(await migrate(fresh, logger)).toEqual([]);
    // The lease's deduplication token is the insert's own: the embedded engine's adapter applies
    // per-query settings with SET, which stayed on the connection and deduplicated later inserts.
    const left = await fresh.client.query({
      query: "SELECT getSetting('insert_deduplication_token') AS token, getSetting('insert_deduplicate') AS on",
      format: 'JSONEachRow',
    });
    expect(await left.json()).toEqual([{ token: '', on: true }]);
    await fresh.drop();
  });

  it('lets exactly one of two processes starting together apply the migrations (the lease)', async () => {
    const fresh = await openTestWarehouse();
    const own = loadMigrations(MIGRATIONS_DIR).map((m) => m.version);
    const applied = await Promise.all([migrate(fresh, logger), migrate(fresh, logger)]);
    expect(applied.map((a) => a.length).sort((x, y) => x - y)).toEqual([0, own.length]);
    await fresh.drop();
  });

  it('keeps the ledger of a database to itself', async () => {
    const ledger = await warehouse.client.query({
      query: `SELECT max(version) AS v FROM ${warehouse.table('schema_migrations')} FINAL`,
      format: 'JSONEachRow',
    });
    expect(await ledger.json()).toEqual([{ v: 4 }]);
  });
});

describe('SQL helpers', () => {
  it('splits statements only at a semicolon that ends a line and drops comment lines', () => {
    expect(splitStatements("-- c\nSELECT 'a;b';\nSELECT 2;\n\n-- end")).toEqual(["SELECT 'a;b'", 'SELECT 2']);
  });

  it('accepts only plain identifiers for spliced names', () => {
    expect(identifier('streamwarden')).toBe('`streamwarden`');
    expect(() => identifier('x`; DROP DATABASE y; --')).toThrow(/not a valid ClickHouse identifier/);
  });
});
