// A play read from another tool's history, in one shape whatever the source, and the two
// playback events (start, stop) it becomes in the warehouse. Event ids are built from the
// source's own ids, so importing the same history again finds them and adds nothing.
import type { MediaType, NetworkLocation, PlaybackEvent, ServerType, StreamDecision } from '../schemas/index.ts';
import { AppError } from '../core/errors.ts';

export interface ImportedPlay {
  /** e.g. "tautulli", "jellystat": part of the event ids. */
  source: string;
  /** The source's id of this play. */
  sourceId: string;
  serverId: string;
  serverType: ServerType;
  userId: string;
  userName: string;
  startedAt: number;
  stoppedAt: number;
  pausedMs: number;
  positionMs: number;
  durationMs: number | null;
  media: PlaybackEvent['media'];
  device: PlaybackEvent['device'];
  clientIp: string;
  networkLocation: NetworkLocation;
  quality: PlaybackEvent['quality'];
}

export class ImportFormatError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export function playEvents(play: ImportedPlay): [PlaybackEvent, PlaybackEvent] {
  const base = `${play.source}:${play.serverId}:${play.sourceId}`;
  const playedMs = Math.max(0, play.stoppedAt - play.startedAt - play.pausedMs);
  const common = {
    serverId: play.serverId,
    serverType: play.serverType,
    accountKey: `${play.serverId}:${play.userId}`,
    userId: play.userId,
    userName: play.userName,
    sessionKey: base,
    media: play.media,
    device: play.device,
    clientIp: play.clientIp,
    networkLocation: play.networkLocation,
    durationMs: play.durationMs,
    quality: play.quality,
    playStartedAt: play.startedAt,
    // Placed by the writer, once, as they are stored.
    location: null,
    geoSource: null,
  };
  return [
    {
      ...common,
      eventId: `${base}:start`,
      eventType: 'STARTED',
      observedAt: play.startedAt,
      playState: 'PLAYING',
      positionMs: Math.max(0, play.positionMs - playedMs),
      playedMs: 0,
      pausedMs: 0,
    },
    {
      ...common,
      eventId: `${base}:stop`,
      eventType: 'STOPPED',
      observedAt: play.stoppedAt,
      playState: 'STOPPED',
      positionMs: play.positionMs,
      playedMs,
      pausedMs: play.pausedMs,
    },
  ];
}

export function mediaType(value: string | null | undefined): MediaType {
  switch ((value ?? '').toLowerCase()) {
    case 'movie':
      return 'MOVIE';
    case 'episode':
      return 'EPISODE';
    case 'track':
    case 'audio':
      return 'TRACK';
    case 'tvchannel':
    case 'live':
      return 'LIVE_TV';
    case 'photo':
      return 'PHOTO';
    case 'clip':
    case 'video':
      return 'VIDEO';
    default:
      return 'OTHER';
  }
}

export function decision(value: string | null | undefined): StreamDecision {
  const v = (value ?? '').toLowerCase().replace(/[\s_-]/g, '');
  if (v === 'transcode') return 'TRANSCODE';
  if (v === 'copy' || v === 'directstream') return 'DIRECT_STREAM';
  if (v === 'directplay') return 'DIRECT_PLAY';
  return 'UNKNOWN';
}

/** Plex-style resolution label from a height or a label ("1080", "4k", "sd"). */
export function resolutionLabel(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number')
    return value >= 2000 ? '4k' : value >= 1000 ? '1080' : value >= 700 ? '720' : value >= 470 ? '480' : 'sd';
  return String(value).toLowerCase();
}

export function isPrivateIp(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|f[cd][0-9a-f]{2}:|fe80:)/i.test(ip);
}
