// The JSON shapes of the API, declared once as JSON Schema (TypeBox): Fastify validates and
// serialises with them, the OpenAPI document shows them, and the dashboard imports the same
// TypeScript types (dashboard/app/src/lib/types.ts). Routes without a shape here yet document
// their answers by example (api/__snapshots__/get-routes.json).
import Type, { type Static } from 'typebox';
import { Nullable, type Same } from './contract/shapes.ts';
import type { SessionQueries, SessionRow } from '../warehouse/queries/index.ts';
import type { UserListEntry } from '../warehouse/queries/people.ts';
import type { ServerLoadPoint } from '../warehouse/queries/server-metrics.ts';
import type { NetworkFields } from './network-view.ts';

/** Every error reply (api/errors.ts). */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.Optional(Type.String({ description: "Fastify's own refusals: FST_ERR_VALIDATION, ..." })),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'Error' },
);

/** What the stored and the live shape of a play both say. */
const playFields = {
  serverId: Type.String(),
  serverType: Type.String({ description: 'PLEX, JELLYFIN or EMBY' }),
  accountKey: Type.String({ description: 'server_id:user_id' }),
  sessionKey: Type.String(),
  state: Type.String(),
  userName: Type.String(),
  title: Type.String(),
  grandparentTitle: Type.String(),
  mediaType: Type.String(),
  poster: Nullable(
    Type.String({
      description:
        "Address of the item's poster through the image proxy (GET /api/v1/servers/{id}/image; add &width=80|160|320|480); null when the server has none",
    }),
  ),
  year: Nullable(Type.Integer()),
  seasonNumber: Nullable(Type.Integer({ description: 'Episodes: the season' })),
  episodeNumber: Nullable(Type.Integer({ description: 'Episodes: the episode in its season' })),
  deviceId: Type.String(),
  deviceName: Type.String(),
  player: Type.String(),
  product: Type.String(),
  productVersion: Type.String({ description: "The client's version" }),
  platform: Type.String(),
  clientIp: Type.String(),
  networkLocation: Type.String({ description: 'LAN, WAN or UNKNOWN' }),
  asn: Nullable(
    Type.Integer({ description: "The address's autonomous system (bundled ASN data); null for LAN or unknown" }),
  ),
  network: Type.String({
    description: "The address's network operator, e.g. 'Deutsche Telekom AG'; empty when unknown",
  }),
  networkType: Type.String({
    description: 'access (home broadband), mobile (carrier) or hosting (data centre, cloud, VPN); empty when unknown',
  }),
  countryCode: Type.String(),
  city: Type.String(),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  positionMs: Type.Number(),
  durationMs: Nullable(Type.Number()),
  pausedMs: Type.Number(),
  videoDecision: Type.String(),
  isTranscode: Type.Boolean(),
  transcodeHardware: Nullable(Type.Boolean({ description: 'null when not transcoding' })),
  transcodeAccelerator: Type.String({
    description: 'vaapi, qsv, nvenc... as the server names it; empty: none or unknown',
  }),
  transcodeReasons: Type.Array(Type.String()),
  bitrateKbps: Nullable(Type.Number()),
  bandwidthKbps: Nullable(Type.Number()),
  sourceVideoResolution: Type.String(),
  streamVideoResolution: Type.String(),
  container: Type.String(),
};

/** One play, as stored: times are ISO 8601 in UTC ("2026-11-26T20:00:00.000Z"). */
const Session = Type.Object(
  {
    ...playFields,
    startedAt: Type.String(),
    lastSeenAt: Type.String(),
    stoppedAt: Nullable(Type.String()),
    region: Type.String(),
    playedMs: Type.Number(),
    audioDecision: Type.String(),
    sourceVideoCodec: Type.String(),
    streamVideoCodec: Type.String(),
    sourceAudioCodec: Type.String(),
    streamAudioCodec: Type.String(),
  },
  { $id: 'Session', additionalProperties: false },
);
/** @public Read by the dashboard (dashboard/app/src/lib/types.ts), which knip does not follow. */
export type Session = Static<typeof Session>;

const sessionExample: Session = {
  serverId: 'plex-home',
  serverType: 'PLEX',
  accountKey: 'plex-home:1234',
  sessionKey: '42',
  state: 'PLAYING',
  userName: 'alice',
  title: 'Chapter 11',
  grandparentTitle: 'Stranger Things',
  mediaType: 'EPISODE',
  poster: '/api/v1/servers/plex-home/image?ref=%2Flibrary%2Fmetadata%2F311%2Fthumb%2F1764201600',
  year: 2016,
  seasonNumber: 1,
  episodeNumber: 11,
  deviceId: 'a1b2c3',
  deviceName: 'Living Room TV',
  player: 'SHIELD Android TV',
  product: 'Plex for Android (TV)',
  productVersion: '10.21.0',
  platform: 'Android',
  clientIp: '81.2.69.142',
  networkLocation: 'WAN',
  asn: 2856,
  network: 'British Telecommunications PLC',
  networkType: 'access',
  countryCode: 'GB',
  city: 'London',
  latitude: 51.51,
  longitude: -0.09,
  positionMs: 1_026_000,
  durationMs: 3_120_000,
  pausedMs: 0,
  videoDecision: 'TRANSCODE',
  isTranscode: true,
  transcodeHardware: true,
  transcodeAccelerator: 'vaapi',
  transcodeReasons: ['video codec not supported'],
  bitrateKbps: 8000,
  bandwidthKbps: 8600,
  sourceVideoResolution: '4k',
  streamVideoResolution: '1080',
  container: 'mkv',
  startedAt: '2026-11-26T20:43:10.000Z',
  lastSeenAt: '2026-11-26T21:00:16.000Z',
  stoppedAt: null,
  region: 'England',
  playedMs: 1_026_000,
  audioDecision: 'DIRECT_PLAY',
  sourceVideoCodec: 'hevc',
  streamVideoCodec: 'h264',
  sourceAudioCodec: 'eac3',
  streamAudioCodec: 'eac3',
};

/** A play going on, as the live feed pushes it: times in ms since the epoch. */
export const LiveSession = Type.Object(
  { ...playFields, startedAt: Type.Number(), lastSeenAt: Type.Number() },
  { $id: 'LiveSession', additionalProperties: false },
);
export type LiveSession = Static<typeof LiveSession>;

export const SessionPage = Type.Object(
  {
    sessions: Type.Array(Type.Ref('Session')),
    nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last' })),
  },
  { examples: [{ sessions: [sessionExample], nextCursor: null }] },
);

export const ActiveSessions = Type.Object(
  { sessions: Type.Array(Type.Ref('Session')) },
  { examples: [{ sessions: [sessionExample] }] },
);

export const SessionDetail = Type.Object(
  {
    session: Type.Ref('Session'),
    timeline: Type.Array(
      Type.Object({
        at: Type.Number(),
        eventType: Type.String(),
        state: Type.String(),
        positionMs: Type.Number(),
        bandwidthKbps: Nullable(Type.Number()),
        videoDecision: Type.String(),
        resolution: Type.String(),
        clientIp: Type.String(),
        countryCode: Type.String(),
        city: Type.String(),
        latitude: Nullable(Type.Number()),
        longitude: Nullable(Type.Number()),
      }),
    ),
  },
  {
    examples: [
      {
        session: sessionExample,
        timeline: [
          {
            at: 1764189790000,
            eventType: 'STARTED',
            state: 'PLAYING',
            positionMs: 0,
            bandwidthKbps: 8600,
            videoDecision: 'TRANSCODE',
            resolution: '1080',
            clientIp: '81.2.69.142',
            countryCode: 'GB',
            city: 'London',
            latitude: 51.51,
            longitude: -0.09,
          },
        ],
      },
    ],
  },
);

/** The overview cards. */
export const Overview = Type.Object(
  {
    streamsNow: Type.Integer(),
    transcodesNow: Type.Integer(),
    bandwidthNowKbps: Type.Number(),
    playsToday: Type.Integer({ description: 'Plays started today (UTC), running ones included' }),
    watchMsToday: Type.Number(),
    usersToday: Type.Integer(),
    totalUsers: Type.Integer(),
  },
  {
    additionalProperties: false,
    examples: [
      {
        streamsNow: 7,
        transcodesNow: 2,
        bandwidthNowKbps: 41_800,
        playsToday: 36,
        watchMsToday: 61_200_000,
        usersToday: 11,
        totalUsers: 58,
      },
    ],
  },
);

const UserListEntrySchema = Type.Object(
  {
    accountKey: Type.String(),
    serverId: Type.String(),
    userId: Type.String(),
    userName: Type.String(),
    firstSeenAt: Type.String(),
    lastSeenAt: Type.String(),
    trustScore: Type.Number({ minimum: 0, maximum: 100 }),
    openViolations: Type.Integer(),
  },
  { additionalProperties: false },
);
export const UserList = Type.Object(
  { users: Type.Array(UserListEntrySchema) },
  {
    examples: [
      {
        users: [
          {
            accountKey: 'plex-home:1234',
            serverId: 'plex-home',
            userId: '1234',
            userName: 'alice',
            firstSeenAt: '2026-01-04T19:02:11.000Z',
            lastSeenAt: '2026-11-26T21:40:00.000Z',
            trustScore: 85,
            openViolations: 1,
          },
        ],
      },
    ],
  },
);

const ServerLoadPointSchema = Type.Object(
  {
    serverId: Type.String(),
    at: Type.Number(),
    cpuPercent: Nullable(Type.Number()),
    memoryPercent: Nullable(Type.Number()),
    sessions: Type.Number(),
    transcodes: Type.Number(),
    bandwidthKbps: Type.Number(),
    downSamples: Type.Number(),
  },
  { additionalProperties: false },
);
export const ServerLoad = Type.Object(
  {
    from: Type.Number(),
    to: Type.Number(),
    bucketSeconds: Type.Integer(),
    points: Type.Array(ServerLoadPointSchema),
  },
  {
    examples: [
      {
        from: 1764115200000,
        to: 1764201600000,
        bucketSeconds: 300,
        points: [
          {
            serverId: 'plex-home',
            at: 1764189600000,
            cpuPercent: 34.5,
            memoryPercent: 41.2,
            sessions: 5,
            transcodes: 2,
            bandwidthKbps: 31_000,
            downSamples: 0,
          },
        ],
      },
    ],
  },
);

/** Shared schemas, registered once so that routes and the OpenAPI document refer to them by name. */
export const SHARED_SCHEMAS = [ErrorBody, Session, LiveSession];

/** The error replies a route may give, for its `response` schema. */
export const errors = { '4xx': Type.Ref('Error'), '5xx': Type.Ref('Error') } as const;

// The warehouse's rows and the contract must stay one shape (a play as stored, plus the network
// and the poster's address the API adds when it reads it): this fails to compile otherwise.
const shapesMatch: [
  Same<Session, Omit<SessionRow, 'imageRef'> & NetworkFields & { poster: string | null }>,
  Same<Static<typeof UserListEntrySchema>, UserListEntry>,
  Same<Static<typeof ServerLoadPointSchema>, ServerLoadPoint>,
  Same<Static<typeof Overview>, Awaited<ReturnType<SessionQueries['overview']>>>,
] = [true, true, true, true];
void shapesMatch;

export { MapPlaces, RankedAnswers, SeriesAnswers } from './contract/analytics.ts';
export {
  Dismissed,
  PeopleList,
  PeopleSuggestions,
  Person,
  PersonDetail,
  PersonOrDissolved,
  Dissolved,
  TrustAdjusted,
  UserProfile,
  ViolationList,
  ViolationReviewed,
  ViolationsReviewed,
} from './contract/people.ts';
export { Distribution, HeldItems, Libraries, MostWatched, NeverWatched } from './contract/library.ts';
export {
  ConnectionTestResult,
  PlexPin,
  PlexServersFound,
  SavedServer,
  ServerList,
  ServerStatusList,
} from './contract/servers.ts';
export {
  AuditPage,
  DashboardUsers,
  IssuedToken,
  Me,
  PasswordChanged,
  PasswordReset,
  Removed,
  Revoked,
  SavedDashboardUser,
  SetupState,
  SignedOut,
  SignInCheck,
  SignInMethods,
  SignInPin,
  SignInSessions,
  Tokens,
  Username,
} from './contract/auth.ts';
export { BacktestAnswer, RuleOverrides, RulesAnswer, RulesPage, SettingsAnswer } from './contract/rules.ts';
export {
  BulkDone,
  Channel,
  Channels,
  ChannelSettingsBody,
  ChannelTest,
  Deliveries,
  Import,
  Imports,
  MessagePreview,
  StopRequested,
} from './contract/operations.ts';
export {
  AutomationBacktestAnswer,
  AutomationBacktestBody,
  AutomationBody,
  AutomationRule,
  Automations,
  Firings,
} from './contract/automations.ts';
export {
  PushKey,
  PushSubscribeBody,
  PushSubscription,
  PushSubscriptions,
  type PushSubscribeInput,
} from './contract/push.ts';
