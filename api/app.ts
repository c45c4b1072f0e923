// The HTTP API: Fastify, every route private unless registered as public (auth/plugin.ts), security
// headers on every response, JSON errors with a clear message (errors.ts).
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Bus, BusProducer } from '../bus/types.ts';
import { publish } from '../bus/typed.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import type { Logger } from '../core/logger.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { publicRoutes, requireAuth, type RouteAccess } from './auth/plugin.ts';
import { securityHeaders } from './security-headers.ts';
import { handleErrors } from './errors.ts';
import { SHARED_SCHEMAS } from './contract.ts';
import { healthProbe } from './health.ts';
import { boundNumbers, finiteKeyword } from './bounded-numbers.ts';
import { AuthStore } from './auth/store.ts';
import { RevocationFeed } from './auth/revocations.ts';
import { authRoutes } from './routes/auth.ts';
import { externalSignInRoutes } from './routes/external-sign-in.ts';
import { OidcSignIn, type OidcSettings } from './auth/oidc.ts';
import { PlexSignIn } from './auth/plex-sign-in.ts';
import { PlexEmails } from '../connectors/plex-emails.ts';
import { PlexTv } from '../connectors/plex-tv.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { dashboardUserRoutes } from './routes/dashboard-users.ts';
import { auditRoutes } from './routes/audit.ts';
import { backupRoutes } from './routes/backup.ts';
import { exportRoutes } from './routes/exports.ts';
import { auditTrail } from './audit.ts';
import { AuditQueries } from '../warehouse/queries/audit.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { serverMetricsRoutes } from './routes/server-metrics.ts';
import { violationRoutes } from './routes/violations.ts';
import { API_TAGS, tagByResource } from './openapi-tags.ts';
import { summariseOperations } from './openapi-summaries.ts';
import { liveRoutes, type StreamControl } from './routes/live.ts';
import { userRoutes } from './routes/users.ts';
import { peopleRoutes } from './routes/people.ts';
import { userBulkRoutes } from './routes/users-bulk.ts';
import { libraryRoutes } from './routes/library.ts';
import { rulesRoutes } from './routes/rules.ts';
import { DEFAULT_DASHBOARD_DIR, serveDashboard } from './static.ts';
import { importRoutes } from './routes/imports.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { pushRoutes } from './routes/push.ts';
import { automationRoutes } from './routes/automations.ts';
import { ImportJobs } from '../importers/jobs.ts';
import type { GeoIp } from '../core/geoip.ts';
import { serversRoutes } from './routes/servers.ts';
import { imageRoutes } from './routes/images.ts';
import { plexServerRoutes } from './routes/plex-servers.ts';
import { settingsRoutes } from './routes/settings.ts';
import type { Configuration } from './configuration.ts';
import { cacheMetrics, metricsRoute, type Metric } from './routes/metrics.ts';
import { ShortCache } from './short-cache.ts';
import type { CacheSize } from '../core/cache-size.ts';
import type { ConnectorStatus } from '../connectors/server-connector.ts';
import type { LiveHub } from './live.ts';

export interface ApiOptions {
  warehouse: Warehouse;
  bus?: Bus;
  logger: Logger;
  secureCookies?: boolean;
  loginAttemptsPerMinute?: number;
  /** Live push over /api/v1/live (absent: no WebSocket route). */
  live?: LiveHub;
  /** Stopping streams: the connectors, when they run in this process. */
  control?: StreamControl;
  /** Live status of the media servers, when the connectors run in this process. */
  serverStatus?: () => ConnectorStatus[];
  /** Figures for Prometheus at /metrics. */
  metrics?: () => Promise<Metric[]>;
  /** Media servers, rules and settings as the dashboard edits them. */
  configuration: Configuration;
  /** Identifies this install to media servers when testing a connection. */
  clientId: string;
  /** Credit line of the geolocation database, shown in the dashboard. */
  geoipSource?: string;
  /** Places imported plays (history import). */
  geo?: GeoIp;
  /** The built dashboard to serve (default dashboard/app/build). */
  dashboardDir?: string;
  /**
   * Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (the client
   * address for rate limits and logs). Empty: no proxy is trusted, the socket address counts.
   */
  trustedProxies?: string[];
  /** Origins besides the app's own allowed to open the live WebSocket (https://host:port). */
  allowedOrigins?: string[];
  /** Sign-in with an OpenID Connect provider. */
  oidc?: OidcSettings;
  /** Sign-in with Plex accounts (plex.tv's addresses; tests give a stand-in); false turns it off. */
  plexTv?: { baseUrl?: string; appUrl?: string } | false;
  /** How long the same analytics question is answered from memory (default 0: never). */
  analyticsCacheMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access (public or private), in registration order. */
    routeAccess: () => RouteAccess[];
  }
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Trusting every proxy would let any client pick its own address (and so its own rate-limit
    // key) with X-Forwarded-For.
    trustProxy: options.trustedProxies?.length ? options.trustedProxies : false,
    // Closing must not wait on live sockets or upgraded connections the router answered.
    forceCloseConnections: true,
    logController: new LogController({ disableRequestLogging: true }),
    // Unknown fields are refused with their name rather than silently dropped: a typo in a
    // setting must not look saved.
    ajv: { customOptions: { removeAdditional: false }, plugins: [finiteKeyword] },
  });
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const [first] = errors;
    const where = `${dataVar}${first?.instancePath ?? ''}`;
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    return new Error(extra ? `${where} has an unknown field "${extra}"` : `${where} ${first?.message ?? 'is invalid'}`);
  });
  handleErrors(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  const dashboardDir = options.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
  const store = new AuthStore(options.warehouse);
  await app.register(cookie);
  // Its hooks must run before a refusal, so that a refused handshake's socket is closed.
  await app.register(websocket);
  // Before any route, so that every route is seen and checked.
  app.decorate('routeAccess', requireAuth(app, store));
  const audit = new AuditQueries(options.warehouse);
  auditTrail(app, audit, options.logger);
  boundNumbers(app);
  tagByResource(app);
  summariseOperations(app);
  await securityHeaders(app, dashboardDir);
  if (options.bus) {
    const revocations = new RevocationFeed({ bus: options.bus, store, logger: options.logger });
    await revocations.start();
    app.addHook('onClose', () => revocations.stop());
  }
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Streamwarden API',
        version: '1',
        description:
          'Sessions, analytics, users, violations and stream control. Sign in (cookie) or send an API token.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'sw_session' },
          token: { type: 'http', scheme: 'bearer', description: 'API token sw_<id>_<secret>' },
        },
      },
      security: [{ session: [] }, { token: [] }],
      tags: API_TAGS.map((t) => ({ ...t })),
    },
  });
  await publicRoutes(app, async (scope) => {
    await scope.register(swaggerUi, { routePrefix: '/api-docs', uiConfig: { validatorUrl: null } });
    const health = healthProbe(options.warehouse, options.bus);
    scope.get('/health', async (_request, reply) => {
      const { code, body } = await health();
      return reply.code(code).send(body);
    });
  });

  await app.register(authRoutes, {
    store,
    secureCookies: options.secureCookies ?? false,
    loginAttemptsPerMinute: options.loginAttemptsPerMinute ?? 10,
    passwordSignIn: !options.oidc?.only,
  });
  await app.register(externalSignInRoutes, {
    store,
    oidc: options.oidc && new OidcSignIn(options.oidc, options.configuration.secrets),
    plex:
      options.plexTv === false
        ? undefined
        : new PlexSignIn({
            ...options.plexTv,
            clientId: options.clientId,
            secrets: options.configuration.secrets,
            servers: () => options.configuration.servers.list(),
          }),
    secureCookies: options.secureCookies ?? false,
  });
  await app.register(tokenRoutes, { store });
  await app.register(dashboardUserRoutes, { store, push: options.configuration.channels.push });
  await app.register(auditRoutes, { audit });
  await app.register(backupRoutes, { warehouse: options.warehouse });
  await app.register(exportRoutes, { warehouse: options.warehouse, people: options.configuration.people, audit });
  await app.register(sessionRoutes, { warehouse: options.warehouse, live: options.live });
  const analyticsCache = new ShortCache<unknown>(options.analyticsCacheMs ?? 0);
  await app.register(analyticsRoutes, { warehouse: options.warehouse, live: options.live, cache: analyticsCache });
  await app.register(serverMetricsRoutes, { warehouse: options.warehouse });
  await app.register(violationRoutes, {
    warehouse: options.warehouse,
    falseAlarms: options.configuration.falseAlarms,
  });
  await app.register(liveRoutes, {
    live: options.live,
    control: options.control,
    allowedOrigins: options.allowedOrigins,
    defaultMessage: async () => (await options.configuration.settings.read()).terminateMessage,
  });
  await app.register(userRoutes, {
    warehouse: options.warehouse,
    trustAdjustments: options.configuration.trustAdjustments,
  });
  await app.register(userBulkRoutes, {
    warehouse: options.warehouse,
    rules: options.configuration.rules,
    trustAdjustments: options.configuration.trustAdjustments,
  });
  await app.register(peopleRoutes, {
    warehouse: options.warehouse,
    people: options.configuration.people,
    rules: options.configuration.rules,
    // Suggestions by e-mail ask plex.tv: only where plex.tv is given (the product gives it unless
    // Plex sign-in is off; tests give a stand-in or nothing, so they never call out).
    emails: !options.plexTv
      ? undefined
      : new PlexEmails({
          plexTv: new PlexTv({ ...options.plexTv, clientId: options.clientId }),
          servers: () => options.configuration.servers.list(),
          logger: options.logger,
        }),
  });
  await app.register(libraryRoutes, { warehouse: options.warehouse });
  await app.register(rulesRoutes, { warehouse: options.warehouse, store: options.configuration.rules });
  await app.register(serversRoutes, {
    registry: options.configuration.servers,
    clientId: options.clientId,
    serverStatus: options.serverStatus,
  });
  if (options.plexTv !== false)
    await app.register(plexServerRoutes, {
      registry: options.configuration.servers,
      secrets: options.configuration.secrets,
      plexTv: options.plexTv ?? {},
      clientId: options.clientId,
    });
  await app.register(imageRoutes, { registry: options.configuration.servers, clientId: options.clientId });
  await app.register(settingsRoutes, { settings: options.configuration.settings, geoipSource: options.geoipSource });
  if (options.metrics) {
    const collect = options.metrics;
    const own = (): CacheSize[] => [
      ...(options.live?.caches() ?? []),
      { cache: 'analytics-answers', entries: analyticsCache.size, limit: analyticsCache.limit },
    ];
    await app.register(metricsRoute, { collect: async () => [...(await collect()), ...cacheMetrics(own())] });
  }
  await app.register(automationRoutes, {
    automations: options.configuration.automations,
    settings: options.configuration.settings,
    warehouse: options.warehouse,
  });
  await app.register(pushRoutes, { push: options.configuration.channels.push });
  await app.register(notificationRoutes, {
    channels: options.configuration.channels,
    settings: options.configuration.settings,
    warehouse: options.warehouse,
  });
  await app.register(importRoutes, {
    jobs: new ImportJobs({
      warehouse: options.warehouse,
      geo: options.geo,
      logger: options.logger,
      announce: options.bus ? announcer(options.bus) : undefined,
    }),
  });
  await serveDashboard(app, dashboardDir);
  return app;
}

/** Publishes events on streamwarden.events through one producer, made when first needed. */
function announcer(bus: Bus): (event: OperatorEvent) => Promise<void> {
  let producer: Promise<BusProducer> | undefined;
  return async (event) => publish(await (producer ??= bus.producer()), topics.events, [event]);
}
