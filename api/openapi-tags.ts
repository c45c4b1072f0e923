// Every operation of the API document under its resource (sessions, analytics, users...), not
// all under "default": the tag comes from the path, /api/v1/<resource>/..., so a new route is
// tagged without anyone remembering to. A route may still name its own tags.
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The resources, in the order the document lists them, with what each is for. */
export const API_TAGS = [
  { name: 'sessions', description: 'Plays going on and past, one play with its timeline' },
  { name: 'live', description: 'The live feed (WebSocket) and stopping a stream' },
  { name: 'analytics', description: 'Figures and charts over the history' },
  { name: 'map', description: 'Where plays came from' },
  { name: 'users', description: 'Accounts, their profile and trust score, trust changed by hand' },
  { name: 'people', description: 'Accounts on any servers linked as one person, and the suggestions to link them' },
  { name: 'violations', description: 'What the rules found, and its review' },
  { name: 'rules', description: 'Detection rule parameters, per-account overrides, backtests' },
  { name: 'library', description: 'Library contents across servers' },
  { name: 'servers', description: 'Media servers, their connection test and status' },
  { name: 'server-metrics', description: "Media servers' load over time" },
  { name: 'notifications', description: 'Alert channels and deliveries' },
  { name: 'automations', description: 'Automation rules (trigger, conditions, actions), their presets and firings' },
  { name: 'imports', description: 'History imports from Tautulli and Jellystat' },
  { name: 'settings', description: 'General settings' },
  { name: 'auth', description: 'Signing in and out; your own password and sessions' },
  { name: 'dashboard-users', description: 'People who sign in to Streamwarden, their roles and sessions (owner only)' },
  { name: 'audit', description: 'Every admin action and sign-in' },
  { name: 'backup', description: 'The install as one archive, for npm run restore (owner only)' },
  { name: 'exports', description: 'History, violations, people and the audit log as CSV or JSON Lines, streamed' },
  { name: 'setup', description: 'The first run' },
  { name: 'tokens', description: 'API tokens' },
] as const;

const KNOWN = new Set<string>(API_TAGS.map((t) => t.name));

/** Tags the routes registered after it by the resource in their path. */
export function tagByResource(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const resource = /^\/api\/v1\/([a-z-]+)/.exec(route.url)?.[1];
    if (!resource || !KNOWN.has(resource)) return;
    const schema = (route.schema ?? {}) as { tags?: string[] };
    route.schema = { ...schema, tags: schema.tags ?? [resource] } as RouteOptions['schema'];
  });
}
