// The warehouse Streamwarden is configured with (same environment variables as `npm start`), opened
// and migrated for a command-line tool. With the embedded ClickHouse one process owns ./data, so the
// tool says to stop Streamwarden first rather than failing obscurely.
import { join } from 'node:path';
import { createLogger, type Logger } from '../core/logger.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { preparePrivateDataDir } from './data-dir.ts';

export async function openCliWarehouse(
  tool: string,
  usage: (message: string) => never,
  /** What else the user can do while Streamwarden runs, e.g. "or import from the dashboard". */
  alternative?: string,
): Promise<{ warehouse: Warehouse; config: Config; logger: Logger }> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  const logger = createLogger(tool, 'warn');
  let warehouse;
  try {
    preparePrivateDataDir(config.dataDir, logger);
    warehouse = await openWarehouse({ ...config.clickhouse, embeddedPath: join(config.dataDir, 'clickhouse') }, logger);
  } catch (err) {
    console.error(
      `${tool}: cannot open the warehouse (${(err as Error).message}). With the embedded ClickHouse, stop Streamwarden first${alternative ? ` ${alternative}` : ''}.`,
    );
    process.exit(1);
  }
  await migrate(warehouse, logger);
  return { warehouse, config, logger };
}
