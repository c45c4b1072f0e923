// The answers about accounts, people and findings: a user's profile, the people linked across
// servers with their suggestions, and the violation feed.
import Type, { type TSchema } from 'typebox';
import { Nullable } from './shapes.ts';

const time = (description = 'ISO 8601, UTC') => Type.String({ description });
const accountKey = Type.String({ description: 'server_id:user_id' });

const Device = Type.Object({
  deviceId: Type.String(),
  deviceName: Type.String(),
  platform: Type.String(),
  product: Type.String(),
  plays: Type.Integer(),
  lastSeenAt: time(),
});
const Location = Type.Object({
  ip: Type.String(),
  countryCode: Type.String(),
  city: Type.String(),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  observations: Type.Integer({ description: 'Playback events seen from this address' }),
  lastSeenAt: time(),
});
const Finding = Type.Object({
  violationId: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  summary: Type.String(),
  status: Type.String({ description: 'OPEN, ACKNOWLEDGED, DISMISSED or FALSE_ALARM' }),
  detectedAt: time(),
});
const TrustChange = Type.Object({
  changedAt: time(),
  previousScore: Type.Number(),
  newScore: Type.Number(),
  reason: Type.String({ description: 'VIOLATION, FALSE_ALARM, ADJUST, RESET, RECOVERY...' }),
  rule: Type.String(),
  note: Type.String(),
});

export const UserProfile = Type.Object(
  {
    accountKey,
    userName: Type.String(),
    firstSeenAt: time(),
    lastSeenAt: time(),
    trustScore: Type.Number({ minimum: 0, maximum: 100 }),
    devices: Type.Array(Device),
    locations: Type.Array(Location),
    violations: Type.Array(Finding),
    trustHistory: Type.Array(TrustChange),
  },
  {
    examples: [
      {
        accountKey: 'plex-home:1234',
        userName: 'alice',
        firstSeenAt: '2026-01-04T19:02:11.000Z',
        lastSeenAt: '2026-11-26T21:40:00.000Z',
        trustScore: 85,
        devices: [
          {
            deviceId: 'a1b2',
            deviceName: 'Living Room TV',
            platform: 'Android',
            product: 'Plex for Android (TV)',
            plays: 310,
            lastSeenAt: '2026-11-26T21:40:00.000Z',
          },
        ],
        locations: [
          {
            ip: '81.2.69.142',
            countryCode: 'GB',
            city: 'London',
            latitude: 51.51,
            longitude: -0.09,
            observations: 5120,
            lastSeenAt: '2026-11-26T21:40:00.000Z',
          },
        ],
        violations: [],
        trustHistory: [],
      },
    ],
  },
);

export const TrustAdjusted = Type.Object({
  adjustment: Type.Object({
    id: Type.String(),
    accountKey,
    kind: Type.String({ description: 'ADJUST or RESET' }),
    points: Type.Integer(),
    by: Type.String(),
    reason: Type.String(),
    at: Type.Number({ description: 'ms since the epoch' }),
  }),
});

/** An account as a person lists it (an account not seen yet has only its key, server and score). */
const PersonAccount = Type.Object({
  accountKey,
  serverId: Type.String(),
  userId: Type.Optional(Type.String()),
  userName: Type.String(),
  firstSeenAt: Type.Optional(time()),
  lastSeenAt: Type.Optional(time()),
  trustScore: Type.Number(),
  openViolations: Type.Integer(),
});

const personFields = {
  personId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  accountKeys: Type.Array(accountKey),
  createdAt: Type.Number({ description: 'ms since the epoch' }),
  updatedAt: Type.Number({ description: 'ms since the epoch' }),
  updatedBy: Type.String(),
  tags: Type.Array(Type.String(), {
    description: 'Words put on the person (by an admin or an automation), for rules on groups',
  }),
  accounts: Type.Array(PersonAccount),
  servers: Type.Array(Type.String()),
  trustScore: Type.Number({ description: "The lowest of its accounts' scores" }),
  trustExplanation: Type.String(),
  openViolations: Type.Integer(),
};
const personExample = {
  personId: '5f0c3f9e-3f4b-4b7a-9d1e-2a6f1c9b7e10',
  name: 'Alice',
  accountKeys: ['plex-home:1234', 'jf-cabin:9f1e'],
  createdAt: 1764201600000,
  updatedAt: 1764201600000,
  updatedBy: 'admin',
  tags: ['family'],
  accounts: [
    { accountKey: 'plex-home:1234', serverId: 'plex-home', userName: 'alice', trustScore: 85, openViolations: 1 },
    { accountKey: 'jf-cabin:9f1e', serverId: 'jf-cabin', userName: 'alice', trustScore: 100, openViolations: 0 },
  ],
  servers: ['jf-cabin', 'plex-home'],
  trustScore: 85,
  trustExplanation: "The lowest of its accounts' scores: plex-home:1234 (85).",
  openViolations: 1,
};
export const Person = Type.Object(personFields, { examples: [personExample] });

export const PeopleList = Type.Object(
  {
    version: Type.Integer({ description: 'Pass with a change, so that two admins do not undo each other' }),
    people: Type.Array(Type.Object(personFields)),
  },
  { examples: [{ version: 4, people: [personExample] }] },
);

const tagged = <T extends TSchema>(row: T) => Type.Intersect([Type.Object({ accountKey }), row]);
const findingExample = {
  violationId: '4c1f0d9a2b7e4e61a3d5c8f1e2a9b3c7',
  rule: 'SIMULTANEOUS_LOCATIONS',
  severity: 'HIGH',
  summary: 'Playing at once in London and Berlin, 932 km apart',
  status: 'OPEN',
  detectedAt: '2026-11-26T21:02:00.000Z',
};
export const PersonDetail = Type.Object(
  {
    version: Type.Integer(),
    ...personFields,
    devices: Type.Array(tagged(Device)),
    locations: Type.Array(tagged(Location)),
    violations: Type.Array(tagged(Finding)),
    acrossAccounts: Type.Array(Finding, { description: "The rules' findings over the accounts together" }),
    trustHistory: Type.Array(tagged(TrustChange)),
    watch: Type.Object({
      plays: Type.Integer(),
      watchMs: Type.Number(),
      byAccount: Type.Array(Type.Object({ accountKey, plays: Type.Integer(), watchMs: Type.Number() })),
    }),
  },
  {
    examples: [
      {
        version: 4,
        ...personExample,
        devices: [],
        locations: [],
        violations: [{ accountKey: 'plex-home:1234', ...findingExample }],
        acrossAccounts: [],
        trustHistory: [],
        watch: {
          plays: 412,
          watchMs: 1.3e9,
          byAccount: [
            { accountKey: 'plex-home:1234', plays: 390, watchMs: 1.2e9 },
            { accountKey: 'jf-cabin:9f1e', plays: 22, watchMs: 0.1e9 },
          ],
        },
      },
    ],
  },
);

export const PeopleSuggestions = Type.Object(
  {
    version: Type.Integer(),
    suggestions: Type.Array(
      Type.Object({
        key: Type.String({ description: 'Pass to suggestions/dismiss to stop suggesting this group' }),
        accounts: Type.Array(
          Type.Object({
            ...PersonAccount.properties,
            serverId: Type.Optional(Type.String()),
            userName: Type.Optional(Type.String()),
            trustScore: Type.Optional(Type.Number()),
            openViolations: Type.Optional(Type.Integer()),
            personId: Nullable(Type.String({ description: 'The person the account belongs to already' })),
          }),
        ),
        reasons: Type.Array(Type.String({ description: 'What the accounts shared: a device, an address, an e-mail' })),
      }),
    ),
  },
  {
    examples: [
      {
        version: 4,
        suggestions: [
          {
            key: 'jf-cabin:9f1e|plex-home:1234',
            accounts: [
              {
                accountKey: 'jf-cabin:9f1e',
                serverId: 'jf-cabin',
                userName: 'alice',
                trustScore: 100,
                openViolations: 0,
                personId: null,
              },
              {
                accountKey: 'plex-home:1234',
                serverId: 'plex-home',
                userName: 'alice',
                trustScore: 85,
                openViolations: 1,
                personId: null,
              },
            ],
            reasons: ['one device, Living Room TV (a1b2c3), played for each'],
          },
        ],
      },
    ],
  },
);

export const Dissolved = Type.Object({ dissolved: Type.String({ description: 'The id of the person dissolved' }) });
export const PersonOrDissolved = Type.Union([Person, Dissolved]);
export const Dismissed = Type.Object({ dismissed: Type.String() });

const EvidencePlace = Type.Object(
  {
    sessionKey: Type.String(),
    observedAt: Type.Number(),
    ip: Type.String(),
    city: Nullable(Type.String()),
    region: Type.Optional(Nullable(Type.String())),
    countryCode: Nullable(Type.String()),
    latitude: Nullable(Type.Number()),
    longitude: Nullable(Type.Number()),
    accuracyRadiusKm: Type.Optional(Nullable(Type.Number())),
    deviceId: Type.Optional(Nullable(Type.String())),
    deviceName: Nullable(Type.String()),
    asn: Type.Optional(Nullable(Type.Integer())),
    network: Type.Optional(Nullable(Type.String())),
    networkType: Type.Optional(Nullable(Type.String())),
    serverId: Type.Optional(Nullable(Type.String())),
    accountKey: Type.Optional(Nullable(Type.String())),
  },
  // Evidence is kept as the rule wrote it: a finding from an older release may lack later fields.
  { additionalProperties: true },
);

/** One finding, as the violation feed lists it (column names as stored, for compatibility). */
const ViolationRow = Type.Object({
  violation_id: Type.String(),
  rule: Type.String(),
  severity: Type.String({ description: 'LOW, MEDIUM, HIGH or CRITICAL' }),
  account_key: accountKey,
  server_id: Type.String(),
  user_name: Type.String(),
  person_id: Type.String({ description: "Set on a person's finding across accounts; empty otherwise" }),
  detectedAt: time(),
  summary: Type.String({ description: 'English, as the rule wrote it; the evidence says the same in figures' }),
  session_keys: Type.Array(Type.String()),
  trust_penalty: Type.Number(),
  status: Type.String(),
  evidence: Type.Object(
    {
      locations: Type.Array(EvidencePlace),
      distanceKm: Type.Optional(Nullable(Type.Number())),
      elapsedMs: Type.Optional(Nullable(Type.Number())),
      speedKmh: Type.Optional(Nullable(Type.Number())),
      count: Type.Optional(Nullable(Type.Number())),
      limit: Type.Optional(Nullable(Type.Number())),
      windowMs: Type.Optional(Nullable(Type.Number())),
      ips: Type.Optional(Type.Array(Type.String())),
      deviceIds: Type.Optional(Type.Array(Type.String())),
      countryCode: Type.Optional(Nullable(Type.String())),
      lastActivityAt: Type.Optional(Nullable(Type.Number())),
      innocentIf: Type.Optional(
        Type.Array(Type.String(), { description: 'What would have made it innocent, in English' }),
      ),
      innocentReasons: Type.Optional(
        Type.Array(
          Type.Object({
            code: Type.String({ description: 'Which line: the dashboard words it in the viewer’s language' }),
            params: Type.Record(Type.String(), Type.String()),
          }),
          { description: 'The same lines as codes with their figures (findings from version 6 of the schema)' },
        ),
      ),
    },
    { additionalProperties: true },
  ),
});
export const ViolationList = Type.Object(
  { violations: Type.Array(ViolationRow) },
  {
    examples: [
      {
        violations: [
          {
            violation_id: findingExample.violationId,
            rule: findingExample.rule,
            severity: 'HIGH',
            account_key: 'plex-home:1234',
            server_id: 'plex-home',
            user_name: 'alice',
            person_id: '',
            detectedAt: findingExample.detectedAt,
            summary: findingExample.summary,
            session_keys: ['41', '42'],
            trust_penalty: 15,
            status: 'OPEN',
            evidence: {
              locations: [
                {
                  sessionKey: '41',
                  observedAt: 1764190800000,
                  ip: '81.2.69.142',
                  city: 'London',
                  countryCode: 'GB',
                  latitude: 51.51,
                  longitude: -0.09,
                  deviceName: 'Living Room TV',
                  network: 'British Telecommunications PLC',
                  networkType: 'access',
                },
                {
                  sessionKey: '42',
                  observedAt: 1764190920000,
                  ip: '91.64.1.20',
                  city: 'Berlin',
                  countryCode: 'DE',
                  latitude: 52.52,
                  longitude: 13.4,
                  deviceName: 'iPhone',
                  network: 'Vodafone GmbH',
                  networkType: 'access',
                },
              ],
              distanceKm: 932,
              innocentIf: ['Innocent had the two places been within 300 km of each other'],
            },
          },
        ],
      },
    ],
  },
);
export const ViolationReviewed = Type.Object({ violationId: Type.String(), status: Type.String() });
export const ViolationsReviewed = Type.Object({
  status: Type.String(),
  updated: Type.Integer({ description: 'How many violations were found and changed' }),
  limit: Type.Integer({ description: 'The most one bulk action changes' }),
});
