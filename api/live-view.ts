// One flat shape for a live play (contract.ts, LiveSession), whether it comes from the bus (a
// playback event, placed by its producer) or from the warehouse (a stored session): the dashboard
// and API clients see the same fields either way. GET sessions/active answers the fuller `Session`
// (sessionFromEvent, sessionFromRow), kept beside it.
import type { GeoLocation } from '../core/geoip.ts';
import type { PlaybackEvent } from '../schemas/index.ts';
import type { SessionRow } from '../warehouse/queries/sessions.ts';
import type { LiveSession, Session } from './contract.ts';
import { withNetwork } from './network-view.ts';
import { posterUrl, withPoster } from './poster.ts';

export type LiveSessionView = LiveSession;

export function viewFromEvent(e: PlaybackEvent, where: GeoLocation | null): LiveSessionView {
  const { media, device, quality } = e;
  return withNetwork({
    serverId: e.serverId,
    serverType: e.serverType,
    accountKey: e.accountKey,
    userName: e.userName,
    sessionKey: e.sessionKey,
    title: media.title,
    grandparentTitle: media.grandparentTitle ?? '',
    poster: posterUrl(e.serverId, media.imageRef),
    mediaType: media.mediaType,
    year: media.year,
    seasonNumber: media.seasonNumber,
    episodeNumber: media.episodeNumber,
    deviceId: device.deviceId,
    deviceName: device.deviceName,
    player: device.player,
    product: device.product,
    platform: device.platform,
    clientIp: e.clientIp,
    countryCode: where?.countryCode ?? '',
    city: where?.city ?? '',
    latitude: where?.latitude ?? null,
    longitude: where?.longitude ?? null,
    state: e.playState,
    positionMs: e.positionMs,
    durationMs: e.durationMs,
    videoDecision: quality.videoDecision,
    isTranscode: quality.isTranscode,
    bitrateKbps: quality.bitrateKbps,
    bandwidthKbps: quality.bandwidthKbps,
    sourceVideoResolution: quality.sourceVideoResolution ?? '',
    streamVideoResolution: quality.streamVideoResolution ?? '',
    startedAt: e.playStartedAt ?? e.observedAt,
    lastSeenAt: e.observedAt,
    networkLocation: e.networkLocation,
    pausedMs: e.pausedMs ?? 0,
    transcodeHardware: quality.transcodeHardware,
    transcodeAccelerator: quality.transcodeAccelerator ?? '',
    transcodeReasons: quality.transcodeReasons,
    container: quality.container ?? '',
    productVersion: device.productVersion ?? '',
  });
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

const ms = (isoTime: string) => Date.parse(isoTime);

export function viewFromRow(r: SessionRow): LiveSessionView {
  return withNetwork({
    serverId: r.serverId,
    serverType: r.serverType,
    accountKey: r.accountKey,
    userName: r.userName,
    sessionKey: r.sessionKey,
    title: r.title,
    grandparentTitle: r.grandparentTitle,
    poster: posterUrl(r.serverId, r.imageRef),
    mediaType: r.mediaType,
    year: r.year,
    seasonNumber: r.seasonNumber,
    episodeNumber: r.episodeNumber,
    deviceId: r.deviceId,
    deviceName: r.deviceName,
    player: r.player,
    product: r.product,
    platform: r.platform,
    clientIp: r.clientIp,
    countryCode: r.countryCode,
    city: r.city,
    latitude: r.latitude,
    longitude: r.longitude,
    state: r.state,
    positionMs: r.positionMs,
    durationMs: r.durationMs,
    videoDecision: r.videoDecision,
    isTranscode: r.isTranscode,
    bitrateKbps: r.bitrateKbps,
    bandwidthKbps: r.bandwidthKbps,
    sourceVideoResolution: r.sourceVideoResolution,
    streamVideoResolution: r.streamVideoResolution,
    startedAt: ms(r.startedAt),
    lastSeenAt: ms(r.lastSeenAt),
    networkLocation: r.networkLocation,
    pausedMs: r.pausedMs,
    transcodeHardware: r.transcodeHardware,
    transcodeAccelerator: r.transcodeAccelerator,
    transcodeReasons: r.transcodeReasons,
    container: r.container,
    productVersion: r.productVersion,
  });
}

export function sessionFromRow(r: SessionRow): Session {
  return withPoster(withNetwork(r));
}
