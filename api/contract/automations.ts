// Automation rules and their firings, as the API answers them; one shape with the stores'
// (a compile-time check at the end).
import Type, { type Static } from 'typebox';
import type { Automation } from '../../alerts/automations.ts';
import type { Firing } from '../../warehouse/queries/automations.ts';
import type { AutomationBacktest } from '../../alerts/automation-backtest.ts';
import { PRESETS } from '../../alerts/automations.ts';
import type { Same } from './shapes.ts';

const Condition = Type.Union([
  Type.Object({
    field: Type.String({
      description:
        "mediaType, decision, sourceResolution, streamResolution, sourceCodec, streamCodec, country, network, platform, player, product, device, serverId, libraryId, accountKey, personId or personTag (a tag of the event's person)",
    }),
    op: Type.Union([Type.Literal('in'), Type.Literal('notIn')]),
    values: Type.Array(Type.String()),
  }),
  Type.Object({
    field: Type.String({
      description:
        'bandwidthKbps or bitrateKbps (kbit/s), pausedMinutes (a pause going on), watchedTodayMinutes and watchedWeekMinutes (minutes the person, or the account, played today or since Monday before this play), playsToday (plays they started today before this one) or streamsNow (streams its person, or the account, plays at once, this one included)',
    }),
    op: Type.Union([Type.Literal('over'), Type.Literal('atMost')]),
    value: Type.Number(),
  }),
  Type.Object({
    field: Type.Literal('localTime'),
    from: Type.String({ examples: ['00:00'] }),
    to: Type.String({ examples: ['06:00'] }),
    weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      description: '1 Monday .. 7 Sunday; empty: every day',
    }),
  }),
]);
const Action = Type.Union([
  Type.Object({
    type: Type.Literal('notify'),
    channels: Type.Array(Type.String(), { description: 'Channel ids; empty: every enabled channel' }),
  }),
  Type.Object({ type: Type.Literal('stop'), message: Type.String({ description: 'Shown to the viewer' }) }),
  Type.Object({
    type: Type.Literal('adjustTrust'),
    points: Type.Integer({ description: "Added to the account's trust score (negative: taken); -100 to 100" }),
  }),
  Type.Object({
    type: Type.Literal('tag'),
    tag: Type.String({ description: "Put on the event's person, for rules on groups (personTag)" }),
  }),
  Type.Object({
    type: Type.Literal('message'),
    message: Type.String({ description: 'Shown to the viewer, nothing stopped (Jellyfin and Emby)' }),
  }),
]);
const AutomationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  dryRun: Type.Boolean({ description: 'Records what it would have done, and does nothing' }),
  trigger: Type.String({ description: 'An event type of streamwarden.events' }),
  conditions: Type.Array(Condition),
  actions: Type.Array(Action),
});
export const AutomationRule = Type.Object(AutomationSchema.properties, { examples: [PRESETS[0]] });
export const Automations = Type.Object(
  { automations: Type.Array(AutomationSchema, { description: 'Saved rules, then the presets not saved yet (off)' }) },
  { examples: [{ automations: PRESETS }] },
);
/** A rule as sent: everything but its id, checked by the store (errors name the field). */
export const AutomationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    enabled: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean()),
    trigger: Type.String(),
    conditions: Type.Array(Type.Unknown(), { maxItems: 20 }),
    actions: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
const FiringSchema = Type.Object({
  ruleId: Type.String(),
  target: Type.String({ description: 'server_id:session_key of the play, or the event id' }),
  ruleName: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  serverId: Type.String(),
  accountKey: Type.String(),
  status: Type.Union([Type.Literal('FIRED'), Type.Literal('DRY_RUN'), Type.Literal('FAILED')]),
  actions: Type.String({ description: 'What was done (or would have been), one action a line' }),
  detail: Type.String({ description: 'Why an action was not carried out' }),
  occurredAt: Type.String({ format: 'date-time' }),
  firedAt: Type.String({ format: 'date-time' }),
});
export const Firings = Type.Object(
  { firings: Type.Array(FiringSchema) },
  {
    examples: [
      {
        firings: [
          {
            ruleId: 'preset-refuse-4k-transcodes',
            target: 'plex-home:42',
            ruleName: 'Refuse 4K transcodes',
            eventId: 'TRANSCODE_STARTED:plex-home:42',
            eventType: 'TRANSCODE_STARTED',
            serverId: 'plex-home',
            accountKey: 'plex-home:7',
            status: 'FIRED',
            actions: 'stop plex-home:42 with "Please choose 1080p"',
            detail: '',
            occurredAt: '2026-11-27T20:00:00.000Z',
            firedAt: '2026-11-27T20:00:01.000Z',
          },
        ],
      },
    ],
  },
);

const BacktestSchema = Type.Object({
  plays: Type.Integer({ description: 'Plays replayed' }),
  fired: Type.Integer({ description: 'Times the rule would have fired' }),
  byDay: Type.Array(Type.Object({ day: Type.String({ format: 'date-time' }), fired: Type.Integer() }), {
    description: "Firings per day, each day's start in the install's zone",
  }),
  firings: Type.Array(
    Type.Object({
      serverId: Type.String(),
      sessionKey: Type.String(),
      accountKey: Type.String(),
      userName: Type.String(),
      title: Type.String(),
      at: Type.String({ format: 'date-time' }),
      actions: Type.Array(Type.String()),
    }),
    { description: 'The first 200 firings, oldest first' },
  ),
  notes: Type.Array(Type.String(), { description: 'What the answer leaves out' }),
});
export const AutomationBacktestAnswer = Type.Object(BacktestSchema.properties, {
  examples: [
    {
      plays: 1480,
      fired: 14,
      byDay: [{ day: '2026-11-02T00:00:00.000Z', fired: 3 }],
      firings: [
        {
          serverId: 'plex-home',
          sessionKey: '42',
          accountKey: 'plex-home:7',
          userName: 'gus',
          title: 'Arrival',
          at: '2026-11-02T20:15:00.000Z',
          actions: ['stop with "Please choose 1080p"'],
        },
      ],
      notes: [],
    },
  ],
});
export const AutomationBacktestBody = Type.Object(
  {
    rule: AutomationBody,
    from: Type.Optional(
      Type.Integer({ description: 'Start of the history replayed, ms since the epoch; default 30 days ago' }),
    ),
    to: Type.Optional(Type.Integer({ description: 'Its end, ms since the epoch; default now' })),
  },
  { additionalProperties: false },
);

const shapesMatch: [
  Same<
    Omit<Static<typeof AutomationSchema>, 'conditions' | 'actions' | 'trigger'>,
    Omit<Automation, 'conditions' | 'actions' | 'trigger'>
  >,
  Same<Omit<Static<typeof FiringSchema>, 'occurredAt' | 'firedAt'>, Omit<Firing, 'occurredAt'>>,
  Same<Static<typeof BacktestSchema>, AutomationBacktest>,
] = [true, true, true];
void shapesMatch;
