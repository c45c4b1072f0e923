// The answers about signing in and who may: first-run setup, sign-in and its sessions, API tokens,
// the people who sign in to the dashboard, and the audit log.
import Type, { type Static, type TSchema } from 'typebox';
import { Nullable, type Same } from './shapes.ts';
import type { AuditEntry } from '../../warehouse/queries/audit.ts';
import type { SessionInfo, TokenInfo, UserInfo } from '../auth/store.ts';

const time = Type.String({ description: 'ISO 8601, UTC' });
const Role = Type.Union([Type.Literal('viewer'), Type.Literal('admin'), Type.Literal('owner')]);
const withExample = <T extends TSchema>(schema: T, example: Static<T>) => ({ ...schema, examples: [example] }) as T;

export const SetupState = Type.Object({ needsSetup: Type.Boolean() }, { examples: [{ needsSetup: false }] });
export const Username = Type.Object({ username: Type.String() });
export const SignedOut = Type.Object({
  signedOut: Type.Union([Type.Boolean(), Type.Integer({ description: 'How many other sessions ended' })]),
});
export const Me = withExample(
  Type.Object({
    username: Type.String(),
    role: Role,
    via: Type.String({ description: 'session (a cookie) or token (an API token)' }),
  }),
  { username: 'admin', role: 'owner', via: 'session' },
);
export const PasswordChanged = Type.Object({ changed: Type.Boolean(), note: Type.String() });

const SignInSession = Type.Object({
  id: Type.String({ description: "The SHA-256 of the session's cookie: names it without granting it" }),
  createdAt: time,
  expiresAt: time,
  userAgent: Type.String(),
  clientIp: Type.String(),
  current: Type.Boolean({ description: 'The session this request came with' }),
});
export const SignInSessions = withExample(Type.Object({ sessions: Type.Array(SignInSession) }), {
  sessions: [
    {
      id: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      createdAt: '2026-11-26T19:02:11.000Z',
      expiresAt: '2026-12-26T19:02:11.000Z',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
      clientIp: '192.168.1.20',
      current: true,
    },
  ],
});
export const Revoked = Type.Object({ revoked: Type.String() });

export const SignInMethods = Type.Object(
  {
    password: Type.Boolean({ description: 'Whether a user name and password sign in' }),
    oidc: Nullable(Type.Object({ name: Type.String({ description: "The provider's name for the button" }) })),
    plex: Type.Boolean({ description: 'Whether signing in with Plex is offered' }),
  },
  { examples: [{ password: true, oidc: { name: 'Authentik' }, plex: true }] },
);
export const SignInPin = Type.Object({
  code: Type.String(),
  authUrl: Type.String({ description: 'Where the person approves the PIN' }),
  expiresAt: Type.String({ description: 'ISO 8601' }),
});
export const SignInCheck = Type.Object({
  status: Type.Union([Type.Literal('waiting'), Type.Literal('signed-in')]),
  username: Type.Optional(Type.String()),
});

const Token = Type.Object({ tokenId: Type.String(), name: Type.String(), role: Role, createdAt: time });
export const Tokens = withExample(Type.Object({ tokens: Type.Array(Token) }), {
  tokens: [{ tokenId: '3f9a0c1b2d4e', name: 'Home Assistant', role: 'viewer', createdAt: '2026-11-20T08:00:00.000Z' }],
});
export const IssuedToken = withExample(
  Type.Object({
    ...Token.properties,
    token: Type.String({ description: 'The secret, shown this once: send it as `Authorization: Bearer <token>`' }),
    note: Type.String(),
  }),
  {
    tokenId: '3f9a0c1b2d4e',
    name: 'Home Assistant',
    role: 'viewer',
    createdAt: '2026-11-20T08:00:00.000Z',
    token: 'sw_3f9a0c1b2d4e_4uQk7...',
    note: 'Shown once: store it now.',
  },
);

const DashboardUser = Type.Object({
  username: Type.String(),
  role: Role,
  source: Type.Union([Type.Literal('password'), Type.Literal('oidc'), Type.Literal('plex')], {
    description: 'How they sign in',
  }),
  createdAt: time,
  updatedAt: time,
});
export const DashboardUsers = withExample(Type.Object({ users: Type.Array(DashboardUser) }), {
  users: [
    {
      username: 'admin',
      role: 'owner',
      source: 'password',
      createdAt: '2026-01-04T19:00:00.000Z',
      updatedAt: '2026-01-04T19:00:00.000Z',
    },
  ],
});
export const SavedDashboardUser = DashboardUser;
export const PasswordReset = Type.Object({ reset: Type.String(), note: Type.String() });
export const Removed = Type.Object({ removed: Type.String() });

const AuditEntrySchema = Type.Object({
  auditId: Type.String(),
  at: time,
  actor: Type.String({ description: 'Who: a dashboard user, or "api" for a token without one' }),
  actorRole: Type.String(),
  via: Type.String({ description: 'session, token or system' }),
  action: Type.String({ description: 'e.g. server.add, violation.review, auth.login' }),
  target: Type.String(),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('failed')]),
  statusCode: Type.Integer(),
  detail: Type.String(),
  clientIp: Type.String(),
});
export const AuditPage = withExample(
  Type.Object({
    entries: Type.Array(AuditEntrySchema),
    next: Nullable(Type.String({ description: 'Pass as `before` for the next page; null on the last' })),
  }),
  {
    entries: [
      {
        auditId: '0193a1f2-7c4e-7d2a-9b1e-5f3c2a1d0e9f',
        at: '2026-11-26T21:40:00.000Z',
        actor: 'admin',
        actorRole: 'owner',
        via: 'session',
        action: 'server.add',
        target: 'plex-home',
        outcome: 'ok',
        statusCode: 201,
        detail: '',
        clientIp: '192.168.1.20',
      },
    ],
    next: null,
  },
);

// The store's shapes and these answers must stay one: this fails to compile otherwise.
const shapesMatch: [
  Same<Static<typeof Token>, TokenInfo>,
  Same<Static<typeof DashboardUser>, UserInfo>,
  Same<Static<typeof AuditEntrySchema>, AuditEntry>,
  Same<Omit<Static<typeof SignInSession>, 'id'>, Omit<SessionInfo, 'sessionHash'>>,
] = [true, true, true, true];
void shapesMatch;
