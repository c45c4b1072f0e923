// A one-line summary of every operation in the API document, in one table beside the tags
// (openapi-tags.ts), where a reader of the API sees them all at once. A route may still give its
// own (`schema.summary`, as the analytics series do); the contract test fails on an operation
// with neither, so a new route cannot be forgotten.
import type { FastifyInstance, RouteOptions } from 'fastify';

const SUMMARIES: Record<string, string> = {
  'GET /api/v1/setup': 'Whether the first administrator still has to be created',
  'POST /api/v1/setup': 'Create the first administrator (once)',
  'POST /api/v1/auth/login': 'Sign in with a user name and password',
  'POST /api/v1/auth/logout': 'Sign out of this session',
  'GET /api/v1/auth/me': 'Who is signed in, with which role and how',
  'POST /api/v1/auth/password': 'Change your own password (other sessions end)',
  'GET /api/v1/auth/sessions': 'Your sign-in sessions, with device and address',
  'DELETE /api/v1/auth/sessions/:id': 'End one of your sessions',
  'POST /api/v1/auth/sign-out-everywhere': 'End every session of yours but this one',
  'GET /api/v1/auth/methods': 'The sign-in methods this install offers',
  'GET /api/v1/auth/oidc/start': 'Start signing in with the OpenID Connect provider',
  'GET /api/v1/auth/oidc/callback': "The OpenID Connect provider's answer",
  'POST /api/v1/auth/plex/pin': 'Start signing in with Plex: a PIN to approve in the Plex app',
  'POST /api/v1/auth/plex/check': 'Whether the Plex PIN was approved; signs in when it was',
  'GET /api/v1/tokens': 'Your API tokens (never their secret)',
  'POST /api/v1/tokens': 'Issue an API token, shown once',
  'DELETE /api/v1/tokens/:id': 'Revoke an API token',
  'GET /api/v1/dashboard-users': 'People who sign in to Streamwarden, with their roles',
  'POST /api/v1/dashboard-users': 'Add someone who signs in, with a role',
  'PUT /api/v1/dashboard-users/:username/role': "Change someone's role",
  'POST /api/v1/dashboard-users/:username/password': "Reset someone's password (signs them out everywhere)",
  'GET /api/v1/dashboard-users/:username/sessions': "Someone's sign-in sessions",
  'POST /api/v1/dashboard-users/:username/sign-out-everywhere': 'Sign someone out everywhere',
  'DELETE /api/v1/dashboard-users/:username': 'Remove someone (their sessions and tokens end)',
  'GET /api/v1/audit': 'The audit log, newest first, by cursor',
  'GET /api/v1/backup': 'Download the install as one archive',
  'GET /api/v1/sessions/active': 'Plays going on now',
  'GET /api/v1/sessions/history': 'Past plays, newest first, by cursor, with search and filters',
  'GET /api/v1/sessions/:serverId/:sessionKey': 'One play with its timeline',
  'POST /api/v1/sessions/:serverId/:sessionKey/terminate': 'Stop a stream, with a message to the viewer',
  'GET /api/v1/map/places': 'Where plays came from, with their counts',
  'GET /api/v1/analytics/overview': "Today's figures: streams now, plays, watch time, bandwidth",
  'GET /api/v1/server-metrics': "Media servers' load over time",
  'GET /api/v1/violations': "What the rules found, newest first, with filters (a person's too)",
  'POST /api/v1/violations/:id/status': 'Review one violation: acknowledge, dismiss, false alarm, reopen',
  'POST /api/v1/violations/status': 'Review many violations: chosen ids or everything a filter covers',
  'GET /api/v1/users': 'Accounts with their trust score and open violations, lowest trust first',
  'GET /api/v1/users/:accountKey': "One account's profile: devices, places, violations, trust history",
  'POST /api/v1/users/:accountKey/trust': 'Adjust or reset a trust score by hand, with a reason',
  'POST /api/v1/users/bulk': 'One action on many accounts: exempt, unexempt, reset trust, apply overrides',
  'GET /api/v1/people': 'People (accounts linked as one), with their trust',
  'POST /api/v1/people': 'Link accounts as one person',
  'GET /api/v1/people/suggestions': 'Accounts that may be one person, with the reasons',
  'POST /api/v1/people/suggestions/dismiss': 'Say a suggestion is not one person',
  'GET /api/v1/people/:id': "One person's page: accounts, devices, places, violations, trust, watching",
  'PUT /api/v1/people/:id': 'Rename a person',
  'DELETE /api/v1/people/:id': 'Split a person back into separate accounts',
  'POST /api/v1/people/:id/merge': "Move another person's accounts into this one",
  'DELETE /api/v1/people/:id/accounts/:accountKey': 'Take one account out of a person',
  'GET /api/v1/library/libraries': 'Libraries of every server, with their sizes',
  'GET /api/v1/library/distribution': 'Library contents by type, resolution and codec',
  'GET /api/v1/library/most-watched': 'The most watched items',
  'GET /api/v1/library/never-watched': 'Items never watched',
  'GET /api/v1/library/duplicates': 'Items held more than once on one server',
  'GET /api/v1/library/on-several-servers': 'Items held on more than one server',
  'GET /api/v1/rules': "The rules' parameters, per-account overrides and their definitions",
  'PUT /api/v1/rules': "Change the rules' parameters",
  'PUT /api/v1/users/:accountKey/rules': "Set an account's rule overrides",
  'DELETE /api/v1/users/:accountKey/rules': "Clear an account's rule overrides",
  'POST /api/v1/rules/backtest': 'Run rules with other parameters over stored history, publishing nothing',
  'GET /api/v1/servers/status': 'Whether each media server is up, down or refusing the token',
  'GET /api/v1/servers': 'Media servers (never their token)',
  'POST /api/v1/servers': 'Add a media server',
  'PUT /api/v1/servers/:id': 'Change a media server',
  'DELETE /api/v1/servers/:id': 'Remove a media server',
  'POST /api/v1/servers/test': 'Test a connection before saving it',
  'POST /api/v1/servers/:id/test': "Test a saved server's connection",
  'POST /api/v1/servers/plex/pin': 'Start adding Plex servers by signing in to plex.tv (a PIN to approve)',
  'POST /api/v1/servers/plex/found':
    'The Plex servers the approved account reaches, with their addresses (never their tokens)',
  'POST /api/v1/servers/plex/add': 'Add one of them; the token comes from plex.tv, never from the browser',
  'GET /api/v1/servers/:id/image': "A poster from the server, through the API (the server's token never leaves)",
  'GET /api/v1/settings': 'General settings',
  'PUT /api/v1/settings': 'Change the general settings',
  'GET /api/v1/notifications/channels': 'Alert channels (secrets left out)',
  'POST /api/v1/notifications/channels': 'Add an alert channel',
  'PUT /api/v1/notifications/channels/:id': 'Change an alert channel',
  'DELETE /api/v1/notifications/channels/:id': 'Remove an alert channel',
  'POST /api/v1/notifications/channels/:id/test': 'Send a test alert through a channel',
  'GET /api/v1/notifications/deliveries': 'Alerts delivered and failed, newest first',
  'POST /api/v1/imports/file': 'Import a Tautulli or Jellystat history file (streamed)',
  'POST /api/v1/imports/tautulli-api': "Import history from a running Tautulli's API",
  'GET /api/v1/imports': 'Imports, running and done',
  'GET /api/v1/imports/:id': 'One import with its progress and its account of the rows',
  'GET /api/v1/live': 'The live feed (WebSocket): sessions, violations and server load as they change',
};

/** Gives the routes registered after it their summary from the table, unless they have their own. */
export function summariseOperations(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      const summary = SUMMARIES[`${method} ${route.url}`];
      const schema = (route.schema ?? {}) as { summary?: string };
      if (summary && !schema.summary) route.schema = { ...schema, summary } as RouteOptions['schema'];
    }
  });
}
