// One Tautulli history row (API v2 `get_history` field names; the database reader selects its
// columns under the same names) as an imported play. Times are seconds; pauses seconds; offsets
// and durations milliseconds.
import { decision, isPrivateIp, mediaType, resolutionLabel, type ImportedPlay } from './play.ts';

export type TautulliRow = Record<string, string | number | null | undefined>;

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));
const optional = (v: unknown) => text(v) || null;

export function tautulliPlay(r: TautulliRow, serverId: string): ImportedPlay | null {
  const id = r.id ?? r.row_id;
  if (id === null || id === undefined || !r.started || !r.stopped) return null;
  const startedAt = Number(r.started) * 1000;
  const stoppedAt = Math.max(startedAt, Number(r.stopped) * 1000);
  const ip = text(r.ip_address);
  // The database has the stream's decisions; the API only the overall one.
  const video = decision(text(r.stream_video_decision) || text(r.video_decision) || text(r.transcode_decision));
  const audio = decision(text(r.stream_audio_decision) || text(r.audio_decision) || text(r.transcode_decision));
  return {
    source: 'tautulli',
    sourceId: text(id),
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
      mediaType: mediaType(text(r.media_type)),
      parentItemId: optional(r.parent_rating_key),
      parentTitle: optional(r.parent_title),
      grandparentItemId: optional(r.grandparent_rating_key),
      grandparentTitle: optional(r.grandparent_title),
      seasonNumber: num(r.parent_media_index),
      episodeNumber: num(r.media_index),
      year: num(r.year),
      libraryId: optional(r.section_id),
    },
    device: {
      deviceId: text(r.machine_id),
      deviceName: text(r.player),
      player: text(r.player),
      product: text(r.product),
      platform: text(r.platform),
      productVersion: optional(r.product_version),
    },
    clientIp: ip,
    networkLocation: r.location === 'lan' || isPrivateIp(ip) ? 'LAN' : r.location === 'wan' ? 'WAN' : 'UNKNOWN',
    quality: {
      videoDecision: video,
      audioDecision: audio,
      isTranscode: video === 'TRANSCODE' || audio === 'TRANSCODE' || r.transcode_decision === 'transcode',
      transcodeHardware:
        r.transcode_hw_encoding === undefined || r.transcode_hw_encoding === null
          ? null
          : Number(r.transcode_hw_encoding) === 1,
      transcodeAccelerator: null,
      transcodeReasons: [],
      bitrateKbps: num(r.stream_bitrate) ?? num(r.bitrate),
      sourceBitrateKbps: num(r.bitrate),
      bandwidthKbps: num(r.bandwidth),
      sourceVideoResolution: resolutionLabel(optional(r.video_resolution)),
      streamVideoResolution: resolutionLabel(optional(r.stream_video_resolution) ?? optional(r.video_resolution)),
      sourceVideoCodec: optional(r.video_codec),
      streamVideoCodec: optional(r.stream_video_codec) ?? optional(r.transcode_video_codec) ?? optional(r.video_codec),
      sourceAudioCodec: optional(r.audio_codec),
      streamAudioCodec: optional(r.stream_audio_codec) ?? optional(r.transcode_audio_codec) ?? optional(r.audio_codec),
      container: optional(r.container),
    },
  };
}
