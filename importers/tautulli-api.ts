// Tautulli's history through its API v2 (`get_history`), page by page, oldest first. Used when
// the database file is not at hand (Tautulli on another machine).
import { decision, ImportFormatError, isPrivateIp, mediaType, type ImportedPlay } from './play.ts';

interface HistoryRow {
  id?: number | null;
  row_id?: number | null;
  reference_id?: number | null;
  started?: number | null;
  stopped?: number | null;
  paused_counter?: number | null;
  user_id?: number | string | null;
  user?: string | null;
  friendly_name?: string | null;
  platform?: string | null;
  product?: string | null;
  player?: string | null;
  ip_address?: string | null;
  machine_id?: string | null;
  location?: string | null;
  media_type?: string | null;
  rating_key?: number | string | null;
  parent_rating_key?: number | string | null;
  grandparent_rating_key?: number | string | null;
  title?: string | null;
  parent_title?: string | null;
  grandparent_title?: string | null;
  year?: number | string | null;
  media_index?: number | string | null;
  parent_media_index?: number | string | null;
  transcode_decision?: string | null;
  view_offset?: number | null;
  duration?: number | null;
  section_id?: number | string | null;
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));

export async function tautulliApiHistory(options: { url: string; apiKey: string; pageSize?: number; fetcher?: typeof fetch }): Promise<{ total: number; plays(serverId: string): AsyncGenerator<ImportedPlay> }> {
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
    const body = (await response.json().catch(() => null)) as { response?: { result?: string; message?: string | null; data?: { recordsTotal?: number; recordsFiltered?: number; data?: HistoryRow[] } } } | null;
    if (!body?.response) throw new ImportFormatError(`${base} did not answer like Tautulli's API v2 (HTTP ${response.status})`);
    if (body.response.result !== 'success') throw new ImportFormatError(`Tautulli refused get_history: ${body.response.message ?? `HTTP ${response.status}`}`);
    const data = body.response.data;
    if (!data || !Array.isArray(data.data)) throw new ImportFormatError('Tautulli answered get_history without a list of plays');
    return { total: Number(data.recordsFiltered ?? data.recordsTotal ?? data.data.length), rows: data.data };
  };
  const first = await page(0, 1);
  async function* plays(serverId: string): AsyncGenerator<ImportedPlay> {
    for (let start = 0; start < first.total; start += pageSize) {
      const { rows } = await page(start, pageSize);
      if (rows.length === 0) break;
      for (const r of rows) {
        // Grouped rows (Tautulli's "group history") carry the first play's id in reference_id.
        const id = r.id ?? r.row_id;
        if (id === null || id === undefined || !r.started || !r.stopped) continue;
        const startedAt = Number(r.started) * 1000;
        const stoppedAt = Math.max(startedAt, Number(r.stopped) * 1000);
        const ip = text(r.ip_address);
        const d = decision(r.transcode_decision);
        yield {
          source: 'tautulli',
          sourceId: String(id),
          serverId,
          serverType: 'PLEX',
          userId: text(r.user_id),
          userName: text(r.friendly_name) || text(r.user),
          startedAt,
          stoppedAt,
          pausedMs: Math.min((num(r.paused_counter) ?? 0) * 1000, stoppedAt - startedAt),
          positionMs: num(r.view_offset) ?? 0,
          durationMs: num(r.duration),
          media: {
            itemId: text(r.rating_key),
            title: text(r.title) || '(unknown title)',
            mediaType: mediaType(r.media_type),
            parentItemId: r.parent_rating_key ? text(r.parent_rating_key) : null,
            parentTitle: text(r.parent_title) || null,
            grandparentItemId: r.grandparent_rating_key ? text(r.grandparent_rating_key) : null,
            grandparentTitle: text(r.grandparent_title) || null,
            seasonNumber: num(r.parent_media_index),
            episodeNumber: num(r.media_index),
            year: num(r.year),
            libraryId: r.section_id ? text(r.section_id) : null,
          },
          device: { deviceId: text(r.machine_id), deviceName: text(r.player), player: text(r.player), product: text(r.product), platform: text(r.platform), productVersion: null },
          clientIp: ip,
          networkLocation: r.location === 'lan' || isPrivateIp(ip) ? 'LAN' : r.location === 'wan' ? 'WAN' : 'UNKNOWN',
          quality: { videoDecision: d, audioDecision: d, isTranscode: d === 'TRANSCODE', transcodeHardware: null, transcodeReasons: [], bitrateKbps: null, sourceBitrateKbps: null, bandwidthKbps: null, sourceVideoResolution: null, streamVideoResolution: null, sourceVideoCodec: null, streamVideoCodec: null, sourceAudioCodec: null, streamAudioCodec: null, container: null },
        };
      }
    }
  }
  return { total: first.total, plays };
}
