// Starts the connectors role: one connector per media server of the server list, producing to
// the platform's bus. SIGHUP re-reads the list.
import { join } from 'node:path';
import { ConnectorRunner } from '../connectors/runner.ts';
import { loadServerConfigs } from '../connectors/config.ts';
import type { Config } from './config.ts';
import { installId } from './install-id.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startConnectors(config: Config, platform: Platform, logger: Logger): Promise<ConnectorRunner> {
  const runner = new ConnectorRunner({
    producer: await platform.bus.producer(),
    logger,
    clientId: installId(config.dataDir),
    stateDir: join(config.dataDir, 'connectors'),
  });
  const file = config.serversFile;
  if (!file) {
    logger.warn('no media servers configured: set STREAMWARDEN_SERVERS_FILE to a JSON list of servers');
    return runner;
  }
  await runner.apply(loadServerConfigs(file));
  process.on('SIGHUP', () => {
    const refused = (err: unknown) => logger.error({ err: (err as Error).message, file }, 'server list not reloaded; keeping the running one');
    try {
      runner.apply(loadServerConfigs(file)).then(() => logger.info({ file }, 'server list reloaded'), refused);
    } catch (err) {
      refused(err);
    }
  });
  return runner;
}
