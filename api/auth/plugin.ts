// Authentication and roles, decided on the route Fastify matched, never on the raw URL: every route
// is private unless it was registered as public (setup, login, health, the static app, the API
// docs), and every private route declares the permission it needs (core/roles.ts), checked against
// the caller's role. The router decodes the path before matching, so any prefix test on the raw
// URL can be dodged by a spelling such as /%61pi/; the matched route's config cannot. A request
// that matched no route reaches the not-found handler, which serves only the app shell and JSON 404s.
//
// Credentials: a session cookie from the login form, or `Authorization: Bearer sw_...`.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { allows, type Permission } from '../../core/roles.ts';
import type { AuthStore, Identity } from './store.ts';

export const SESSION_COOKIE = 'sw_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's name; null on public routes. */
    user: string | null;
    identity: Identity | null;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. Only `publicRoutes` and `PUBLIC` set it. */
    public?: boolean;
    /** What a private route needs of the caller's role; a private route without one is refused at start-up. */
    permission?: Permission;
    /** The audit log's name for what a changing route does (api/audit.ts); required on every changing route. */
    audit?: string;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  public: boolean;
  websocket: boolean;
  permission?: Permission;
  audit?: string;
}

/** Registers `register`'s routes as public: everything else stays private. */
export async function publicRoutes(
  app: FastifyInstance,
  register: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await register(scope);
  });
}

/** Route options that make one route public. */
export const PUBLIC = { config: { public: true } } as const;

/** Route options of a private route: the permission it needs, and for a changing route its audit name. */
export const can = (permission: Permission, audit?: string) => ({ config: { permission, audit } }) as const;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Installs the check on `app` (after @fastify/cookie, before any route) and returns a function
 * listing every route registered after it with its access, for tests and the security sweep. A
 * route missing its permission or audit name fails the start-up (`checkDeclarations`), so none
 * can be forgotten.
 */
export function requireAuth(app: FastifyInstance, store: AuthStore): () => RouteAccess[] {
  // Kept as registered and read later: a scope's own onRoute hook (publicRoutes) runs after this one.
  const routes: Array<RouteOptions & { websocket?: boolean }> = [];
  app.decorateRequest('user', null);
  app.decorateRequest('identity', null);
  app.addHook('onRoute', (route: RouteOptions & { websocket?: boolean }) => {
    routes.push(route);
  });
  app.addHook('onReady', async () => checkDeclarations(list()));
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const config = request.routeOptions.config;
    if (request.is404 || config.public === true) return;
    const identity = await authenticate(request, store);
    if (!identity)
      throw new AppError('unauthorized', 'Sign in, or send an API token as "Authorization: Bearer sw_...".');
    request.identity = identity;
    request.user = identity.username;
    // A route without a permission never answers (checkDeclarations stops the start-up first).
    if (!config.permission || !allows(identity.role, config.permission))
      throw new AppError(
        'forbidden',
        `A ${identity.role} may not do this: it needs the ${config.permission} permission.`,
      );
  });
  const list = () =>
    routes.flatMap((route) =>
      [route.method].flat().map((method) => ({
        method,
        url: route.url,
        public: route.config?.public === true,
        websocket: route.websocket === true,
        permission: route.config?.permission,
        audit: route.config?.audit,
      })),
    );
  return list;
}

/** Every private route declares a permission, every changing route an audit name. */
function checkDeclarations(routes: RouteAccess[]): void {
  const missing = routes.flatMap((r) => [
    ...(!r.public && !r.permission ? [`${r.method} ${r.url} declares no permission`] : []),
    ...(!READS.has(r.method) && !r.audit ? [`${r.method} ${r.url} declares no audit name`] : []),
  ]);
  if (missing.length) throw new Error(`Routes without their access declared: ${missing.join('; ')}`);
}

/** Who sent a request, or null. */
async function authenticate(request: FastifyRequest, store: AuthStore): Promise<Identity | null> {
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const cookie = request.cookies[SESSION_COOKIE];
  return bearer ? store.tokenIdentity(bearer) : cookie ? store.sessionIdentity(cookie) : null;
}
