// What each process runs. `all` (the default, and what the embedded mode needs) runs every part
// in one process; `connectors`, `pipeline` and `api` split them over processes that share a
// Kafka/Redpanda cluster and a ClickHouse server.
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { Notifier } from '../alerts/notifier.ts';
import { EventNotifier } from '../alerts/event-notifier.ts';
import { AutomationEngine } from '../alerts/automation-engine.ts';
import { CommandExecutor, localControl, remoteControl } from '../connectors/commands.ts';
import { DEFAULT_SETTINGS } from '../warehouse/settings-store.ts';
import { DEFAULT_RULES, type RuleSettings } from '../pipeline/rules/settings.ts';
import { GeoIp } from '../core/geoip.ts';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import type { Configuration } from '../api/configuration.ts';
import { startConnectors } from './connectors.ts';
import { installId } from './install-id.ts';
import { ImageProxy } from '../connectors/image-proxy.ts';
import type { Logger } from '../core/logger.ts';
import { startProcessor } from './pipeline.ts';
import type { Platform } from './platform.ts';
import { startSink } from './sink.ts';
import { startApi } from './api.ts';
import { healthProbe } from '../api/health.ts';

const ROLES = ['all', 'connectors', 'pipeline', 'api'] as const;
export type Role = (typeof ROLES)[number];

export function parseRole(value: string | undefined, config: Config): Role {
  const role = (value ?? 'all').trim().toLowerCase();
  if (!ROLES.includes(role as Role))
    throw new ConfigError(
      `role must be one of ${ROLES.join(', ')} (argument or STREAMWARDEN_ROLE), got ${JSON.stringify(value)}`,
    );
  if (role !== 'all' && config.kafka.brokers.length === 0) {
    throw new ConfigError(
      `the ${role} role alone needs KAFKA_BROKERS (and CLICKHOUSE_URL): the embedded bus and ClickHouse live inside one process, so run without a role there`,
    );
  }
  if (role !== 'all' && !config.clickhouse.url) {
    throw new ConfigError(
      `the ${role} role alone needs CLICKHOUSE_URL: processes share the warehouse (configuration, sessions), and the embedded one is private to a process`,
    );
  }
  return role as Role;
}

export interface Running {
  /** Where this process answers HTTP (the API, or the health check of other roles). */
  address: string;
  stop(): Promise<void>;
}

/** Starts the parts of `role`; stops them in reverse order. */
export async function startRole(
  role: Role,
  config: Config,
  platform: Platform,
  configuration: Configuration,
  logger: Logger,
): Promise<Running> {
  // Shutdown order: no new requests, no new events, then each consumer drains what is on the
  // bus (processor, then alerts on its violations, then the sink) so nothing is left over.
  const order = ['http', 'commands', 'connectors', 'pipeline', 'alerts', 'sink'] as const;
  const stops = new Map<(typeof order)[number], () => Promise<void>>();
  let address = '';
  const stopAll = async () => {
    for (const part of order) await stops.get(part)?.();
  };
  try {
    // Every role uses it: connectors place the events they make, the API places imports, the sink
    // and the processor place records written before events carried their place.
    const geo = await GeoIp.open({ databasePath: config.geoipDatabase });
    logger.info({ geoip: geo.source }, 'geolocation database loaded');

    let sink;
    let pipeline;
    if (role === 'all' || role === 'pipeline') {
      sink = await startSink(platform, geo, logger);
      stops.set('sink', async () => (await sink!.drain(), await sink!.stop()));
      pipeline = await startProcessor(platform, geo, configuration.rules, configuration, logger);
      stops.set('pipeline', async () => (await pipeline!.drain(), await pipeline!.stop()));
    }
    let connectors;
    if (role === 'all' || role === 'connectors') {
      connectors = await startConnectors(config, platform, configuration, geo, logger);
      stops.set('connectors', () => connectors!.stop());
      if (role === 'connectors' || config.kafka.brokers.length > 0) {
        // Stop requests from API processes elsewhere.
        const commands = new CommandExecutor({
          bus: platform.bus,
          runner: connectors.runner,
          logger,
          groupId: `connectors-commands-${installId(config.dataDir)}`,
        });
        await commands.start();
        stops.set('commands', () => commands.stop());
      }
    }
    if (role === 'all' || role === 'pipeline') {
      // Alerts and rule actions; streams are stopped by the connectors here, or through the bus.
      let rules: RuleSettings = DEFAULT_RULES;
      const unwatch = await configuration.rules.watch(
        (config) => (rules = config.rules),
        (err) => logger.error({ err: err.message }, 'rule actions not reloaded'),
      );
      const notifierControl = connectors
        ? localControl(connectors.runner)
        : remoteControl(await platform.bus.producer());
      const notifier = new Notifier({
        bus: platform.bus,
        warehouse: platform.warehouse,
        channels: configuration.channels,
        rules: () => rules,
        control: notifierControl,
        defaultTerminateMessage: async () =>
          (await configuration.settings.read().catch(() => DEFAULT_SETTINGS)).terminateMessage,
        logger,
      });
      await notifier.start();
      // The e-mailed digest carries posters of titles added, read from the servers as the API does.
      const posters = new ImageProxy({
        servers: () => configuration.servers.list(),
        clientId: installId(config.dataDir),
      });
      const events = new EventNotifier({
        bus: platform.bus,
        warehouse: platform.warehouse,
        channels: configuration.channels,
        settings: () => configuration.settings.read().catch(() => DEFAULT_SETTINGS),
        logger,
        poster: (serverId, imageRef) => posters.get(serverId, imageRef, 160),
      });
      await events.start();
      const automations = new AutomationEngine({
        bus: platform.bus,
        warehouse: platform.warehouse,
        automations: configuration.automations,
        channels: configuration.channels,
        people: configuration.people,
        trustAdjustments: configuration.trustAdjustments,
        control: notifierControl,
        settings: () => configuration.settings.read().catch(() => DEFAULT_SETTINGS),
        logger,
      });
      await automations.start();
      stops.set('alerts', async () => {
        unwatch();
        await notifier.drain();
        await notifier.stop();
        await events.drain();
        await events.stop();
        posters.close();
        await automations.drain();
        await automations.stop();
      });
    }
    if (role === 'all' || role === 'api') {
      const api = await startApi(config, platform, logger, {
        configuration,
        geo,
        connectors: connectors?.runner,
        processor: pipeline?.processor,
        sink,
      });
      stops.set('http', () => api.close());
      address = api.address;
    } else {
      // Roles without the API still answer health checks (compose, Kubernetes).
      const health = Fastify({
        loggerInstance: logger.child({ component: 'health' }) as FastifyBaseLogger,
        logController: new LogController({ disableRequestLogging: true }),
      });
      const probe = healthProbe(platform.warehouse, platform.bus);
      health.get('/health', async (_request, reply) => {
        const { code, body } = await probe();
        return reply.code(code).send({ ...body, role });
      });
      address = await health.listen({ host: config.http.host, port: config.http.port });
      stops.set('http', () => health.close());
    }
  } catch (err) {
    // The start-up error is the one to report; stopping what did start is best effort.
    await stopAll().catch(() => undefined);
    throw err;
  }
  return { address, stop: stopAll };
}
