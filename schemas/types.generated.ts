// Generated from schemas/*.avsc by `npm run schemas:types`. Do not edit by hand.

export const AuthRevocationKindValues = ['SESSION', 'TOKEN', 'UNKNOWN', 'USER'] as const;
export type AuthRevocationKind = (typeof AuthRevocationKindValues)[number];

/** A sign-in session or API token withdrawn, or a dashboard user changed (role, password, removal); every API process drops it from its cache at once. Topic streamwarden.auth-revocations, keyed by credentialId. Carries no secret: sessions are named by the SHA-256 of their id, tokens by their public id. */
export interface AuthRevocation {
  revocationId: string;
  kind: AuthRevocationKind;
  /** SESSION: hex SHA-256 of the session id; TOKEN: the token id (the 12 hex digits after sw_); USER: the user name, every credential of which is dropped. */
  credentialId: string;
  username: string;
  revokedAt: number;
}

export const DeadLetterKindValues = ['UNDECODABLE', 'UNKNOWN_SCHEMA', 'INVALID', 'PROCESSING_FAILED'] as const;
export type DeadLetterKind = (typeof DeadLetterKindValues)[number];

/** A record a consumer could not process, kept whole with the reason. Topic streamwarden.dead-letter, keyed like the original. */
export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  /** Kafka offsets are 64-bit; kept as a decimal string. */
  sourceOffset: string;
  consumerGroup: string;
  key: null | Buffer;
  /** The original bytes, untouched. */
  value: null | Buffer;
  headers: Record<string, string>;
  errorKind: DeadLetterKind;
  /** Human-readable reason. */
  error: string;
  failedAt: number;
}

export const ServerTypeValues = ['PLEX', 'JELLYFIN', 'EMBY'] as const;
export type ServerType = (typeof ServerTypeValues)[number];

export const MediaTypeValues = ['MOVIE', 'EPISODE', 'TRACK', 'LIVE_TV', 'VIDEO', 'PHOTO', 'OTHER'] as const;
export type MediaType = (typeof MediaTypeValues)[number];

export interface LibraryItemRecord {
  itemId: string;
  title: string;
  mediaType: MediaType;
  grandparentTitle: null | string;
  year: null | number;
  /** Episodes: the season (Plex parentIndex, Jellyfin/Emby ParentIndexNumber). Added in version 2. */
  seasonNumber: null | number;
  /** Episodes: the episode in its season (Plex index, Jellyfin/Emby IndexNumber). Added in version 2. */
  episodeNumber: null | number;
  /** Ids of the item outside the server, as provider:id (imdb:tt0113277, tmdb:949, tvdb:81189, plex:movie/5d77...), from Plex Guid elements and guid, or Jellyfin/Emby ProviderIds: the same item on several servers shares them. Added in version 2. */
  externalIds: string[];
  addedAt: null | number;
  durationMs: null | number;
  sizeBytes: null | number;
  videoResolution: null | string;
  videoCodec: null | string;
  audioCodec: null | string;
  container: null | string;
  bitrateKbps: null | number;
  path: null | string;
  /** The item's poster as the server names it (see PlaybackEvent.media.imageRef), for the image proxy. Added in version 3. */
  imageRef: null | string;
}

/** One page of a full read of one library of a media server. Topic streamwarden.library-snapshots, keyed by serverId:libraryId so a snapshot's pages stay in order. The page with lastPage = true closes the snapshot: items of the library not seen in it have been removed. */
export interface LibrarySnapshotPage {
  serverId: string;
  serverType: ServerType;
  libraryId: string;
  libraryTitle: string;
  /** movie, show, artist (Plex) or movies, tvshows, music (Jellyfin/Emby). */
  libraryKind: string;
  /** When the read began; the same on every page of one snapshot. */
  snapshotAt: number;
  page: number;
  lastPage: boolean;
  /** Items the server reported for the library. */
  totalItems: number;
  items: LibraryItemRecord[];
}

export const OperatorEventTypeValues = ['STREAM_STARTED', 'STREAM_STOPPED', 'STREAM_PAUSED', 'STREAM_RESUMED', 'STREAM_STILL_PAUSED', 'TRANSCODE_STARTED', 'SERVER_DOWN', 'SERVER_UP', 'SERVER_AUTH_FAILED', 'NEW_DEVICE', 'NEW_LOCATION', 'RECENTLY_ADDED', 'TRUST_THRESHOLD', 'IMPORT_FINISHED', 'IMPORT_FAILED', 'UNKNOWN'] as const;
export type OperatorEventType = (typeof OperatorEventTypeValues)[number];

export const OperatorEventSeverityValues = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type OperatorEventSeverity = (typeof OperatorEventSeverityValues)[number];

/** Something an operator may want to hear about, beside the detection rules' findings: a stream started, stopped, paused (and still paused, every five minutes), resumed or began transcoding; an account played on a device or from a place it never used before; titles were added to a library (one event per library and hour); a trust score crossed a threshold; a server went down, came back or refused its credentials; a history import finished or failed. Topic streamwarden.events, keyed by accountKey (serverId for a server's events). The notifier routes each type to the channels that ask for it. */
export interface OperatorEvent {
  /** Deterministic (type and the record it comes from): found again in a replay, it has the same id, so each channel hears of it once. */
  eventId: string;
  /** What happened; a reader on an older version sees a newer type as UNKNOWN. */
  type: OperatorEventType;
  /** When it happened on the server (as the connector saw it). */
  occurredAt: number;
  serverId: string;
  /** server_id:user_id of the account, for events of a play. */
  accountKey: null | string;
  userName: null | string;
  /** The person the account is linked to, if any. */
  personId: null | string;
  /** The play's session, for events of a play. */
  sessionKey: null | string;
  /** INFO for plays; a server down or refusing credentials is HIGH. */
  severity: OperatorEventSeverity;
  /** One line in English; the notifier words it in the install's language from the type and details. */
  summary: string;
  /** What the message needs: title, device, player, place, ip, decision and transcode reasons for plays (pausedMinutes for a pause going on); status detail for servers; library, count and titles for additions; threshold and scores for trust; source, plays added and error for imports. */
  details: Record<string, string>;
}

export const PlaybackEventTypeValues = ['STARTED', 'PROGRESS', 'PAUSED', 'RESUMED', 'STOPPED'] as const;
export type PlaybackEventType = (typeof PlaybackEventTypeValues)[number];

export interface MediaItem {
  /** Plex ratingKey, Jellyfin/Emby item Id. */
  itemId: string;
  title: string;
  mediaType: MediaType;
  /** Season or album. */
  parentItemId: null | string;
  parentTitle: null | string;
  /** Series or artist. */
  grandparentItemId: null | string;
  grandparentTitle: null | string;
  seasonNumber: null | number;
  episodeNumber: null | number;
  year: null | number;
  /** Plex librarySectionID, Jellyfin/Emby parent library id when known. */
  libraryId: null | string;
  /** The poster as the server names it, to be fetched through Streamwarden's image proxy (it never leaves with a token): Plex an art path on the server (/library/metadata/<id>/thumb/<version>: the show's poster for episodes, the album's art for tracks); Jellyfin/Emby '<itemId>/<imageTag>' of a Primary image (the series' for episodes, the album's for tracks). Null when the item has none. Added in version 5. */
  imageRef: null | string;
}

export interface Device {
  /** Plex Player.machineIdentifier, Jellyfin/Emby DeviceId. */
  deviceId: string;
  /** User-controlled: escape before rendering. */
  deviceName: string;
  /** Player title (Plex Player.title) or client name (Jellyfin/Emby Client). */
  player: string;
  /** Application, e.g. 'Plex for Android', 'Jellyfin Web'. */
  product: string;
  /** OS or platform, e.g. 'Android', 'Chrome', 'tvOS'. */
  platform: string;
  productVersion: null | string;
}

export const NetworkLocationValues = ['LAN', 'WAN', 'UNKNOWN'] as const;
export type NetworkLocation = (typeof NetworkLocationValues)[number];

export const PlayStateValues = ['PLAYING', 'PAUSED', 'BUFFERING', 'STOPPED'] as const;
export type PlayState = (typeof PlayStateValues)[number];

export const StreamDecisionValues = ['DIRECT_PLAY', 'DIRECT_STREAM', 'TRANSCODE', 'NONE', 'UNKNOWN'] as const;
export type StreamDecision = (typeof StreamDecisionValues)[number];

export interface StreamQuality {
  /** DIRECT_STREAM is Plex 'copy' / a remux; NONE when the item has no such stream. */
  videoDecision: StreamDecision;
  audioDecision: StreamDecision;
  /** True when the server transcodes video or audio for this session. */
  isTranscode: boolean;
  transcodeHardware: null | boolean;
  /** The hardware accelerator transcoding (vaapi, qsv, nvenc, VAAPI...), as the server names it. Added in version 3. */
  transcodeAccelerator: null | string;
  transcodeReasons: string[];
  /** Bitrate of what is sent to the client. */
  bitrateKbps: null | number;
  /** Bitrate of the file on the server. */
  sourceBitrateKbps: null | number;
  /** Bandwidth the server attributes to the session (Plex Session.bandwidth). */
  bandwidthKbps: null | number;
  /** e.g. '4k', '1080', '720', 'sd'. */
  sourceVideoResolution: null | string;
  streamVideoResolution: null | string;
  sourceVideoCodec: null | string;
  streamVideoCodec: null | string;
  sourceAudioCodec: null | string;
  streamAudioCodec: null | string;
  container: null | string;
}

export interface Place {
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  region: null | string;
  city: null | string;
  latitude: null | number;
  longitude: null | number;
  /** Radius of uncertainty in km (MaxMind only). */
  accuracyRadiusKm: null | number;
}

/** One observation of a playback session on a media server, normalised across Plex, Jellyfin and Emby. Topic streamwarden.playback-events, keyed by accountKey so that one account's events stay in order. */
export interface PlaybackEvent {
  /** Deterministic id of this observation (server, session, event type, observedAt): re-reading the same server state yields the same id, so consumers can deduplicate. */
  eventId: string;
  /** Lifecycle step: STARTED once, then PROGRESS/PAUSED/RESUMED, STOPPED exactly once. */
  eventType: PlaybackEventType;
  /** When the connector saw this state (UTC, ms since epoch). */
  observedAt: number;
  /** Streamwarden's id of the media server. */
  serverId: string;
  serverType: ServerType;
  /** Stable key of the account across servers: '<serverId>:<userId>'. Kafka message key (on streamwarden.person-plays the key is personId). */
  accountKey: string;
  /** The server's own user id. */
  userId: string;
  /** Display name as the server reports it (user-controlled: escape before rendering). */
  userName: string;
  /** The server's id of the playback session (Plex Session.id, Jellyfin/Emby Session Id). */
  sessionKey: string;
  media: MediaItem;
  device: Device;
  /** Address the server saw the client at (Plex Player.address, Jellyfin/Emby RemoteEndPoint). */
  clientIp: string;
  /** What the server says about the client's network (Plex Session.location / Player.local; Jellyfin/Emby from the address). */
  networkLocation: NetworkLocation;
  playState: PlayState;
  /** Playhead position (Plex viewOffset; Jellyfin/Emby PositionTicks / 10,000). */
  positionMs: number;
  /** Length of the item (Plex duration; RunTimeTicks / 10,000). */
  durationMs: null | number;
  quality: StreamQuality;
  /** When this play began (observedAt of its STARTED event). With serverId and sessionKey it identifies the play. Added in version 2. */
  playStartedAt: null | number;
  /** Wall-clock time spent playing or buffering since the play began, as of this event (cumulative, never decreases). Added in version 2. */
  playedMs: null | number;
  /** Wall-clock time spent paused since the play began, as of this event (cumulative). Added in version 2. */
  pausedMs: null | number;
  /** Where clientIp is, looked up once by the producer; null for a local or unknown address. Consumers read it instead of looking the address up again, so a replay sees the same place even after the GeoIP database changed. Added in version 3. */
  location: null | Place;
  /** The GeoIP database the producer placed clientIp with; null in records written before version 3, which carry no location. Added in version 3. */
  geoSource: null | string;
  /** The person the account is linked to (one human's accounts on any servers). Set only on streamwarden.person-plays, where the processor copies the events of linked accounts keyed by this id; null on streamwarden.playback-events. Added in version 4. */
  personId: null | string;
}

export const ServerStatusValues = ['UP', 'DOWN', 'AUTH_FAILED', 'DEGRADED'] as const;
export type ServerStatus = (typeof ServerStatusValues)[number];

/** One sample of a media server's health and load. Topic streamwarden.server-metrics, keyed by serverId. */
export interface ServerMetricsSample {
  /** Deterministic id (serverId and sampledAt), for deduplication. */
  sampleId: string;
  serverId: string;
  serverType: ServerType;
  sampledAt: number;
  /** Reachability as the connector sees it. */
  status: ServerStatus;
  /** Reason for a status other than UP (HTTP status, timeout, parse error). */
  statusDetail: null | string;
  /** Latency of the sessions request that produced this sample. */
  responseTimeMs: null | number;
  /** Media server process CPU (Plex /statistics/resources). */
  processCpuPercent: null | number;
  hostCpuPercent: null | number;
  processMemoryPercent: null | number;
  hostMemoryPercent: null | number;
  activeSessions: number;
  transcodeSessions: number;
  directPlaySessions: number;
  directStreamSessions: number;
  /** Sum of session bandwidth at the sample time. */
  totalBandwidthKbps: number;
  lanBandwidthKbps: number;
  wanBandwidthKbps: number;
}

export const StreamCommandKindValues = ['TERMINATE', 'UNKNOWN', 'MESSAGE'] as const;
export type StreamCommandKind = (typeof StreamCommandKindValues)[number];

/** An action on a media server requested by the API or an automatic rule action, carried out by the connectors role that watches the server. Topic streamwarden.stream-commands, keyed by serverId. */
export interface StreamCommand {
  /** Unique per request; a connector carries each id out once. */
  commandId: string;
  /** TERMINATE stops the stream showing the message where the server can; MESSAGE only shows the message (Jellyfin and Emby; Plex has no way to message a client). */
  kind: StreamCommandKind;
  serverId: string;
  sessionKey: string;
  /** Shown to the viewer where the server can. */
  message: string;
  /** Administrator, API token owner, or rule:<RULE> for automatic actions. */
  requestedBy: string;
  requestedAt: number;
  /** After this a connector ignores the command (a stream stopped minutes late surprises everyone). */
  expiresAt: number;
}

export const TrustChangeReasonValues = ['VIOLATION', 'RECOVERY', 'MANUAL', 'RESET', 'UNKNOWN', 'FALSE_ALARM', 'FALSE_ALARM_WITHDRAWN'] as const;
export type TrustChangeReason = (typeof TrustChangeReasonValues)[number];

/** Every change of an account's trust score (0..100, starting at 100), with its reason. Topic streamwarden.trust-score-changes, keyed by accountKey. */
export interface TrustScoreChange {
  /** Deterministic (account, reason, violationId or recovery day), for deduplication. */
  changeId: string;
  accountKey: string;
  serverId: string;
  userId: string;
  changedAt: number;
  previousScore: number;
  newScore: number;
  /** newScore - previousScore, after clamping to 0..100. */
  delta: number;
  reason: TrustChangeReason;
  /** The violation that took the points (VIOLATION) or that an admin marked a false alarm (FALSE_ALARM: points given back) and later unmarked (FALSE_ALARM_WITHDRAWN: taken again). */
  violationId: null | string;
  /** Rule id when reason is VIOLATION, FALSE_ALARM or FALSE_ALARM_WITHDRAWN. */
  rule: null | string;
  note: null | string;
}

export const RuleIdValues = ['IMPOSSIBLE_TRAVEL', 'SIMULTANEOUS_LOCATIONS', 'DEVICE_VELOCITY', 'CONCURRENT_STREAMS', 'GEO_RESTRICTION', 'ACCOUNT_INACTIVITY', 'SECOND_HOUSEHOLD', 'MULTI_ACCOUNT', 'UNKNOWN'] as const;
export type RuleId = (typeof RuleIdValues)[number];

export const SeverityValues = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SeverityValues)[number];

export interface EvidenceLocation {
  sessionKey: string;
  observedAt: number;
  ip: string;
  city: null | string;
  region: null | string;
  countryCode: null | string;
  latitude: null | number;
  longitude: null | number;
  accuracyRadiusKm: null | number;
  deviceId: null | string;
  deviceName: null | string;
  /** Autonomous system of the address (bundled ASN data), when known. */
  asn: null | number;
  /** The network's operator, e.g. 'Deutsche Telekom AG'. */
  network: null | string;
  /** access (home broadband), mobile (carrier) or hosting (data centre, cloud, VPN). */
  networkType: null | string;
  /** The server of the session, on a person's finding (its sessions may be on several servers); null otherwise. Added in version 4. */
  serverId: null | string;
  /** The account of the session, on a person's finding; null otherwise. Added in version 4. */
  accountKey: null | string;
}

export interface InnocentReason {
  /** Which line, e.g. 'closer' or 'network.operator': the dashboard words it in the viewer's language and unit. */
  code: string;
  /** Its figures as text; a name ending in Km is kilometres, Kmh km/h, Ms milliseconds. */
  params: Record<string, string>;
}

export interface ViolationEvidence {
  locations: EvidenceLocation[];
  distanceKm: null | number;
  elapsedMs: null | number;
  speedKmh: null | number;
  /** Observed count (streams, IPs, devices, idle days). */
  count: null | number;
  /** Configured threshold the count exceeded. */
  limit: null | number;
  windowMs: null | number;
  ips: string[];
  deviceIds: string[];
  /** Country that a geo restriction matched. */
  countryCode: null | string;
  lastActivityAt: null | number;
  /** What would have made it innocent, one plain-language line each, for the admin judging it. */
  innocentIf: string[];
  /** The innocentIf lines as codes with their figures, one for one, for readers in another language. Added in version 6. */
  innocentReasons: InnocentReason[];
}

/** A detection rule fired for an account, or for a person across their accounts (personId). Topic streamwarden.violations, keyed by accountKey. */
export interface Violation {
  /** Deterministic: a hash of rule, account and the triggering sessions/window, so reprocessing the same events yields the same id and never a second violation. */
  violationId: string;
  /** Readers on an older schema see rules added later as UNKNOWN. MULTI_ACCOUNT added in version 5. */
  rule: RuleId;
  severity: Severity;
  accountKey: string;
  serverId: string;
  userId: string;
  userName: string;
  /** Event time of the observation that completed the evidence (not wall-clock), so replays give the same value. */
  detectedAt: number;
  /** Sessions that triggered the rule, in time order. */
  sessionKeys: string[];
  /** Points the rule subtracts from the account's trust score; 0 on a person's finding (personId), which takes points from no account. */
  trustPenalty: number;
  /** Set when the rule ran over a person's accounts on several servers (a cross-server finding): accountKey, serverId and userId are then the account whose session completed the evidence, and each evidence location names its own account and server. Null for an account's own findings. Added in version 4. */
  personId: null | string;
  /** One plain-language line, e.g. 'Boston -> London, 5,265 km in 30 min = 10,530 km/h'. */
  summary: string;
  evidence: ViolationEvidence;
}
