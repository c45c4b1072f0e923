// Valid sample records for tests and benchmarks; override what a test cares about.
import type { PlaybackEvent, Violation, ServerMetricsSample, TrustScoreChange } from '../schemas/index.ts';

export function samplePlaybackEvent(overrides: Partial<PlaybackEvent> = {}): PlaybackEvent {
  const observedAt = overrides.observedAt ?? Date.UTC(2026, 10, 1, 20, 0, 0);
  const sessionKey = overrides.sessionKey ?? 'sess-1';
  return {
    eventId: `${sessionKey}:${overrides.eventType ?? 'STARTED'}:${observedAt}`,
    eventType: 'STARTED',
    observedAt,
    serverId: 'plex-home',
    serverType: 'PLEX',
    accountKey: 'plex-home:42',
    userId: '42',
    userName: 'alice',
    sessionKey,
    media: {
      itemId: '1001',
      title: 'The Long Night',
      mediaType: 'EPISODE',
      parentItemId: '1000',
      parentTitle: 'Season 8',
      grandparentItemId: '999',
      grandparentTitle: 'Westeros',
      seasonNumber: 8,
      episodeNumber: 3,
      year: 2019,
      libraryId: '2',
    },
    device: {
      deviceId: 'a1b2c3',
      deviceName: 'Living Room TV',
      player: 'Living Room TV',
      product: 'Plex for Android (TV)',
      platform: 'Android',
      productVersion: '10.1.0',
    },
    clientIp: '203.0.113.7',
    networkLocation: 'WAN',
    playState: 'PLAYING',
    positionMs: 0,
    durationMs: 4_920_000,
    quality: {
      videoDecision: 'TRANSCODE',
      audioDecision: 'DIRECT_STREAM',
      isTranscode: true,
      transcodeHardware: true,
      transcodeReasons: ['video bitrate exceeds limit'],
      bitrateKbps: 8000,
      sourceBitrateKbps: 24_000,
      bandwidthKbps: 8800,
      sourceVideoResolution: '4k',
      streamVideoResolution: '1080',
      sourceVideoCodec: 'hevc',
      streamVideoCodec: 'h264',
      sourceAudioCodec: 'eac3',
      streamAudioCodec: 'eac3',
      container: 'mkv',
    },
    playStartedAt: observedAt,
    playedMs: 0,
    pausedMs: 0,
    ...overrides,
  };
}

export function sampleViolation(overrides: Partial<Violation> = {}): Violation {
  return {
    violationId: 'v-1',
    rule: 'IMPOSSIBLE_TRAVEL',
    severity: 'HIGH',
    accountKey: 'plex-home:42',
    serverId: 'plex-home',
    userId: '42',
    userName: 'alice',
    detectedAt: Date.UTC(2026, 10, 1, 20, 30, 0),
    sessionKeys: ['sess-1', 'sess-2'],
    trustPenalty: 20,
    summary: 'Boston -> London, 5,265 km in 30 min = 10,530 km/h',
    evidence: {
      locations: [
        { sessionKey: 'sess-1', observedAt: Date.UTC(2026, 10, 1, 20, 0, 0), ip: '198.51.100.1', city: 'Boston', region: 'Massachusetts', countryCode: 'US', latitude: 42.3601, longitude: -71.0589, accuracyRadiusKm: 20, deviceId: 'a1', deviceName: 'TV' },
        { sessionKey: 'sess-2', observedAt: Date.UTC(2026, 10, 1, 20, 30, 0), ip: '198.51.100.2', city: 'London', region: 'England', countryCode: 'GB', latitude: 51.5072, longitude: -0.1276, accuracyRadiusKm: 20, deviceId: 'b2', deviceName: 'Phone' },
      ],
      distanceKm: 5265,
      elapsedMs: 1_800_000,
      speedKmh: 10_530,
      count: null,
      limit: null,
      windowMs: null,
      ips: ['198.51.100.1', '198.51.100.2'],
      deviceIds: ['a1', 'b2'],
      countryCode: null,
      lastActivityAt: null,
    },
    ...overrides,
  };
}

export function sampleServerMetrics(overrides: Partial<ServerMetricsSample> = {}): ServerMetricsSample {
  return {
    sampleId: 'plex-home:1761998400000',
    serverId: 'plex-home',
    serverType: 'PLEX',
    sampledAt: Date.UTC(2026, 10, 1, 20, 0, 0),
    status: 'UP',
    statusDetail: null,
    responseTimeMs: 35,
    processCpuPercent: 12.5,
    hostCpuPercent: 30.1,
    processMemoryPercent: 4.2,
    hostMemoryPercent: 61.0,
    activeSessions: 3,
    transcodeSessions: 1,
    directPlaySessions: 1,
    directStreamSessions: 1,
    totalBandwidthKbps: 21_000,
    lanBandwidthKbps: 9000,
    wanBandwidthKbps: 12_000,
    ...overrides,
  };
}

export function sampleTrustScoreChange(overrides: Partial<TrustScoreChange> = {}): TrustScoreChange {
  return {
    changeId: 'tc-1',
    accountKey: 'plex-home:42',
    serverId: 'plex-home',
    userId: '42',
    changedAt: Date.UTC(2026, 10, 1, 20, 30, 0),
    previousScore: 100,
    newScore: 80,
    delta: -20,
    reason: 'VIOLATION',
    violationId: 'v-1',
    rule: 'IMPOSSIBLE_TRAVEL',
    note: null,
    ...overrides,
  };
}
