// Tautulli's history through its API v2 (`get_history`), page by page, oldest first. Used when
// the database file is not at hand (Tautulli on another machine).
import { ImportFormatError, type ImportedPlay } from './play.ts';
import { tautulliPlay, type TautulliRow } from './tautulli-row.ts';

export async function tautulliApiHistory(options: {
  url: string;
  apiKey: string;
  pageSize?: number;
  fetcher?: typeof fetch;
}): Promise<{ total: number; plays(serverId: string): AsyncGenerator<ImportedPlay> }> {
  const base = options.url.replace(/\/+$/, '');
  const fetcher = options.fetcher ?? fetch;
  const pageSize = options.pageSize ?? 1000;
  const page = async (start: number, length: number) => {
    const url = `${base}/api/v2?${new URLSearchParams({ apikey: options.apiKey, cmd: 'get_history', start: String(start), length: String(length), order_column: 'started', order_dir: 'asc' })}`;
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
  async function* plays(serverId: string): AsyncGenerator<ImportedPlay> {
    for (let start = 0; start < first.total; start += pageSize) {
      const { rows } = await page(start, pageSize);
      if (rows.length === 0) break;
      for (const r of rows) {
        const play = tautulliPlay(r, serverId);
        if (play) yield play;
      }
    }
  }
  return { total: first.total, plays };
}
