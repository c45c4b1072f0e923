// The answers about media servers: the list (never a token), the connectors' live status, a
// connection test, and adding Plex servers found through a plex.tv sign-in.
import Type, { type Static, type TInteger } from 'typebox';
import { Nullable, type Covers } from './shapes.ts';
import type { ConnectionTest, PublicServerConfig } from '../../connectors/server-registry.ts';
import type { ConnectorStatus } from '../../connectors/server-connector.ts';

const FAILURES = ['AUTH', 'HTTP', 'TIMEOUT', 'NETWORK', 'MALFORMED', 'EMIT'] as const;
const epochMs = (description: string) => Type.Number({ description: `${description}, ms since the epoch` });

const ConnectorStatusSchema = Type.Object({
  serverId: Type.String(),
  status: Type.Union(
    [
      Type.Literal('UP'),
      Type.Literal('DOWN'),
      Type.Literal('AUTH_FAILED'),
      Type.Literal('DEGRADED'),
      Type.Literal('STARTING'),
    ],
    { description: 'UP, DOWN, AUTH_FAILED, DEGRADED, or STARTING before the first poll' },
  ),
  since: epochMs('In this status since'),
  detail: Nullable(Type.String({ description: 'Why it is down, in words' })),
  lastPollAt: Nullable(epochMs('Last poll')),
  lastSuccessAt: Nullable(epochMs('Last poll that succeeded')),
  activeSessions: Type.Integer(),
  feedConnected: Nullable(
    Type.Boolean({ description: 'The push feed (WebSocket / event source); null: polling only' }),
  ),
  counters: Type.Object({
    polls: Type.Integer(),
    failures: Type.Partial(
      Type.Object(
        Object.fromEntries(FAILURES.map((f) => [f, Type.Integer()])) as Record<(typeof FAILURES)[number], TInteger>,
      ),
      { description: 'Failed requests by kind: AUTH, HTTP, TIMEOUT, NETWORK, MALFORMED; EMIT when the bus refused' },
    ),
    skippedEntries: Type.Integer({ description: 'Entries of a server answer that could not be read' }),
    events: Type.Integer(),
  }),
});

const PublicServer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.Union([Type.Literal('plex'), Type.Literal('jellyfin'), Type.Literal('emby')]),
  url: Type.String(),
  tokenSet: Type.Boolean({ description: 'Whether a token is stored (the token itself is never returned)' }),
  enabled: Type.Boolean(),
  pollIntervalMs: Type.Optional(Type.Integer()),
  stopGraceMs: Type.Optional(Type.Integer()),
  limits: Type.Optional(
    Type.Object({
      concurrency: Type.Optional(Type.Integer()),
      intervalCap: Type.Optional(Type.Integer()),
      intervalMs: Type.Optional(Type.Integer()),
      timeoutMs: Type.Optional(Type.Integer()),
    }),
  ),
  latitude: Type.Optional(Type.Number()),
  longitude: Type.Optional(Type.Number()),
});
const serverExample = {
  id: 'plex-home',
  name: 'Home',
  type: 'plex' as const,
  url: 'http://192.168.1.10:32400',
  tokenSet: true,
  enabled: true,
};

export const SavedServer = Type.Object(PublicServer.properties, { examples: [serverExample] });

export const ServerList = Type.Object(
  {
    readOnlySource: Nullable(
      Type.String({
        description: 'Set when the list comes from STREAMWARDEN_SERVERS_FILE: then it cannot change here',
      }),
    ),
    servers: Type.Array(
      Type.Object({
        ...PublicServer.properties,
        status: Nullable(ConnectorStatusSchema),
      }),
    ),
  },
  { examples: [{ readOnlySource: null, servers: [{ ...serverExample, status: null }] }] },
);

export const ServerStatusList = Type.Object(
  {
    servers: Type.Array(ConnectorStatusSchema, {
      description: 'Empty when the connectors run in another process',
    }),
  },
  {
    examples: [
      {
        servers: [
          {
            serverId: 'plex-home',
            status: 'UP',
            since: 1764100000000,
            detail: null,
            lastPollAt: 1764201590000,
            lastSuccessAt: 1764201590000,
            activeSessions: 3,
            feedConnected: true,
            counters: { polls: 8640, failures: { TIMEOUT: 2 }, skippedEntries: 0, events: 15210 },
          },
        ],
      },
    ],
  },
);

const OUTCOME = Type.Union([
  Type.Literal('REACHABLE'),
  Type.Literal('AUTH_FAILED'),
  Type.Literal('NOT_A_MEDIA_SERVER'),
  Type.Literal('TIMEOUT'),
  Type.Literal('UNREACHABLE'),
  Type.Literal('REFUSED_ADDRESS'),
]);
export const ConnectionTestResult = Type.Object(
  {
    ok: Type.Boolean(),
    outcome: OUTCOME,
    latencyMs: Type.Number(),
    server: Type.Optional(Type.Object({ name: Type.String(), version: Type.String(), machineId: Type.String() })),
    error: Type.Optional(Type.Object({ kind: OUTCOME, message: Type.String() })),
  },
  {
    examples: [
      {
        ok: true,
        outcome: 'REACHABLE',
        latencyMs: 38,
        server: { name: 'Home', version: '1.41.3.9314', machineId: 'a1b2c3' },
      },
    ],
  },
);

export const PlexPin = Type.Object({
  code: Type.String({ description: 'The PIN the person approves' }),
  authUrl: Type.String({ description: 'Where the person approves it (app.plex.tv)' }),
  expiresAt: Type.String({ description: 'ISO 8601' }),
  transaction: Type.String({ description: 'Sealed: pass it back to ask whether the PIN was approved' }),
});

export const PlexServersFound = Type.Object({
  status: Type.Union([Type.Literal('waiting'), Type.Literal('approved')]),
  servers: Type.Optional(
    Type.Array(
      Type.Object({
        machineId: Type.String(),
        name: Type.String(),
        owned: Type.Boolean(),
        connections: Type.Array(Type.Object({ uri: Type.String(), local: Type.Boolean(), relay: Type.Boolean() })),
      }),
    ),
  ),
});

// The registry's and connectors' shapes and these answers must stay one: this fails to compile otherwise.
const shapesMatch: [
  Covers<Static<typeof PublicServer>, PublicServerConfig>,
  Covers<Static<typeof ConnectorStatusSchema>, ConnectorStatus>,
  Covers<Static<typeof ConnectionTestResult>, ConnectionTest>,
] = [true, true, true];
void shapesMatch;
