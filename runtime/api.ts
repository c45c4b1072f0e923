// Starts the API role on HOST:PORT, with the live push and, when the connectors run in this
// process, stopping streams.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.ts';
import { NETWORK_CREDIT } from '../core/networks.ts';
import { LiveHub } from '../api/live.ts';
import type { ConnectorRunner } from '../connectors/runner.ts';
import { localControl, remoteControl } from '../connectors/commands.ts';
import type { GeoIp } from '../core/geoip.ts';
import type { StreamProcessor } from '../pipeline/processor.ts';
import type { WarehouseSink } from '../warehouse/sink.ts';
import { metricsCollector } from './metrics.ts';
import type { Config } from './config.ts';
import type { Configuration } from '../api/configuration.ts';
import { installId } from './install-id.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export interface ApiParts {
  configuration: Configuration;
  geo: GeoIp;
  connectors?: ConnectorRunner;
  processor?: StreamProcessor;
  sink?: WarehouseSink;
}

export async function startApi(
  config: Config,
  platform: Platform,
  logger: Logger,
  parts: ApiParts,
): Promise<{ app: FastifyInstance; address: string; close(): Promise<void> }> {
  const { connectors } = parts;
  const live = new LiveHub({ bus: platform.bus, warehouse: platform.warehouse, logger });
  await live.start();
  const app = await buildApi({
    warehouse: platform.warehouse,
    bus: platform.bus,
    logger,
    live,
    // In one process the connectors stop streams directly; otherwise through the bus.
    control: connectors ? localControl(connectors) : remoteControl(await platform.bus.producer()),
    serverStatus: connectors && (() => connectors.statuses()),
    metrics: metricsCollector({
      bus: platform.bus,
      connectors,
      processor: parts.processor,
      sink: parts.sink,
      warehouse: platform.warehouse,
    }),
    configuration: parts.configuration,
    clientId: installId(config.dataDir),
    // Both data sets detection and the map rest on, credited together in the dashboard.
    geoipSource: `${parts.geo.source}; ${NETWORK_CREDIT}`,
    geo: parts.geo,
    secureCookies: process.env.STREAMWARDEN_SECURE_COOKIES === 'true',
    trustedProxies: config.http.trustedProxies,
    allowedOrigins: config.http.allowedOrigins,
    oidc: config.oidc,
    plexTv: config.plexSignIn ? { baseUrl: config.plexTvUrl } : false,
    analyticsCacheMs: config.analyticsCacheSeconds * 1000,
  });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ address }, 'API listening');
  return {
    app,
    address,
    close: async () => {
      await app.close();
      await live.stop();
    },
  };
}
