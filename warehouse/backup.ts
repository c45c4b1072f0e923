// Backup and restore of an install as one portable archive: gzip'd JSON lines, a header (format,
// schema version, what is inside), then every row of every table that is not derived from another
// (materialized-view targets such as sessions and the rollups are rebuilt by ClickHouse from the
// rows they come from), then an end line with the row counts. Portable rather than ClickHouse's
// BACKUP: that needs a backup disk configured on the server, and this works the same embedded and
// against any ClickHouse. A restore reads the whole archive first and refuses a truncated, foreign
// or newer one before it writes anything, and only into an empty install.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Warehouse } from './client.ts';
import { loadMigrations, migrate } from './migrations.ts';
import { rows } from './queries/filters.ts';

const BACKUP_FORMAT = 'streamwarden-backup';
const FORMAT_VERSION = 1;
/** What makes an install what it is, without its history. */
const CONFIGURATION_TABLES = ['config_documents', 'admin_users', 'api_tokens'];
/** Bookkeeping that belongs to one bus or one process, never carried to another install. */
const NOT_CARRIED = new Set(['schema_migrations', 'schema_migration_leases', 'sink_offsets', 'auth_sessions']);
const BATCH_ROWS = 10_000;

interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  /** Newest migration of the install that wrote it. */
  schema: number;
  createdAt: string;
  history: boolean;
  tables: string[];
  /** The install's secret key, only when asked for: it opens the sealed media-server tokens. */
  secretKey?: string;
}

export interface BackupSummary {
  header: BackupHeader;
  rows: Record<string, number>;
}

/** The tables a backup carries: configuration first, then (with history) every table not derived from another. */
async function tablesToCarry(w: Warehouse, history: boolean): Promise<string[]> {
  const tables = await rows<{ name: string; engine: string; create_table_query: string }>(
    w,
    'SELECT name, engine, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name',
    { db: w.database },
  );
  const derived = new Set(
    tables
      .filter((t) => t.engine === 'MaterializedView')
      .map((t) => / TO [`"]?[^\s.`"]+[`"]?\.[`"]?([^\s`"(]+)/.exec(t.create_table_query)?.[1])
      .filter((t): t is string => Boolean(t)),
  );
  const base = tables
    .filter(
      (t) => t.engine !== 'MaterializedView' && t.engine !== 'View' && !derived.has(t.name) && !NOT_CARRIED.has(t.name),
    )
    .map((t) => t.name);
  const rest = base.filter((t) => !CONFIGURATION_TABLES.includes(t));
  return [...CONFIGURATION_TABLES.filter((t) => base.includes(t)), ...(history ? rest : [])];
}

async function schemaVersion(w: Warehouse): Promise<number> {
  const [row] = await rows<{ v: number }>(w, `SELECT max(version) AS v FROM ${w.table('schema_migrations')}`, {});
  return Number(row?.v ?? 0);
}

/** Writes the archive to `out` (gzip'd), table by table and partition by partition, so memory stays bounded. */
export async function writeBackup(
  w: Warehouse,
  out: Writable,
  options: { history: boolean; secretKey?: string },
): Promise<BackupSummary> {
  const gzip = createGzip();
  const done = pipeline(gzip, out);
  const write = async (value: unknown) => {
    if (!gzip.write(`${JSON.stringify(value)}\n`)) await once(gzip, 'drain');
  };
  const tables = await tablesToCarry(w, options.history);
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    version: FORMAT_VERSION,
    schema: await schemaVersion(w),
    createdAt: new Date().toISOString(),
    history: options.history,
    tables,
    ...(options.secretKey ? { secretKey: options.secretKey } : {}),
  };
  await write(header);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    counts[table] = 0;
    const partitions = await rows<{ p: string }>(
      w,
      `SELECT DISTINCT _partition_id AS p FROM ${w.table(table)} ORDER BY p`,
      {},
    );
    for (const { p } of partitions) {
      const result = await w.client.query({
        query: `SELECT * FROM ${w.table(table)} WHERE _partition_id = {p:String}`,
        query_params: { p },
        format: 'JSONEachRow',
      });
      for await (const chunk of result.stream()) {
        for (const row of chunk) {
          await write({ t: table, r: JSON.parse(row.text) as unknown });
          counts[table]++;
        }
      }
    }
  }
  await write({ end: true, rows: counts });
  gzip.end();
  await done;
  return { header, rows: counts };
}

/** Every line of an archive, parsed; a damaged or cut archive throws a clear error. */
async function* lines(file: string): AsyncGenerator<Record<string, unknown>> {
  const gunzip = createGunzip();
  const source = createReadStream(file);
  const failed = new PassThrough();
  let error: Error | undefined;
  source.on('error', (err) => (error = err));
  gunzip.on('error', (err) => {
    error = err;
    failed.end();
  });
  source.pipe(gunzip).pipe(failed);
  const reader = createInterface({ input: failed, crlfDelay: Infinity });
  let number = 0;
  for await (const line of reader) {
    number++;
    if (!line) continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new AppError('invalid', `${file} is damaged: line ${number} is not a record of a Streamwarden backup.`);
    }
  }
  if (error)
    throw new AppError(
      'invalid',
      `${file} is damaged or cut short (${(error as { code?: string }).code ?? error.message}): it cannot be restored.`,
    );
}

/** Reads the whole archive and checks it: ours, complete, every count right, a schema this version knows. */
export async function checkBackup(file: string): Promise<BackupSummary> {
  const known = Math.max(...loadMigrations().map((m) => m.version));
  let header: BackupHeader | undefined;
  const counted: Record<string, number> = {};
  let end: Record<string, number> | undefined;
  try {
    for await (const line of lines(file)) {
      if (!header) {
        if (line.format !== BACKUP_FORMAT)
          throw new AppError(
            'invalid',
            `${file} is not a Streamwarden backup (its first line is not a backup header).`,
          );
        header = line as unknown as BackupHeader;
        if (header.schema > known)
          throw new AppError(
            'invalid',
            `${file} was made by a newer Streamwarden (warehouse schema ${header.schema}; this version knows up to ${known}): upgrade Streamwarden, then restore.`,
          );
        continue;
      }
      if (end) throw new AppError('invalid', `${file} has records after its end: it is not one backup.`);
      if (line.end === true) end = line.rows as Record<string, number>;
      else if (typeof line.t === 'string' && header.tables.includes(line.t))
        counted[line.t] = (counted[line.t] ?? 0) + 1;
      else throw new AppError('invalid', `${file} holds a record of a table it did not announce.`);
    }
  } catch (err) {
    // gzip's own complaint about a file that is not gzip at all.
    if (!(err instanceof AppError))
      throw new AppError('invalid', `${file} is not a Streamwarden backup: ${(err as Error).message}`);
    throw err;
  }
  if (!header) throw new AppError('invalid', `${file} is empty: it is not a Streamwarden backup.`);
  if (!end) throw new AppError('invalid', `${file} is cut short (no end record): it cannot be restored.`);
  for (const table of header.tables)
    if ((counted[table] ?? 0) !== (end[table] ?? 0))
      throw new AppError(
        'invalid',
        `${file} is incomplete: ${table} has ${counted[table] ?? 0} of its ${end[table]} rows.`,
      );
  return { header, rows: end };
}

/** Restores a checked archive into an empty install (migrated to this version first). */
export async function restoreBackup(w: Warehouse, file: string, logger: Logger): Promise<BackupSummary> {
  const summary = await checkBackup(file);
  await migrate(w, logger);
  for (const table of ['admin_users', 'config_documents', 'playback_events']) {
    const [row] = await rows<{ n: string }>(w, `SELECT count() AS n FROM ${w.table(table)}`, {});
    if (Number(row?.n) > 0)
      throw new AppError(
        'conflict',
        `The target install is not empty (${table} has rows): restore into a fresh data folder or an empty ClickHouse database.`,
      );
  }
  const batches = new Map<string, unknown[]>();
  const flush = async (table: string) => {
    const values = batches.get(table);
    if (!values?.length) return;
    batches.set(table, []);
    // Columns a later version dropped are skipped; columns it added take their defaults.
    await w.client.insert({
      table: w.table(table),
      values,
      format: 'JSONEachRow',
      clickhouse_settings: { input_format_skip_unknown_fields: 1 },
    });
  };
  let first = true;
  for await (const line of lines(file)) {
    if (first || line.end === true) {
      first = false;
      continue;
    }
    const table = line.t as string;
    const batch = batches.get(table) ?? [];
    batch.push(line.r);
    batches.set(table, batch);
    if (batch.length >= BATCH_ROWS) await flush(table);
  }
  for (const table of summary.header.tables) await flush(table);
  // The restored rows filled the sink's offsets through its views, but they were offsets of the
  // old install's bus: left in place, the new sink would skip its first records as seen.
  await w.client.command({ query: `TRUNCATE TABLE IF EXISTS ${w.table('sink_offsets')}` });
  return summary;
}
