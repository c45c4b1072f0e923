// Tautulli's history from its SQLite database file (tautulli.db): session_history joined with
// session_history_metadata and session_history_media_info (same id), user names from users.
// Rows are grouped into plays as Tautulli's own history groups them (datafactory.py): by
// reference_id, which links a resumed session to the row it resumed; rows whose reference_id is 0
// or NULL stand alone. Tautulli stores times in seconds, durations in milliseconds (metadata) or
// seconds (pauses).
import { DatabaseSync } from 'node:sqlite';
import { checkSqliteFile, countUnreadable, ImportFormatError, type ImportedPlay, type SourceRows } from './play.ts';
import { tautulliPlay, type TautulliRow } from './tautulli-row.ts';

const REQUIRED = ['session_history', 'session_history_metadata', 'session_history_media_info', 'users'];

type Row = Record<string, string | number | null>;

/** `name` is how errors refer to the file (its uploaded name, not a temporary path). */
export function openTautulliDatabase(
  path: string,
  name = path,
): { total: number; plays(serverId: string, rows: SourceRows): Generator<ImportedPlay>; close(): void } {
  checkSqliteFile(path, name, "Tautulli's is tautulli.db in its data folder");
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
  const columns = new Set((db.prepare('PRAGMA table_info(session_history)').all() as Row[]).map((r) => String(r.name)));
  // Databases from before reference_id existed: every row its own play.
  const group = columns.has('reference_id')
    ? 'CASE WHEN reference_id IS NULL OR reference_id = 0 THEN -id ELSE reference_id END'
    : '-id';
  const plays = `SELECT ${group} AS play_key, MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS group_count,
                        MIN(started) AS play_started, MAX(stopped) AS play_stopped,
                        SUM(stopped - started) - SUM(coalesce(paused_counter, 0)) AS played_seconds,
                        SUM(coalesce(paused_counter, 0)) AS paused_seconds
                 FROM session_history WHERE stopped IS NOT NULL AND started IS NOT NULL GROUP BY play_key`;
  const total = Number((db.prepare(`SELECT count(*) AS n FROM (${plays})`).get() as Row).n);
  const incomplete = Number(
    (db.prepare('SELECT count(*) AS n FROM session_history WHERE stopped IS NULL OR started IS NULL').get() as Row).n,
  );
  function* read(serverId: string, rows: SourceRows): Generator<ImportedPlay> {
    countUnreadable(rows, 'no-times', incomplete);
    rows.read += incomplete;
    // Columns are chosen by name and optional ones read through the row, so databases of older
    // Tautulli versions (fewer columns) import too. A play's details are its last row's.
    const list = db.prepare(
      `SELECT i.*, h.*, m.*, m.title AS title, m.duration AS duration,
              coalesce(nullif(trim(u.friendly_name), ''), u.username, h.user) AS friendly_name,
              g.first_id AS id, g.group_count, g.play_started AS started, g.play_stopped AS stopped,
              g.played_seconds, g.paused_seconds AS paused_counter, h.media_type AS media_type, h.rating_key AS rating_key
       FROM (${plays}) g
       JOIN session_history h ON h.id = g.last_id
       LEFT JOIN session_history_metadata m ON m.id = h.id
       LEFT JOIN session_history_media_info i ON i.id = h.id
       LEFT JOIN users u ON u.user_id = h.user_id
       ORDER BY g.first_id`,
    );
    for (const r of list.iterate() as Iterable<TautulliRow>) {
      const inGroup = Number(r.group_count ?? 1);
      rows.read += inGroup;
      rows.grouped += inGroup - 1;
      const play = tautulliPlay(r, serverId, { mediaLength: true });
      if (play) yield play;
      else countUnreadable(rows, 'no-times', inGroup);
    }
  }
  return { total, plays: read, close: () => db.close() };
}
