// A play going on, the same whether it comes from the bus (a playback event, placed by its
// producer) or from the warehouse (a stored session): GET sessions/active answers it as a
// `Session` (sessionFromEvent, sessionFromRow), and the live feed pushes its `LiveSession` fields
// picked from that (viewOf), so the two never tell a play differently.
import type { GeoLocation } from '../core/geoip.ts';
import type { PlaybackEvent } from '../schemas/index.ts';
import type { SessionRow } from '../warehouse/queries/sessions.ts';
import { LiveSession as LiveSessionSchema, type LiveSession, type Session } from './contract.ts';
import { withNetwork } from './network-view.ts';
import { posterUrl, withPoster } from './poster.ts';

export type LiveSessionView = LiveSession;

/** The feed's fields: every one of the play's but the times, which it gives in ms since the epoch. */
const VIEW_FIELDS = Object.keys(LiveSessionSchema.properties) as Array<keyof LiveSession & keyof Session>;

/** The play as the feed pushes it, from the play as sessions/active answers it. */
export function viewOf(s: Session): LiveSessionView {
  const view = {} as Record<string, unknown>;
  for (const key of VIEW_FIELDS) view[key] = s[key];
  return { ...(view as LiveSessionView), startedAt: Date.parse(s.startedAt), lastSeenAt: Date.parse(s.lastSeenAt) };
}

/**
 * The play as GET sessions/active answers it: the warehouse keeps a play as its latest event
 * (the sessions table, warehouse/rows.ts), so the same projection of that event is the same row.
 */
export function sessionFromEvent(e: PlaybackEvent, where: GeoLocation | null): Session {
  const { media, device, quality: q } = e;
  const iso = (at: number) => new Date(at).toISOString();
  return withNetwork({
    serverId: e.serverId,
    serverType: e.serverType,
    accountKey: e.accountKey,
    sessionKey: e.sessionKey,
    state: e.playState,
    userName: e.userName,
    title: media.title,
    grandparentTitle: media.grandparentTitle ?? '',
    mediaType: media.mediaType,
    poster: posterUrl(e.serverId, media.imageRef),
    year: media.year,
    seasonNumber: media.seasonNumber,
    episodeNumber: media.episodeNumber,
    deviceId: device.deviceId,
    deviceName: device.deviceName,
    player: device.player,
    product: device.product,
    productVersion: device.productVersion ?? '',
    platform: device.platform,
    clientIp: e.clientIp,
    networkLocation: e.networkLocation,
    countryCode: where?.countryCode ?? '',
    region: where?.region ?? '',
    city: where?.city ?? '',
    latitude: where?.latitude ?? null,
    longitude: where?.longitude ?? null,
    positionMs: Math.max(0, e.positionMs),
    durationMs: e.durationMs,
    pausedMs: e.pausedMs ?? 0,
    playedMs: e.playedMs ?? 0,
    videoDecision: q.videoDecision,
    audioDecision: q.audioDecision,
    isTranscode: q.isTranscode,
    transcodeHardware: q.transcodeHardware,
    transcodeAccelerator: q.transcodeAccelerator ?? '',
    transcodeReasons: q.transcodeReasons,
    bitrateKbps: q.bitrateKbps,
    bandwidthKbps: q.bandwidthKbps,
    sourceVideoResolution: q.sourceVideoResolution ?? '',
    streamVideoResolution: q.streamVideoResolution ?? '',
    sourceVideoCodec: q.sourceVideoCodec ?? '',
    streamVideoCodec: q.streamVideoCodec ?? '',
    sourceAudioCodec: q.sourceAudioCodec ?? '',
    streamAudioCodec: q.streamAudioCodec ?? '',
    container: q.container ?? '',
    startedAt: iso(e.playStartedAt ?? e.observedAt),
    lastSeenAt: iso(e.observedAt),
    stoppedAt: e.eventType === 'STOPPED' ? iso(e.observedAt) : null,
  });
}

export function sessionFromRow(r: SessionRow): Session {
  return withPoster(withNetwork(r));
}
