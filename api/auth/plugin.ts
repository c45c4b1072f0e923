// Authentication, decided on the route Fastify matched, never on the raw URL: every route is
// private unless it was registered as public (setup, login, health, the static app, the API
// docs). The router decodes the path before matching, so any prefix test on the raw URL can be
// dodged by a spelling such as /%61pi/; the matched route's config cannot. A request that matched
// no route reaches the not-found handler, which serves only the app shell and JSON 404s.
//
// Credentials: a session cookie from the login form, or `Authorization: Bearer sw_...`.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { AuthStore } from './store.ts';

export const SESSION_COOKIE = 'sw_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: string | null;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. Only `publicRoutes` and `route.public` set it. */
    public?: boolean;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  public: boolean;
  websocket: boolean;
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

/**
 * Installs the check on `app` (after @fastify/cookie, before any route) and returns a function
 * listing every route registered after it with its access, for tests and the security sweep.
 */
export function requireAuth(app: FastifyInstance, store: AuthStore): () => RouteAccess[] {
  // Kept as registered and read later: a scope's own onRoute hook (publicRoutes) runs after this one.
  const routes: Array<RouteOptions & { websocket?: boolean }> = [];
  app.decorateRequest('user', null);
  app.addHook('onRoute', (route: RouteOptions & { websocket?: boolean }) => {
    routes.push(route);
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.is404 || request.routeOptions.config.public === true) return;
    request.user = await authenticate(request, store);
    if (!request.user)
      throw new AppError('unauthorized', 'Sign in, or send an API token as "Authorization: Bearer sw_...".');
  });
  return () =>
    routes.flatMap((route) =>
      [route.method].flat().map((method) => ({
        method,
        url: route.url,
        public: route.config?.public === true,
        websocket: route.websocket === true,
      })),
    );
}

/** The signed-in user of a request, or null. */
async function authenticate(request: FastifyRequest, store: AuthStore): Promise<string | null> {
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const cookie = request.cookies[SESSION_COOKIE];
  return bearer ? store.tokenUser(bearer) : cookie ? store.sessionUser(cookie) : null;
}
