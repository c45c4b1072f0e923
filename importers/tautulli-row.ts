// One Tautulli play (API v2 `get_history` field names; the database reader selects its columns
// under the same names) as an imported play. A play is what Tautulli's history shows: a group of
// session_history rows linked by reference_id (a session resumed later), its start the first row's,
// its stop the last row's, its played time the sum of each row's (stopped - started - paused),
// never the span from first start to last stop. Times are seconds; pauses seconds; offsets and the
// media length (database only) milliseconds.
import { plexImageRef } from '../connectors/image-refs.ts';
import { clientAddress, decision, mediaType, resolutionLabel, type ImportedPlay } from './play.ts';

export type TautulliRow = Record<string, string | number | null | undefined>;

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));
const optional = (v: unknown) => text(v) || null;

/**
 * `id` is the play's stable id (the group's first row: its reference_id); `played_seconds` the
 * group's played time; `media_length` whether `duration` is the item's length (the database's
 * metadata) rather than played seconds (the API's `duration`, kept there for compatibility).
 */
export function tautulliPlay(r: TautulliRow, serverId: string, options: { mediaLength: boolean }): ImportedPlay | null {
  const id = r.id ?? r.row_id;
  if (id === null || id === undefined || !r.started || !r.stopped) return null;
  const startedAt = Number(r.started) * 1000;
  const stoppedAt = Math.max(startedAt, Number(r.stopped) * 1000);
  const pausedSeconds = num(r.paused_counter) ?? 0;
  const played = num(r.played_seconds);
  // Live TV keeps the media type of what was on (episode, movie) and says so in its own flag.
  const type = Number(r.live) === 1 ? 'LIVE_TV' : mediaType(text(r.media_type));
  // The database has the stream's decisions; the API only the overall one. A track has no video.
  const video =
    type === 'TRACK'
      ? 'NONE'
      : decision(text(r.stream_video_decision) || text(r.video_decision) || text(r.transcode_decision));
  const audio = decision(text(r.stream_audio_decision) || text(r.audio_decision) || text(r.transcode_decision));
  const address = clientAddress(text(r.ip_address));
  return {
    source: 'tautulli',
    sourceId: text(id),
    serverId,
    serverType: 'PLEX',
    userId: text(r.user_id),
    userName: text(r.friendly_name) || text(r.user),
    startedAt,
    stoppedAt,
    pausedMs: Math.min(pausedSeconds * 1000, stoppedAt - startedAt),
    ...(played === null ? {} : { playedMs: Math.max(0, played * 1000) }),
    positionMs: num(r.view_offset) ?? 0,
    durationMs: options.mediaLength ? num(r.duration) : null,
    media: {
      itemId: text(r.rating_key),
      title: text(r.title) || '(unknown title)',
      mediaType: type,
      parentItemId: optional(r.parent_rating_key),
      parentTitle: optional(r.parent_title),
      grandparentItemId: optional(r.grandparent_rating_key),
      grandparentTitle: optional(r.grandparent_title),
      seasonNumber: num(r.parent_media_index),
      episodeNumber: num(r.media_index),
      year: num(r.year),
      libraryId: optional(r.section_id),
      // Tautulli keeps the art paths of every play (its database and get_history): the same
      // posters the Plex connector records, served while the item is on the server.
      imageRef: plexImageRef(r.media_type, {
        thumb: r.thumb,
        parentThumb: r.parent_thumb,
        grandparentThumb: r.grandparent_thumb,
      }),
    },
    device: {
      deviceId: text(r.machine_id),
      deviceName: text(r.player),
      player: text(r.player),
      product: text(r.product),
      platform: text(r.platform),
      productVersion: optional(r.product_version),
    },
    clientIp: address.clientIp,
    // Plex's verdict first: "lan", "wan", or "cellular" (a mobile network: WAN); else the address.
    networkLocation:
      r.location === 'lan' || address.networkLocation === 'LAN'
        ? 'LAN'
        : r.location === 'wan' || r.location === 'cellular'
          ? 'WAN'
          : address.networkLocation,
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
