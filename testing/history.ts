// A seeded, realistic viewing history: plays observed by the real session tracker every
// `stepMs`, with pauses, several servers, devices, places and stream qualities. Tests compare
// warehouse analytics against figures computed here independently; the benchmark loads it at scale.
import { diffSessions, type TrackerState } from '../connectors/session-tracker.ts';
import type { ObservedSession } from '../connectors/model.ts';
import type { PlaybackEvent, ServerMetricsSample, StreamQuality } from '../schemas/index.ts';
import { placeAddress, type GeoLocation, type GeoLookup } from '../core/geoip.ts';

type GeoPoint = Omit<GeoLocation, 'accuracyRadiusKm'>;

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLACES: Array<GeoPoint & { ip: string }> = [
  {
    ip: '198.51.100.10',
    countryCode: 'US',
    region: 'Massachusetts',
    city: 'Boston',
    latitude: 42.3601,
    longitude: -71.0589,
  },
  {
    ip: '198.51.100.20',
    countryCode: 'US',
    region: 'California',
    city: 'San Francisco',
    latitude: 37.7749,
    longitude: -122.4194,
  },
  { ip: '203.0.113.30', countryCode: 'GB', region: 'England', city: 'London', latitude: 51.5072, longitude: -0.1276 },
  { ip: '203.0.113.40', countryCode: 'DE', region: 'Berlin', city: 'Berlin', latitude: 52.52, longitude: 13.405 },
  { ip: '192.0.2.50', countryCode: 'JP', region: 'Tokyo', city: 'Tokyo', latitude: 35.6762, longitude: 139.6503 },
  { ip: '192.168.1.60', countryCode: '', region: null, city: null, latitude: null, longitude: null },
];

/** Geolocation of the history's addresses (the LAN one has none). */
export function historyGeolocate(ip: string): GeoPoint | null {
  const place = PLACES.find((p) => p.ip === ip);
  return place && place.countryCode ? place : null;
}

/** The history's addresses as a GeoIP database, which places its events as a connector would. */
const historyGeo: GeoLookup = {
  source: 'test places',
  lookup: (ip) => {
    const place = historyGeolocate(ip);
    return (
      place && {
        countryCode: place.countryCode,
        region: place.region,
        city: place.city,
        latitude: place.latitude,
        longitude: place.longitude,
        accuracyRadiusKm: null,
      }
    );
  },
};

const ITEMS = [
  { itemId: 'm1', title: 'Dune', mediaType: 'MOVIE' as const, grandparentItemId: null, grandparentTitle: null },
  { itemId: 'm2', title: 'Arrival', mediaType: 'MOVIE' as const, grandparentItemId: null, grandparentTitle: null },
  { itemId: 'm3', title: 'Heat', mediaType: 'MOVIE' as const, grandparentItemId: null, grandparentTitle: null },
  ...Array.from({ length: 6 }, (_, i) => ({
    itemId: `e${i}`,
    title: `Episode ${i + 1}`,
    mediaType: 'EPISODE' as const,
    grandparentItemId: i < 3 ? 'show-dark' : 'show-west',
    grandparentTitle: i < 3 ? 'Dark' : 'Westeros',
  })),
  {
    itemId: 't1',
    title: 'Airbag',
    mediaType: 'TRACK' as const,
    grandparentItemId: 'artist-rh',
    grandparentTitle: 'Radiohead',
  },
];

const DEVICES = [
  {
    deviceId: 'd-tv',
    deviceName: 'Living Room TV',
    player: 'Living Room TV',
    product: 'Plex for Android (TV)',
    platform: 'Android',
    productVersion: '10.1',
  },
  {
    deviceId: 'd-web',
    deviceName: 'Firefox',
    player: 'Firefox',
    product: 'Jellyfin Web',
    platform: 'Firefox',
    productVersion: '10.10',
  },
  {
    deviceId: 'd-ios',
    deviceName: 'iPhone',
    player: 'iPhone',
    product: 'Plex for iOS',
    platform: 'iOS',
    productVersion: '8.4',
  },
  {
    deviceId: 'd-roku',
    deviceName: 'Bedroom Roku',
    player: 'Bedroom Roku',
    product: 'Plex for Roku',
    platform: 'Roku',
    productVersion: '7.1',
  },
];

const QUALITIES: StreamQuality[] = [
  {
    videoDecision: 'TRANSCODE',
    audioDecision: 'DIRECT_STREAM',
    isTranscode: true,
    transcodeHardware: true,
    transcodeAccelerator: 'qsv',
    transcodeReasons: [],
    bitrateKbps: 8000,
    sourceBitrateKbps: 24000,
    bandwidthKbps: 8800,
    sourceVideoResolution: '4k',
    streamVideoResolution: '1080',
    sourceVideoCodec: 'hevc',
    streamVideoCodec: 'h264',
    sourceAudioCodec: 'eac3',
    streamAudioCodec: 'eac3',
    container: 'mp4',
  },
  {
    videoDecision: 'DIRECT_PLAY',
    audioDecision: 'DIRECT_PLAY',
    isTranscode: false,
    transcodeHardware: null,
    transcodeAccelerator: null,
    transcodeReasons: [],
    bitrateKbps: 10000,
    sourceBitrateKbps: 10000,
    bandwidthKbps: 11000,
    sourceVideoResolution: '1080',
    streamVideoResolution: '1080',
    sourceVideoCodec: 'h264',
    streamVideoCodec: 'h264',
    sourceAudioCodec: 'ac3',
    streamAudioCodec: 'ac3',
    container: 'mkv',
  },
  {
    videoDecision: 'DIRECT_STREAM',
    audioDecision: 'TRANSCODE',
    isTranscode: true,
    transcodeHardware: false,
    transcodeAccelerator: null,
    transcodeReasons: ['AudioCodecNotSupported'],
    bitrateKbps: 6000,
    sourceBitrateKbps: 6500,
    bandwidthKbps: 6600,
    sourceVideoResolution: '720',
    streamVideoResolution: '720',
    sourceVideoCodec: 'h264',
    streamVideoCodec: 'h264',
    sourceAudioCodec: 'dts',
    streamAudioCodec: 'aac',
    container: 'mp4',
  },
  {
    videoDecision: 'DIRECT_STREAM',
    audioDecision: 'DIRECT_STREAM',
    isTranscode: false,
    transcodeHardware: null,
    transcodeAccelerator: null,
    transcodeReasons: [],
    bitrateKbps: 4000,
    sourceBitrateKbps: 4000,
    bandwidthKbps: 4400,
    sourceVideoResolution: '720',
    streamVideoResolution: '720',
    sourceVideoCodec: 'hevc',
    streamVideoCodec: 'hevc',
    sourceAudioCodec: 'aac',
    streamAudioCodec: 'aac',
    container: 'mp4',
  },
];

export interface HistoryOptions {
  seed?: number;
  servers?: string[];
  accounts?: number;
  plays?: number;
  from?: number;
  days?: number;
  stepMs?: number;
  /** Plays still going on at the end (no STOPPED event yet). */
  livePlays?: number;
}

interface GeneratedPlay {
  serverId: string;
  accountKey: string;
  sessionKey: string;
  startedAt: number;
  events: PlaybackEvent[];
  /** The final event: STOPPED, or the last observation of a live play. */
  last: PlaybackEvent;
  live: boolean;
}

export interface History {
  plays: GeneratedPlay[];
  events: PlaybackEvent[];
  metrics: ServerMetricsSample[];
  end: number;
}

export function generateHistory(options: HistoryOptions = {}): History {
  const random = rng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const servers = options.servers ?? ['plex-a', 'jf-b'];
  const from = options.from ?? Date.UTC(2026, 9, 1);
  const days = options.days ?? 20;
  const step = options.stepMs ?? 45_000;
  const count = options.plays ?? 300;
  const live = options.livePlays ?? 3;
  const end = from + days * 86_400_000;
  const plays: GeneratedPlay[] = [];
  for (let n = 0; n < count; n++) {
    const isLive = n >= count - live;
    const serverId = pick(servers);
    const userId = String(1 + Math.floor(random() * (options.accounts ?? 12)));
    const item = pick(ITEMS);
    const lengthMs = Math.round((5 + random() * 85) * 60_000);
    const start = isLive
      ? end - Math.round(lengthMs / 2)
      : from + Math.floor(random() * (end - from - lengthMs - step));
    const startAt = start - (start % 1000);
    const place = pick(PLACES);
    const pauseAt = random() < 0.4 ? startAt + Math.round(lengthMs * 0.3) : null;
    const pauseLength = Math.round((2 + random() * 10) * 60_000);
    const observed: ObservedSession = {
      sessionKey: `s${n}`,
      terminateId: `t${n}`,
      userId,
      userName: `user${userId}`,
      media: {
        ...item,
        parentItemId: null,
        parentTitle: null,
        seasonNumber: null,
        episodeNumber: null,
        year: 2020,
        libraryId: '1',
        imageRef: null,
      },
      device: pick(DEVICES),
      clientIp: place.ip,
      networkLocation: place.countryCode ? 'WAN' : 'LAN',
      playState: 'PLAYING',
      positionMs: 0,
      durationMs: 7_200_000,
      quality:
        item.mediaType === 'TRACK'
          ? {
              ...QUALITIES[1]!,
              videoDecision: 'NONE',
              sourceVideoResolution: null,
              streamVideoResolution: null,
              sourceVideoCodec: null,
              streamVideoCodec: null,
            }
          : pick(QUALITIES),
    };
    let state: TrackerState = {};
    const events: PlaybackEvent[] = [];
    const stopAt = isLive ? end : startAt + lengthMs;
    for (let t = startAt; t < stopAt; t += step) {
      const paused = pauseAt !== null && t >= pauseAt && t < pauseAt + pauseLength;
      const snapshot = {
        ...observed,
        playState: paused ? ('PAUSED' as const) : ('PLAYING' as const),
        positionMs: t - startAt,
      };
      const diff = diffSessions(
        { id: serverId, type: serverId.startsWith('plex') ? 'PLEX' : 'JELLYFIN' },
        state,
        [snapshot],
        t,
      );
      state = diff.next;
      events.push(...diff.events.map((e) => ({ ...e, ...placeAddress(historyGeo, e) })));
    }
    if (!isLive) {
      const diff = diffSessions(
        { id: serverId, type: serverId.startsWith('plex') ? 'PLEX' : 'JELLYFIN' },
        state,
        [],
        stopAt,
      );
      events.push(...diff.events.map((e) => ({ ...e, ...placeAddress(historyGeo, e) })));
    }
    plays.push({
      serverId,
      accountKey: events[0]!.accountKey,
      sessionKey: observed.sessionKey,
      startedAt: startAt,
      events,
      last: events[events.length - 1]!,
      live: isLive,
    });
  }
  const metrics: ServerMetricsSample[] = [];
  for (const serverId of servers) {
    for (let t = from; t < end; t += 15 * 60_000) {
      const bandwidth = Math.round(5000 + random() * 20_000);
      metrics.push({
        sampleId: `${serverId}:${t}`,
        serverId,
        serverType: serverId.startsWith('plex') ? 'PLEX' : 'JELLYFIN',
        sampledAt: t,
        status: random() < 0.02 ? 'DOWN' : 'UP',
        statusDetail: null,
        responseTimeMs: 20,
        processCpuPercent: null,
        hostCpuPercent: Math.round(random() * 100),
        processMemoryPercent: null,
        hostMemoryPercent: null,
        activeSessions: Math.floor(random() * 5),
        transcodeSessions: Math.floor(random() * 2),
        directPlaySessions: 0,
        directStreamSessions: 0,
        totalBandwidthKbps: bandwidth,
        lanBandwidthKbps: Math.round(bandwidth / 3),
        wanBandwidthKbps: bandwidth - Math.round(bandwidth / 3),
      });
    }
  }
  const events = plays.flatMap((p) => p.events).sort((a, b) => a.observedAt - b.observedAt);
  return { plays, events, metrics, end };
}
