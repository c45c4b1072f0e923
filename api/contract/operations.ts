// The answers of what the API does rather than reads: notification channels and their deliveries,
// imports, stopping a stream, bulk actions on accounts.
import Type, { type Static, type TSchema } from 'typebox';
import { Nullable, type Covers, type Same } from './shapes.ts';
import { CHANNEL_DEFAULTS, CHANNEL_EVENTS, type ChannelEvent, type PublicChannel } from '../../alerts/channels.ts';
import type { ImportJob } from '../../importers/jobs.ts';
import type { DeliveryRecord } from '../../warehouse/queries/notifications.ts';

const ChannelSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.Union(
    [
      Type.Literal('discord'),
      Type.Literal('webhook'),
      Type.Literal('ntfy'),
      Type.Literal('apprise'),
      Type.Literal('telegram'),
      Type.Literal('email'),
      Type.Literal('gotify'),
      Type.Literal('pushover'),
      Type.Literal('slack'),
      Type.Literal('webpush'),
    ],
    { description: 'Where messages go (webpush: the browsers dashboard users subscribed)' },
  ),
  enabled: Type.Boolean(),
  events: Type.Array(Type.Unsafe<ChannelEvent>(Type.String({ enum: [...CHANNEL_EVENTS] })), {
    description: "What it hears about: the rules' findings (VIOLATION) and the event types of streamwarden.events",
  }),
  rules: Type.Array(Type.String(), { description: 'Rule ids whose findings this channel hears about; empty: all' }),
  minSeverity: Type.Union([
    Type.Literal('LOW'),
    Type.Literal('MEDIUM'),
    Type.Literal('HIGH'),
    Type.Literal('CRITICAL'),
  ]),
  servers: Type.Array(Type.String(), { description: 'Only these media servers; empty: all' }),
  libraries: Type.Array(Type.String(), {
    description: 'Only plays from these libraries (events of plays); empty: all',
  }),
  accounts: Type.Array(Type.String(), { description: 'Only these accounts (server:user) or people; empty: all' }),
  quietHours: Nullable(
    Type.Object(
      { from: Type.String({ examples: ['22:00'] }), to: Type.String({ examples: ['07:00'] }) },
      {
        description:
          "Events below HIGH in these hours (the install's time zone) are held and sent together after them; null: none",
      },
    ),
  ),
  groupMinutes: Type.Integer({
    description: 'Events of one type within this many minutes go as one message; 0: each at once',
  }),
  digest: Type.Union([Type.Literal('off'), Type.Literal('daily'), Type.Literal('weekly')], {
    description:
      "A digest of plays, firsts, findings and additions: daily (from 08:00 in the install's zone), weekly (Mondays) or off",
  }),
  titleTemplate: Type.String({ description: 'With {{variables}}; empty: the built-in one' }),
  bodyTemplate: Type.String(),
  settings: Type.Record(Type.String(), Type.Unknown(), {
    description: "The type's settings without its secrets (a URL with a token, a password...)",
  }),
  secretsSet: Type.Array(Type.String(), { description: 'Which secret settings are stored (never their values)' }),
});
const channelExample = {
  id: 'c0ffee00-0000-4000-8000-000000000001',
  name: 'Admins on ntfy',
  type: 'ntfy' as const,
  enabled: true,
  events: ['VIOLATION' as const, 'SERVER_DOWN' as const, 'SERVER_UP' as const],
  rules: [],
  minSeverity: 'MEDIUM' as const,
  servers: [],
  libraries: [],
  accounts: [],
  quietHours: { from: '23:00', to: '07:00' },
  groupMinutes: 0,
  digest: 'daily' as const,
  titleTemplate: '',
  bodyTemplate: '',
  settings: { serverUrl: 'https://ntfy.sh', topic: 'streamwarden-alerts', priority: 0 },
  secretsSet: ['token'],
};
export const Channel = Type.Object(ChannelSchema.properties, { examples: [channelExample] });
export const Channels = Type.Object(
  { channels: Type.Array(ChannelSchema) },
  { examples: [{ channels: [channelExample] }] },
);
/**
 * A setting described by its default. Described, not constrained: Fastify's validator fills in
 * defaults and coerces types, which would overwrite stored settings a change leaves out; the
 * channel store checks each value.
 */
function fromDefault(value: unknown): TSchema {
  const kind = Array.isArray(value) ? 'a list of text' : typeof value === 'object' ? 'name: value pairs' : typeof value;
  const shown =
    value === '' || (typeof value === 'object' && value !== null) ? '' : `; default ${JSON.stringify(value)}`;
  return Type.Unknown({ description: `${kind}${shown}` });
}

/**
 * A channel's settings, by its type: any of them (a secret left out keeps its stored value). The
 * channel store names a setting the type does not have in its refusal.
 */
export const ChannelSettingsBody = Type.Union(
  Object.entries(CHANNEL_DEFAULTS).map(([type, defaults]) =>
    Type.Partial(Type.Object(Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, fromDefault(v)]))), {
      title: type,
    }),
  ),
  { description: "Settings of the channel's type; secrets left out keep their stored value" },
);

export const MessagePreview = Type.Object(
  {
    title: Type.String({ description: 'The title as the channel would send it' }),
    body: Type.String(),
  },
  {
    examples: [
      {
        title: 'Impossible travel: alice',
        body: 'Boston -> London, 5,265 km in 30 min = 10,530 km/h\nServer: Home Plex · Device: Living Room TV, iPhone · Boston, US / London, GB',
      },
    ],
  },
);

export const ChannelTest = Type.Object({
  ok: Type.Boolean(),
  error: Type.Optional(Type.String({ description: 'What the channel answered when it failed' })),
});

const Delivery = Type.Object({
  violationId: Type.String(),
  channelId: Type.String(),
  channelName: Type.String(),
  channelType: Type.String(),
  status: Type.Union([Type.Literal('SENT'), Type.Literal('FAILED')]),
  attempts: Type.Integer(),
  error: Type.String(),
  rule: Type.String(),
  accountKey: Type.String(),
  summary: Type.String(),
  at: Type.String({ description: 'ISO 8601, UTC' }),
});
export const Deliveries = Type.Object(
  { deliveries: Type.Array(Delivery) },
  {
    examples: [
      {
        deliveries: [
          {
            violationId: '4c1f0d9a2b7e4e61a3d5c8f1e2a9b3c7',
            channelId: channelExample.id,
            channelName: channelExample.name,
            channelType: 'ntfy',
            status: 'SENT',
            attempts: 1,
            error: '',
            rule: 'SIMULTANEOUS_LOCATIONS',
            accountKey: 'plex-home:1234',
            summary: 'Playing at once in London and Berlin, 932 km apart',
            at: '2026-11-26T21:02:01.000Z',
          },
        ],
      },
    ],
  },
);

const ImportJobSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union([
    Type.Literal('tautulli-db'),
    Type.Literal('tautulli-api'),
    Type.Literal('jellystat'),
    Type.Literal('playback-reporting'),
  ]),
  serverId: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  progress: Type.Object({
    read: Type.Integer({ description: 'Plays read from the source so far' }),
    total: Nullable(Type.Integer({ description: 'Plays in all, when the source says' })),
    added: Type.Integer(),
    skipped: Type.Integer({ description: 'Plays imported before (a second import of the same history)' }),
    sourceRows: Type.Integer({ description: "The source's own rows read" }),
    groupedRows: Type.Integer({ description: 'Rows that joined the play they continue (resumed sessions)' }),
    unreadable: Type.Object(
      { 'no-times': Type.Optional(Type.Integer()), 'no-id': Type.Optional(Type.Integer()) },
      { description: 'Rows that could not become a play, by reason' },
    ),
  }),
  error: Nullable(Type.String()),
  startedAt: Type.Number({ description: 'ms since the epoch' }),
  finishedAt: Nullable(Type.Number()),
});
const jobExample = {
  id: '7d3c2a10-5b1e-4f3a-9c8d-0e1f2a3b4c5d',
  kind: 'tautulli-db' as const,
  serverId: 'plex-home',
  status: 'done' as const,
  progress: {
    read: 48210,
    total: 48210,
    added: 48210,
    skipped: 0,
    sourceRows: 52877,
    groupedRows: 4667,
    unreadable: {},
  },
  error: null,
  startedAt: 1764201600000,
  finishedAt: 1764201652000,
};
export const Import = Type.Object(ImportJobSchema.properties, { examples: [jobExample] });
export const Imports = Type.Object({ jobs: Type.Array(ImportJobSchema) }, { examples: [{ jobs: [jobExample] }] });

export const StopRequested = Type.Object(
  {
    terminated: Type.Boolean({
      description: 'Stopped by this process; false: the connectors role will within seconds',
    }),
    requested: Type.Boolean(),
    serverId: Type.String(),
    sessionKey: Type.String(),
  },
  { examples: [{ terminated: true, requested: true, serverId: 'plex-home', sessionKey: '42' }] },
);

export const BulkDone = Type.Object({
  action: Type.String(),
  accounts: Type.Integer({ description: 'How many accounts it applied to' }),
});

// The stores' shapes and these answers must stay one: this fails to compile otherwise.
const shapesMatch: [
  Covers<Static<typeof ChannelSchema>, PublicChannel>,
  Same<Omit<Static<typeof Delivery>, 'at'>, DeliveryRecord>,
  Covers<Static<typeof ImportJobSchema>, ImportJob>,
] = [true, true, true];
void shapesMatch;
