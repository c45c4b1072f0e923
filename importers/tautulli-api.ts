// Tautulli's history through its API v2 (`get_history`), page by page, oldest first. Used when
// the database file is not at hand (Tautulli on another machine).
//
// Asked for grouped history (grouping=1): one row per play exactly as Tautulli's history shows it,
// with the group's played time (`play_duration`, the sum over its sessions) and `reference_id`,
// the id of its first session. A grouped row's own id is its latest session's and changes when the
// play is resumed after an import, so the play is known by its reference_id, which never changes
// (and is the database reader's id too). Ungrouped rows would do as well but need every open group
// of the whole history held in memory, since Tautulli links a resume to a session of any age.
import { countUnreadable, ImportFormatError, type ImportedPlay, type SourceRows } from './play.ts';
import { tautulliPlay, type TautulliRow } from './tautulli-row.ts';

/** The API escapes < and > in every string it returns (its sanitize_out decorator): only those. */
function unescaped(row: TautulliRow): TautulliRow {
  const out: TautulliRow = {};
  for (const [k, v] of Object.entries(row))
    out[k] = typeof v === 'string' ? v.replaceAll('&lt;', '<').replaceAll('&gt;', '>') : v;
  return out;
}

export async function tautulliApiHistory(options: {
  url: string;
  apiKey: string;
  pageSize?: number;
  fetcher?: typeof fetch;
}): Promise<{ total: number; plays(serverId: string, rows: SourceRows): AsyncGenerator<ImportedPlay> }> {
  const base = options.url.replace(/\/+$/, '');
  const fetcher = options.fetcher ?? fetch;
  const pageSize = options.pageSize ?? 1000;
  const page = async (start: number, length: number) => {
    const url = `${base}/api/v2?${new URLSearchParams({ apikey: options.apiKey, cmd: 'get_history', grouping: '1', start: String(start), length: String(length), order_column: 'started', order_dir: 'asc' })}`;
    let response: Response;
    try {
      response = await fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw new ImportFormatError(`cannot reach Tautulli at ${base}: ${(err as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as {
      response?: {
        result?: string;
        message?: string | null;
        data?: { recordsTotal?: number; recordsFiltered?: number; data?: TautulliRow[] };
      };
    } | null;
    if (!body?.response)
      throw new ImportFormatError(`${base} did not answer like Tautulli's API v2 (HTTP ${response.status})`);
    if (body.response.result !== 'success')
      throw new ImportFormatError(
        `Tautulli refused get_history: ${body.response.message ?? `HTTP ${response.status}`}`,
      );
    const data = body.response.data;
    if (!data || !Array.isArray(data.data))
      throw new ImportFormatError('Tautulli answered get_history without a list of plays');
    return { total: Number(data.recordsFiltered ?? data.recordsTotal ?? data.data.length), rows: data.data };
  };
  const first = await page(0, 1);
  async function* plays(serverId: string, counts: SourceRows): AsyncGenerator<ImportedPlay> {
    for (let start = 0; start < first.total; start += pageSize) {
      const { rows } = await page(start, pageSize);
      if (rows.length === 0) break;
      for (const raw of rows) {
        const r = unescaped(raw);
        const sessions = Math.max(1, Number(r.group_count ?? 1) || 1);
        counts.read += sessions;
        counts.grouped += sessions - 1;
        const reference = Number(r.reference_id);
        const play = tautulliPlay(
          // `duration` is played seconds too on this path (older versions have no play_duration).
          { ...r, id: reference > 0 ? reference : (r.row_id ?? r.id), played_seconds: r.play_duration ?? r.duration },
          serverId,
          { mediaLength: false },
        );
        if (play) yield play;
        else countUnreadable(counts, 'no-times', sessions);
      }
    }
  }
  return { total: first.total, plays };
}
