// What a Plex session entry means: one entry of /status/sessions (JSON) turned into an observed
// play, with the source media of the version it plays, or the reason it is not a play (theme
// music, an entry without a user).
import type { MediaType, NetworkLocation, PlayState, StreamDecision, StreamQuality } from '../schemas/index.ts';
import { isPrivateAddress, normalizeIp } from '../core/network.ts';
import { plexImageRef } from './image-refs.ts';
import { int, lower, num, resolutionOf, str, type ObservedSession, type SkippedEntry } from './model.ts';

export type Json = Record<string, unknown>;

export interface PlexMedia {
  id?: number | string;
  bitrate?: number;
  videoResolution?: string;
  videoCodec?: string;
  audioCodec?: string;
  container?: string;
  height?: number;
  selected?: boolean;
  Part?: Array<{ size?: number; file?: string; decision?: string }>;
}

export interface SourceMedia {
  videoResolution: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  container: string | null;
  bitrateKbps: number | null;
}

export const MEDIA_TYPES: Record<string, MediaType> = {
  movie: 'MOVIE',
  episode: 'EPISODE',
  track: 'TRACK',
  clip: 'VIDEO',
  photo: 'PHOTO',
};

function decision(value: unknown, hasStream: boolean): StreamDecision {
  switch (lower(value)) {
    case 'transcode':
      return 'TRANSCODE';
    case 'copy':
      return 'DIRECT_STREAM';
    case 'directplay':
      return 'DIRECT_PLAY';
    default:
      return hasStream ? 'DIRECT_PLAY' : 'NONE';
  }
}

function playState(value: unknown): PlayState {
  const state = lower(value);
  if (state === 'paused') return 'PAUSED';
  if (state === 'buffering') return 'BUFFERING';
  return 'PLAYING';
}

export function selectedMedia(media: unknown): PlexMedia | undefined {
  if (!Array.isArray(media) || media.length === 0) return undefined;
  return (media.find((m: PlexMedia) => m?.selected) ?? media[0]) as PlexMedia;
}

/**
 * The version a session plays among an item's versions: the metadata lists one Media per version
 * and marks none, while the session's Media carries the played version's id (Tautulli matches the
 * same way). The first version when the id is unknown.
 */
export function playedVersion(media: unknown, mediaId: string | null): PlexMedia | undefined {
  if (!Array.isArray(media) || media.length === 0) return undefined;
  return ((mediaId !== null && media.find((m: PlexMedia) => str(m?.id) === mediaId)) || media[0]) as PlexMedia;
}

/** Theme music a client plays while a show's page is open: a track from the show's own metadata, not a play. */
export function isThemeMusic(raw: Json): boolean {
  return (
    raw.type === 'track' && (String(raw.guid ?? '').startsWith('library://') || /\/theme\//.test(String(raw.key ?? '')))
  );
}

export const isLive = (raw: Json) => raw.live === 1 || raw.live === '1' || raw.live === true;

export function mediaSource(media: PlexMedia | undefined): SourceMedia {
  return {
    videoResolution: lower(media?.videoResolution),
    videoCodec: lower(media?.videoCodec),
    audioCodec: lower(media?.audioCodec),
    container: lower(media?.container),
    bitrateKbps: int(media?.bitrate),
  };
}

/** One entry of MediaContainer.Metadata of /status/sessions, or the reason it cannot be used. */
export function mapPlexSession(raw: Json, source: SourceMedia | undefined): ObservedSession | SkippedEntry {
  const player = raw.Player as Json | undefined;
  const user = raw.User as Json | undefined;
  const session = raw.Session as Json | undefined;
  const sessionKey = str(raw.sessionKey);
  if (!sessionKey) return { sessionKey: null, reason: 'session without sessionKey' };
  if (!player) return { sessionKey, reason: `session ${sessionKey} has no Player` };
  if (!user || str(user.id) === null) return { sessionKey, reason: `session ${sessionKey} has no User` };
  const itemId = str(raw.ratingKey);
  if (!itemId) return { sessionKey, reason: `session ${sessionKey} has no ratingKey` };

  const transcode = raw.TranscodeSession as Json | undefined;
  const media = selectedMedia(raw.Media);
  const stream = mediaSource(media);
  const isTrack = raw.type === 'track';
  const hasVideo = !isTrack && (stream.videoCodec !== null || transcode?.videoDecision !== undefined);
  const videoDecision = transcode ? decision(transcode.videoDecision, hasVideo) : hasVideo ? 'DIRECT_PLAY' : 'NONE';
  const audioDecision = transcode ? decision(transcode.audioDecision, true) : 'DIRECT_PLAY';
  const src = source ?? {
    ...stream,
    videoCodec: lower(transcode?.sourceVideoCodec) ?? stream.videoCodec,
    audioCodec: lower(transcode?.sourceAudioCodec) ?? stream.audioCodec,
  };
  const ip = normalizeIp(str(player.address));
  const location = lower(session?.location);
  const networkLocation: NetworkLocation =
    location === 'lan'
      ? 'LAN'
      : location === 'wan'
        ? 'WAN'
        : player.local === true
          ? 'LAN'
          : player.local === false
            ? 'WAN'
            : ip
              ? isPrivateAddress(ip)
                ? 'LAN'
                : 'WAN'
              : 'UNKNOWN';

  const quality: StreamQuality = {
    videoDecision,
    audioDecision,
    isTranscode: videoDecision === 'TRANSCODE' || audioDecision === 'TRANSCODE',
    transcodeHardware: transcode
      ? transcode.transcodeHwEncoding !== undefined || transcode.transcodeHwFullPipeline === true
      : null,
    transcodeAccelerator: transcode ? (str(transcode.transcodeHwEncoding) ?? str(transcode.transcodeHwDecoding)) : null,
    transcodeReasons: [],
    bitrateKbps: stream.bitrateKbps,
    sourceBitrateKbps: src.bitrateKbps,
    bandwidthKbps: int(session?.bandwidth),
    sourceVideoResolution: isTrack ? null : src.videoResolution,
    streamVideoResolution: isTrack
      ? null
      : ((videoDecision === 'TRANSCODE' ? resolutionOf(num(transcode?.width), num(transcode?.height)) : null) ??
        stream.videoResolution),
    sourceVideoCodec: isTrack ? null : src.videoCodec,
    streamVideoCodec: isTrack
      ? null
      : ((videoDecision === 'TRANSCODE' ? lower(transcode?.videoCodec) : null) ?? stream.videoCodec),
    sourceAudioCodec: src.audioCodec,
    streamAudioCodec: (audioDecision === 'TRANSCODE' ? lower(transcode?.audioCodec) : null) ?? stream.audioCodec,
    container: (transcode ? lower(transcode.container) : null) ?? stream.container,
  };

  return {
    sessionKey,
    terminateId: str(session?.id),
    userId: str(user.id)!,
    userName: str(user.title) ?? `user ${str(user.id)}`,
    media: {
      itemId,
      title: str(raw.title) ?? '(untitled)',
      mediaType: raw.live === 1 || raw.live === '1' ? 'LIVE_TV' : (MEDIA_TYPES[String(raw.type)] ?? 'OTHER'),
      parentItemId: str(raw.parentRatingKey),
      parentTitle: str(raw.parentTitle),
      grandparentItemId: str(raw.grandparentRatingKey),
      grandparentTitle: str(raw.grandparentTitle),
      seasonNumber: raw.type === 'episode' ? int(raw.parentIndex) : null,
      episodeNumber: raw.type === 'episode' ? int(raw.index) : null,
      year: int(raw.year),
      libraryId: str(raw.librarySectionID),
      imageRef: plexImageRef(raw.type, raw),
    },
    device: {
      deviceId: str(player.machineIdentifier) ?? `${str(player.product) ?? 'player'}@${ip}`,
      deviceName: str(player.title) ?? str(player.device) ?? 'Unknown device',
      player: str(player.title) ?? str(player.product) ?? 'Unknown player',
      product: str(player.product) ?? 'Unknown',
      platform: str(player.platform) ?? 'Unknown',
      productVersion: str(player.version),
    },
    clientIp: ip,
    networkLocation,
    playState: playState(player.state),
    positionMs: int(raw.viewOffset) ?? 0,
    durationMs: int(raw.duration),
    quality,
  };
}
