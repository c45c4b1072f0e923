// Runs one connector per configured media server, of any mix of types, in one process, and
// produces their playback events (keyed by account, so one account's events stay in order) and
// server metrics to the bus.
import type { CacheSize } from '../core/cache-size.ts';
import type { BusProducer } from '../bus/types.ts';
import { publish } from '../bus/typed.ts';
import { placeAddress, type GeoLookup } from '../core/geoip.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type PlaybackEvent, type ServerType } from '../schemas/index.ts';
import { UnknownServerError, type ServerConfig } from './config.ts';
import { MediaBrowserClient } from './mediabrowser.ts';
import type { ChangeFeed, MediaServerClient } from './model.ts';
import { PlexClient } from './plex.ts';
import { ServerConnector, type ConnectorStatus, type ConnectorTiming } from './server-connector.ts';
import { LibrarySync } from './library-sync.ts';

export interface RunnerOptions {
  producer: BusProducer;
  logger: Logger;
  /** Identifies this install to the media servers (X-Plex-Client-Identifier, DeviceId). */
  clientId: string;
  /** Places client addresses on the events (absent: events leave unplaced, as before version 3). */
  geo?: GeoLookup;
  /** Where connectors keep their tracked sessions across restarts. */
  stateDir?: string;
  timing?: ConnectorTiming;
  /** Library reads: interval and first delay (defaults 6 h and 30 s); null turns them off. */
  librarySync?: { intervalMs?: number; initialDelayMs?: number } | null;
  /** The time the connectors stamp on what they see (default the system clock; tests move it on). */
  now?: () => number;
}

const SERVER_TYPES: Record<ServerConfig['type'], ServerType> = { plex: 'PLEX', jellyfin: 'JELLYFIN', emby: 'EMBY' };

export function createClient(config: ServerConfig, clientId: string): { client: MediaServerClient; feed?: ChangeFeed } {
  if (config.type === 'plex') {
    const client = new PlexClient({ url: config.url, token: config.token, clientId, limits: config.limits });
    return { client, feed: client.changeFeed() };
  }
  const client = new MediaBrowserClient({
    flavor: SERVER_TYPES[config.type] as 'JELLYFIN' | 'EMBY',
    url: config.url,
    token: config.token,
    clientId,
    limits: config.limits,
  });
  return { client, feed: client.changeFeed() };
}

export class ConnectorRunner {
  private readonly connectors = new Map<
    string,
    { config: ServerConfig; connector: ServerConnector; client: MediaServerClient; library?: LibrarySync }
  >();

  constructor(private readonly options: RunnerOptions) {}

  /** Events leave with their place, so that no consumer looks the address up again. */
  private readonly place = (event: PlaybackEvent): PlaybackEvent =>
    this.options.geo ? { ...event, ...placeAddress(this.options.geo, event) } : event;

  /** Starts connectors for new servers, restarts changed ones, stops removed or disabled ones. */
  async apply(configs: ServerConfig[]): Promise<void> {
    const wanted = new Map(configs.filter((c) => c.enabled).map((c) => [c.id, c]));
    for (const [id, running] of this.connectors) {
      const next = wanted.get(id);
      if (!next || JSON.stringify(next) !== JSON.stringify(running.config)) {
        await running.library?.stop();
        await running.connector.stop();
        this.connectors.delete(id);
      }
    }
    for (const config of wanted.values()) {
      if (this.connectors.has(config.id)) continue;
      const { client, feed } = createClient(config, this.options.clientId);
      const connector = new ServerConnector({
        server: { id: config.id, type: SERVER_TYPES[config.type], name: config.name },
        client,
        feed,
        logger: this.options.logger,
        stateDir: this.options.stateDir,
        now: this.options.now,
        timing: {
          ...this.options.timing,
          ...(config.pollIntervalMs ? { pollIntervalMs: config.pollIntervalMs } : {}),
          ...(config.stopGraceMs !== undefined ? { stopGraceMs: config.stopGraceMs } : {}),
        },
        emitEvents: (events) => publish(this.options.producer, topics.playbackEvents, events.map(this.place)),
        emitMetrics: (sample) => publish(this.options.producer, topics.serverMetrics, [sample]),
      });
      const library =
        this.options.librarySync === null
          ? undefined
          : new LibrarySync({
              server: { id: config.id, type: SERVER_TYPES[config.type] },
              client,
              logger: this.options.logger,
              emit: (pages) => publish(this.options.producer, topics.librarySnapshots, pages),
              ...this.options.librarySync,
            });
      this.connectors.set(config.id, { config, connector, client, library });
      connector.start();
      library?.start();
      this.options.logger.info({ serverId: config.id, type: config.type, url: config.url }, 'watching media server');
    }
  }

  /** What each server's client keeps in memory, per server. */
  caches(): Array<CacheSize & { serverId: string }> {
    return [...this.connectors.entries()].flatMap(([serverId, c]) =>
      (c.client.caches?.() ?? []).map((size) => ({ ...size, serverId })),
    );
  }

  statuses(): ConnectorStatus[] {
    return [...this.connectors.values()].map((c) => ({ ...c.connector.status }));
  }

  /** The API client of a server (users, libraries, identity). */
  client(serverId: string): MediaServerClient {
    return this.entry(serverId).client;
  }

  connector(serverId: string): ServerConnector {
    return this.entry(serverId).connector;
  }

  async terminate(serverId: string, sessionKey: string, message: string): Promise<void> {
    await this.entry(serverId).connector.terminate(sessionKey, message);
  }

  async message(serverId: string, sessionKey: string, text: string): Promise<void> {
    await this.entry(serverId).connector.message(sessionKey, text);
  }

  async stop(): Promise<void> {
    for (const { connector, library } of this.connectors.values()) {
      await library?.stop();
      await connector.stop();
    }
    this.connectors.clear();
  }

  private entry(serverId: string) {
    const entry = this.connectors.get(serverId);
    if (!entry) throw new UnknownServerError(serverId);
    return entry;
  }
}
