// Tautulli's history from its SQLite database file (tautulli.db): session_history joined with
// session_history_metadata and session_history_media_info (same id), user names from users.
// Tautulli stores times in seconds, durations in milliseconds (metadata) or seconds (pauses).
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { decision, ImportFormatError, isPrivateIp, mediaType, resolutionLabel, type ImportedPlay } from './play.ts';

const REQUIRED = ['session_history', 'session_history_metadata', 'session_history_media_info', 'users'];

type Row = Record<string, string | number | null>;

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));

export function openTautulliDatabase(path: string): { total: number; plays(serverId: string): Generator<ImportedPlay>; close(): void } {
  if (!existsSync(path)) throw new ImportFormatError(`no such file: ${path}`);
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  readSync(fd, header, 0, 16, 0);
  closeSync(fd);
  if (header.toString('latin1') !== 'SQLite format 3\0') throw new ImportFormatError(`${path} is not a SQLite database (Tautulli's is tautulli.db in its data folder)`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => String(r.name)));
    const missing = REQUIRED.filter((t) => !tables.has(t));
    if (missing.length) throw new ImportFormatError(`${path} is not a Tautulli database: table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
  } catch (err) {
    if (err instanceof ImportFormatError) throw err;
    throw new ImportFormatError(`${path} cannot be read as a SQLite database: ${(err as Error).message}`);
  }
  const total = Number((db.prepare('SELECT count(*) AS n FROM session_history WHERE stopped IS NOT NULL AND started IS NOT NULL').get() as Row).n);
  function* plays(serverId: string): Generator<ImportedPlay> {
    // Columns are chosen by name and optional ones read through the row, so databases of older
    // Tautulli versions (fewer columns) import too.
    const rows = db.prepare(
      `SELECT h.*, m.title AS m_title, m.parent_title, m.grandparent_title, m.media_index, m.parent_media_index, m.year, m.duration AS m_duration,
              i.*, coalesce(u.friendly_name, u.username, h.user) AS display_name, h.id AS play_id
       FROM session_history h
       LEFT JOIN session_history_metadata m ON m.id = h.id
       LEFT JOIN session_history_media_info i ON i.id = h.id
       LEFT JOIN users u ON u.user_id = h.user_id
       WHERE h.stopped IS NOT NULL AND h.started IS NOT NULL
       ORDER BY h.id`,
    );
    for (const r of rows.iterate() as Iterable<Row>) {
      const startedAt = Number(r.started) * 1000;
      const stoppedAt = Math.max(startedAt, Number(r.stopped) * 1000);
      const ip = text(r.ip_address);
      const video = decision(text(r.stream_video_decision) || text(r.video_decision) || text(r.transcode_decision));
      const audio = decision(text(r.stream_audio_decision) || text(r.audio_decision));
      const isTranscode = video === 'TRANSCODE' || audio === 'TRANSCODE' || text(r.transcode_decision) === 'transcode';
      yield {
        source: 'tautulli',
        sourceId: text(r.play_id),
        serverId,
        serverType: 'PLEX',
        userId: text(r.user_id),
        userName: text(r.display_name) || text(r.user),
        startedAt,
        stoppedAt,
        pausedMs: Math.min((num(r.paused_counter) ?? 0) * 1000, stoppedAt - startedAt),
        positionMs: num(r.view_offset) ?? 0,
        durationMs: num(r.m_duration) ?? num(r.duration),
        media: {
          itemId: text(r.rating_key),
          title: text(r.m_title) || '(unknown title)',
          mediaType: mediaType(text(r.media_type)),
          parentItemId: r.parent_rating_key === null ? null : text(r.parent_rating_key),
          parentTitle: text(r.parent_title) || null,
          grandparentItemId: r.grandparent_rating_key === null ? null : text(r.grandparent_rating_key),
          grandparentTitle: text(r.grandparent_title) || null,
          seasonNumber: num(r.parent_media_index),
          episodeNumber: num(r.media_index),
          year: num(r.year),
          libraryId: text(r.section_id) || null,
        },
        device: { deviceId: text(r.machine_id), deviceName: text(r.player), player: text(r.player), product: text(r.product), platform: text(r.platform), productVersion: text(r.product_version) || null },
        clientIp: ip,
        networkLocation: r.location === 'lan' || isPrivateIp(ip) ? 'LAN' : r.location === 'wan' ? 'WAN' : 'UNKNOWN',
        quality: {
          videoDecision: video,
          audioDecision: audio,
          isTranscode,
          transcodeHardware: r.transcode_hw_encoding === undefined || r.transcode_hw_encoding === null ? null : Number(r.transcode_hw_encoding) === 1,
          transcodeReasons: [],
          bitrateKbps: num(r.stream_bitrate) ?? num(r.bitrate),
          sourceBitrateKbps: num(r.bitrate),
          bandwidthKbps: num(r.bandwidth),
          sourceVideoResolution: resolutionLabel(text(r.video_resolution) || null),
          streamVideoResolution: resolutionLabel(text(r.stream_video_resolution) || text(r.video_resolution) || null),
          sourceVideoCodec: text(r.video_codec) || null,
          streamVideoCodec: text(r.stream_video_codec) || text(r.transcode_video_codec) || text(r.video_codec) || null,
          sourceAudioCodec: text(r.audio_codec) || null,
          streamAudioCodec: text(r.stream_audio_codec) || text(r.transcode_audio_codec) || text(r.audio_codec) || null,
          container: text(r.container) || null,
        },
      };
    }
  }
  return { total, plays, close: () => db.close() };
}
