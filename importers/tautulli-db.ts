// Tautulli's history from its SQLite database file (tautulli.db): session_history joined with
// session_history_metadata and session_history_media_info (same id), user names from users.
// Tautulli stores times in seconds, durations in milliseconds (metadata) or seconds (pauses).
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { ImportFormatError, type ImportedPlay } from './play.ts';
import { tautulliPlay, type TautulliRow } from './tautulli-row.ts';

const REQUIRED = ['session_history', 'session_history_metadata', 'session_history_media_info', 'users'];

type Row = Record<string, string | number | null>;

/** `name` is how errors refer to the file (its uploaded name, not a temporary path). */
export function openTautulliDatabase(
  path: string,
  name = path,
): { total: number; plays(serverId: string): Generator<ImportedPlay>; close(): void } {
  if (!existsSync(path)) throw new ImportFormatError(`no such file: ${name}`);
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  readSync(fd, header, 0, 16, 0);
  closeSync(fd);
  if (header.toString('latin1') !== 'SQLite format 3\0')
    throw new ImportFormatError(`${name} is not a SQLite database (Tautulli's is tautulli.db in its data folder)`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => String(r.name)),
    );
    const missing = REQUIRED.filter((t) => !tables.has(t));
    if (missing.length)
      throw new ImportFormatError(
        `${name} is not a Tautulli database: table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`,
      );
  } catch (err) {
    if (err instanceof ImportFormatError) throw err;
    throw new ImportFormatError(`${name} cannot be read as a SQLite database: ${(err as Error).message}`);
  }
  const total = Number(
    (
      db
        .prepare('SELECT count(*) AS n FROM session_history WHERE stopped IS NOT NULL AND started IS NOT NULL')
        .get() as Row
    ).n,
  );
  function* plays(serverId: string): Generator<ImportedPlay> {
    // Columns are chosen by name and optional ones read through the row, so databases of older
    // Tautulli versions (fewer columns) import too.
    const rows = db.prepare(
      `SELECT i.*, h.*, m.title AS title, m.parent_title, m.grandparent_title, m.media_index, m.parent_media_index, m.year, m.duration AS duration,
              coalesce(u.friendly_name, u.username, h.user) AS friendly_name, h.id AS id
       FROM session_history h
       LEFT JOIN session_history_metadata m ON m.id = h.id
       LEFT JOIN session_history_media_info i ON i.id = h.id
       LEFT JOIN users u ON u.user_id = h.user_id
       WHERE h.stopped IS NOT NULL AND h.started IS NOT NULL
       ORDER BY h.id`,
    );
    for (const r of rows.iterate() as Iterable<TautulliRow>) {
      const play = tautulliPlay(r, serverId);
      if (play) yield play;
    }
  }
  return { total, plays, close: () => db.close() };
}
