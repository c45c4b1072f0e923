// `npm start [role]`: Streamwarden. With nothing configured it runs embedded in one process: the
// bus and ClickHouse (chdb) keep their data under ./data. With KAFKA_BROKERS and CLICKHOUSE_URL a
// role (argument or STREAMWARDEN_ROLE: connectors, pipeline, api) runs one part.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from '../core/logger.ts';
import { startPlatform } from './platform.ts';
import { ServerConfigError } from '../connectors/config.ts';
import { RuleConfigError } from '../pipeline/rules/rules-file.ts';
import { openConfiguration } from '../api/configuration.ts';
import { parseRole, startRole } from './roles.ts';
import { loadSecretBox } from '../core/secret-box.ts';
import { collectGarbage } from '../core/heap.ts';
import { missingNodeFlags, NODE_FLAGS } from './node-flags.ts';

function fail(message: string): never {
  console.error(`streamwarden: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let config;
  let role;
  try {
    config = loadConfig();
    role = parseRole(process.argv[2] ?? process.env.STREAMWARDEN_ROLE, config);
  } catch (err) {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
    throw err;
  }
  const logger = createLogger('streamwarden', config.logLevel).child({ role });
  const platform = await startPlatform(config, logger);
  let secrets;
  try {
    secrets = loadSecretBox(config.dataDir);
  } catch (err) {
    await platform.close();
    fail(`STREAMWARDEN_SECRET_KEY: ${(err as Error).message}`);
  }
  const configuration = openConfiguration(platform.warehouse, {
    secrets,
    serversFile: config.serversFile,
    rulesFile: config.rulesFile,
    pushSubject: config.publicUrl?.startsWith('https:') ? config.publicUrl : undefined,
  });
  let running;
  try {
    running = await startRole(role, config, platform, configuration, logger);
  } catch (err) {
    // A bad rules or server file stops start-up with its message, not a stack trace.
    if (err instanceof ServerConfigError || err instanceof RuleConfigError) {
      configuration.close();
      await platform.close();
      fail(err.message);
    }
    throw err;
  }
  logger.info(
    {
      address: running.address,
      bus: platform.bus.description,
      warehouse: platform.warehouse.description,
      dataDir: config.dataDir,
    },
    'streamwarden started',
  );

  const missing = missingNodeFlags();
  if (missing.length > 0)
    logger.warn(
      { missing, expected: NODE_FLAGS },
      'started without the node flags npm start passes: the process may take ~100 MiB more memory',
    );

  // Start-up (migrations, transpiling the modules, the ASN tables) grows the heap to a size that V8
  // then keeps while the process idles: it allocates too little to make V8 collect. One full
  // collection once start-up has settled (bench/README.md, "Memory").
  const settled = setTimeout(() => {
    const heap = collectGarbage();
    logger.info(
      {
        heapBeforeMiB: Math.round(heap.before / 2 ** 20),
        heapAfterMiB: Math.round(heap.after / 2 ** 20),
        // In bytes as well: with the young generation capped, little may be left to free by then.
        freedBytes: heap.before - heap.after,
      },
      'start-up garbage collected',
    );
  }, 10_000);
  settled.unref();

  // Watches the warehouse so an outage shows in the log when it starts and ends, not per check.
  let warehouseUp = true;
  const healthCheck = setInterval(() => {
    void platform.warehouse.ping().then((up) => {
      if (up !== warehouseUp)
        (up ? logger.info.bind(logger) : logger.error.bind(logger))(
          { warehouse: platform.warehouse.description },
          up ? 'warehouse reachable again' : 'warehouse unreachable',
        );
      warehouseUp = up;
    });
  }, 15_000);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(healthCheck);
    clearTimeout(settled);
    try {
      await running.stop();
      configuration.close();
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
