// `npm start`: Streamwarden in one process. With nothing configured it runs embedded: the bus
// and ClickHouse (chdb) keep their data under ./data.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startPlatform } from './platform.ts';
import { startConnectors } from './connectors.ts';
import { startSink } from './sink.ts';
import { startProcessor } from './pipeline.ts';
import { startApi } from './api.ts';
import { GeoIp } from '../pipeline/geoip.ts';
import { ServerConfigError } from '../connectors/config.ts';
import { RuleConfigError } from '../pipeline/rules/rules-file.ts';
import { openConfiguration } from './configuration.ts';
import { loadSecretBox } from './secret-box.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`streamwarden: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('streamwarden', config.logLevel);
  const platform = await startPlatform(config, logger);
  const geo = await GeoIp.open({ databasePath: config.geoipDatabase });
  logger.info({ geoip: geo.source }, 'geolocation database loaded');
  const sink = await startSink(platform, geo, logger);
  const configuration = openConfiguration(platform.warehouse, { secrets: loadSecretBox(config.dataDir), serversFile: config.serversFile, rulesFile: config.rulesFile });
  let pipeline;
  let connectors;
  try {
    pipeline = await startProcessor(platform, geo, configuration.rules, logger);
    connectors = await startConnectors(config, platform, configuration, logger);
  } catch (err) {
    // A bad rules or server file stops start-up with its message, not a stack trace.
    if (err instanceof ServerConfigError || err instanceof RuleConfigError) {
      console.error(`streamwarden: ${err.message}`);
      await sink.stop();
      await platform.close();
      process.exit(2);
    }
    throw err;
  }
  const api = await startApi(config, platform, logger, { configuration, geo, connectors: connectors.runner, processor: pipeline.processor, sink });
  logger.info({ bus: platform.bus.description, warehouse: platform.warehouse.description, dataDir: config.dataDir }, 'streamwarden started');

  // Watches the warehouse so an outage shows in the log when it starts and ends, not per check.
  let warehouseUp = true;
  const healthCheck = setInterval(() => {
    void platform.warehouse.ping().then((up) => {
      if (up !== warehouseUp) (up ? logger.info.bind(logger) : logger.error.bind(logger))({ warehouse: platform.warehouse.description }, up ? 'warehouse reachable again' : 'warehouse unreachable');
      warehouseUp = up;
    });
  }, 15_000);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(healthCheck);
    try {
      await api.close();
      await connectors.stop();
      await pipeline.stop();
      configuration.close();
      await sink.stop();
      await platform.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('streamwarden: failed to start:', err);
  process.exit(1);
});
