// Starts the connectors role: one connector per media server of the server list, producing to
// the platform's bus. Servers saved in the dashboard apply at once; with a server file, SIGHUP
// re-reads it.
import { join } from 'node:path';
import { ConnectorRunner } from '../connectors/runner.ts';
import { SERVERS_DOCUMENT, type ServerRegistry } from '../connectors/server-registry.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import type { Config } from './config.ts';
import { installId } from './install-id.ts';
import type { GeoLookup } from '../core/geoip.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export async function startConnectors(
  config: Config,
  platform: Platform,
  configuration: { servers: ServerRegistry; documents: ConfigDocuments },
  geo: GeoLookup,
  logger: Logger,
): Promise<{ runner: ConnectorRunner; stop(): Promise<void> }> {
  const runner = new ConnectorRunner({
    producer: await platform.bus.producer(),
    geo,
    logger,
    clientId: installId(config.dataDir),
    stateDir: join(config.dataDir, 'connectors'),
    librarySync: { intervalMs: config.librarySyncMinutes * 60_000 },
  });
  const { servers } = configuration;
  const initial = await servers.list();
  if (initial.length === 0)
    logger.warn('no media servers configured yet: add one in the dashboard (Settings > Servers)');
  await runner.apply(initial);
  // One reload at a time, and the newest list wins, so quick successive saves cannot interleave.
  let reloading = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(() =>
      servers.list().then(
        (list) => runner.apply(list).then(() => logger.info({ servers: list.length, why }, 'server list applied')),
        (err: unknown) =>
          logger.error({ err: (err as Error).message }, 'server list not reloaded; keeping the running one'),
      ),
    );
  };
  const onHangup = () => reload('SIGHUP');
  if (servers.readOnlySource) process.on('SIGHUP', onHangup);
  const unwatch = configuration.documents.onChange((name) => {
    if (name === SERVERS_DOCUMENT) reload('saved in the dashboard');
  });
  return {
    runner,
    stop: async () => {
      unwatch();
      process.off('SIGHUP', onHangup);
      await reloading;
      await runner.stop();
    },
  };
}
