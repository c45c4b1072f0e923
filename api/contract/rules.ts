// The answers about detection rules and install settings. Each rule's settings are described from
// the rule registry (pipeline/rules/registry.ts): its common fields and its own parameters with
// their units and ranges, so a rule added there is documented here without another edit.
import Type, { type Static, type TObject, type TSchema } from 'typebox';
import { Nullable, type Same } from './shapes.ts';
import { RULE_METADATA } from '../../pipeline/rules/metadata.ts';
import { RULES } from '../../pipeline/rules/registry.ts';
import { DEFAULT_RULES } from '../../pipeline/rules/settings.ts';
import type { RuleParameter } from '../../pipeline/rules/rule.ts';
import { SeverityValues } from '../../schemas/index.ts';
import type { GeneralSettings } from '../../warehouse/settings-store.ts';

const oneOf = (values: readonly string[], description?: string) =>
  Type.String({ enum: [...values], ...(description ? { description } : {}) });

function parameterSchema(p: RuleParameter): TSchema {
  if (p.kind === 'countries')
    return Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), { description: 'ISO 3166-1 alpha-2 codes' });
  const shown = p.scale ? ` (shown in ${p.unit}: the value / ${p.scale})` : ` (${p.unit})`;
  return (p.integer ? Type.Integer : Type.Number)({
    minimum: p.min,
    maximum: p.max,
    description: `Stored value${shown}`,
  });
}

const common = {
  enabled: Type.Boolean(),
  severity: oneOf(SeverityValues),
  trustPenalty: Type.Number({ description: "Points taken off the account's trust score" }),
  action: oneOf(['notify', 'terminate'], 'notify, or terminate: stop the streams'),
  terminateMessage: Type.String({ description: "Shown to the viewer when a stream is stopped (empty: the install's)" }),
};

/** One rule's settings: the common fields and its own parameters. */
const ruleSettings = Object.fromEntries(
  RULES.map((rule) => [
    rule.settingsKey,
    Type.Object(
      {
        ...common,
        ...Object.fromEntries(
          Object.entries(rule.parameters as Record<string, RuleParameter>).map(([k, p]) => [k, parameterSchema(p)]),
        ),
      },
      { description: `${rule.id}` },
    ),
  ]),
);

const RuleSettingsSchema = Type.Object({
  ...ruleSettings,
  trust: Type.Object({ recoveryPerCleanDay: Type.Number({ description: 'Points an account gets back per day' }) }),
  exemptions: Type.Object({
    trustedCidrs: Type.Array(Type.String({ description: 'An address range no rule counts, e.g. 10.0.0.0/8' })),
    trustedDeviceIds: Type.Array(Type.String()),
  }),
});
/**
 * Changed settings, per rule: any of each rule's settings, the rest as they are. A rule or setting
 * the registry does not know passes through to the rule store, which names it in its refusal.
 */
export const RuleOverrides = Type.Partial(
  Type.Object(
    Object.fromEntries(
      Object.entries(RuleSettingsSchema.properties).map(([key, schema]) => [key, Type.Partial(schema as TObject)]),
    ),
  ),
  { description: 'Changed settings per rule, e.g. {"impossibleTravel": {"maxSpeedKmh": 800}}' },
);
const Overrides = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()));

export const RulesAnswer = Type.Object({
  rules: RuleSettingsSchema,
  accounts: Type.Record(Type.String({ description: 'An account key' }), Overrides),
  version: Type.Integer({ description: 'Pass back with a change: refused with 409 if someone saved since' }),
  readOnlySource: Nullable(
    Type.String({ description: 'Set when the rules come from a file: then they cannot change here' }),
  ),
});

export const RulesPage = Type.Object(
  {
    ...RulesAnswer.properties,
    definitions: Type.Array(
      Type.Object({
        id: Type.String(),
        settingsKey: Type.String(),
        label: Type.String({ description: "i18n key of the rule's name" }),
        description: Type.String({ description: 'i18n key of what it detects' }),
        runsOn: Type.String(),
        actions: Type.Array(Type.String()),
        parameters: Type.Array(
          Type.Object({
            key: Type.String(),
            label: Type.String(),
            kind: oneOf(['number', 'countries']),
            scale: Type.Optional(Type.Number()),
            unit: Type.Optional(Type.String()),
            min: Type.Optional(Type.Number()),
            max: Type.Optional(Type.Number()),
            integer: Type.Optional(Type.Boolean()),
          }),
        ),
      }),
    ),
    severities: Type.Array(Type.String()),
    review: Type.Record(
      Type.String({ description: 'A rule id' }),
      Type.Object({
        raised: Type.Integer(),
        reviewed: Type.Integer(),
        falseAlarms: Type.Integer({ description: 'Marked false alarms: the rate an admin tunes by' }),
      }),
    ),
  },
  {
    // The defaults and definitions of this release, as a fresh install answers.
    examples: [
      {
        rules: DEFAULT_RULES,
        accounts: { 'plex-home:1234': { concurrentStreams: { maxStreams: 4 } } },
        version: 3,
        readOnlySource: null,
        definitions: RULE_METADATA,
        severities: [...SeverityValues],
        review: { SIMULTANEOUS_LOCATIONS: { raised: 12, reviewed: 9, falseAlarms: 2 } },
      },
    ],
  },
);

export const BacktestAnswer = Type.Object({
  from: Type.Number(),
  to: Type.Number(),
  events: Type.Integer({ description: 'Playback events replayed' }),
  accounts: Type.Integer(),
  byRule: Type.Record(Type.String(), Type.Integer()),
  violationCount: Type.Integer(),
  violations: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
    description: 'The first `limit` findings, in time order, as the violations topic carries them',
  }),
  truncated: Type.Boolean(),
  trust: Type.Array(Type.Object({ accountKey: Type.String(), userName: Type.String(), score: Type.Number() })),
});

const GeneralSettingsSchema = Type.Object({
  instanceName: Type.String(),
  distanceUnit: Type.Union([Type.Literal('km'), Type.Literal('mi')]),
  defaultLanguage: Type.Union([Type.Literal('en'), Type.Literal('zh-Hans'), Type.Literal('zh-Hant')]),
  terminateMessage: Type.String(),
  timeZone: Type.String({ description: "IANA zone for every time shown; empty: each viewer's own" }),
});
export const SettingsAnswer = Type.Object(
  {
    settings: GeneralSettingsSchema,
    geoip: Nullable(Type.String({ description: 'Which GeoIP database locates addresses (credited in the UI)' })),
  },
  {
    examples: [
      {
        settings: {
          instanceName: 'Streamwarden',
          distanceUnit: 'km',
          defaultLanguage: 'en',
          terminateMessage: 'This stream was stopped by the server administrator.',
          timeZone: 'Europe/Berlin',
        },
        geoip: 'DB-IP Lite (bundled)',
      },
    ],
  },
);

const shapesMatch: [Same<Static<typeof GeneralSettingsSchema>, GeneralSettings>] = [true];
void shapesMatch;
