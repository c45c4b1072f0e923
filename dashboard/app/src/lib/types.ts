// Shapes the API returns, as the dashboard uses them.
export interface LiveSession {
  serverId: string;
  serverType: string;
  accountKey: string;
  userName: string;
  sessionKey: string;
  title: string;
  grandparentTitle: string;
  mediaType: string;
  year: number | null;
  deviceId: string;
  deviceName: string;
  player: string;
  product: string;
  platform: string;
  clientIp: string;
  countryCode: string;
  city: string;
  latitude: number | null;
  longitude: number | null;
  state: string;
  positionMs: number;
  durationMs: number | null;
  videoDecision: string;
  isTranscode: boolean;
  bitrateKbps: number | null;
  bandwidthKbps: number | null;
  sourceVideoResolution: string;
  streamVideoResolution: string;
  startedAt: number;
  lastSeenAt: number;
}

export interface ServerSample {
  serverId: string;
  serverType: string;
  sampledAt: number;
  status: 'UP' | 'DOWN' | 'AUTH_FAILED' | string;
  statusDetail: string | null;
  hostCpuPercent: number | null;
  processCpuPercent: number | null;
  hostMemoryPercent: number | null;
  activeSessions: number;
  transcodeSessions: number;
  totalBandwidthKbps: number;
}

export interface EvidenceLocation {
  sessionKey: string;
  observedAt: number;
  ip: string;
  city: string | null;
  countryCode: string | null;
  latitude: number | null;
  longitude: number | null;
  deviceName: string | null;
}

export interface ViolationRow {
  violation_id: string;
  rule: string;
  severity: string;
  account_key: string;
  server_id: string;
  user_name: string;
  detectedAt: string;
  summary: string;
  session_keys: string[];
  trust_penalty: number;
  status: string;
  evidence: { locations: EvidenceLocation[]; distanceKm: number | null; elapsedMs: number | null; speedKmh: number | null; count: number | null; limit: number | null; ips: string[]; deviceIds: string[] };
}

export interface LiveViolation {
  violationId: string;
  rule: string;
  severity: string;
  accountKey: string;
  serverId: string;
  userName: string;
  detectedAt: number;
  summary: string;
}

export interface MediaServer {
  id: string;
  name: string;
  type: 'plex' | 'jellyfin' | 'emby';
  url: string;
  enabled: boolean;
  tokenSet: boolean;
  pollIntervalMs?: number;
  latitude?: number;
  longitude?: number;
  status: { status: string; detail: string | null; activeSessions: number } | null;
}

export interface SessionRow {
  serverId: string;
  accountKey: string;
  sessionKey: string;
  startedAt: string;
  stoppedAt: string | null;
  state: string;
  userName: string;
  title: string;
  grandparentTitle: string;
  mediaType: string;
  deviceName: string;
  player: string;
  platform: string;
  product: string;
  clientIp: string;
  countryCode: string;
  city: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  playedMs: number;
  durationMs: number | null;
  videoDecision: string;
  audioDecision: string;
  isTranscode: boolean;
  bitrateKbps: number | null;
  bandwidthKbps: number | null;
  sourceVideoResolution: string;
  streamVideoResolution: string;
  sourceVideoCodec: string;
  streamVideoCodec: string;
  sourceAudioCodec: string;
  streamAudioCodec: string;
}

export interface Place {
  latitude: number;
  longitude: number;
  city: string;
  countryCode: string;
  plays: number;
  users: number;
}
