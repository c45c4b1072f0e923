// One entry for every history source, used by the command line and the API.
import type { GeoLookup } from '../core/geoip.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { readJellystatBackup } from './jellystat.ts';
import { ImportFormatError, newSourceRows, type ImportedPlay, type SourceRows } from './play.ts';
import { openPlaybackReportingDatabase } from './playback-reporting.ts';
import { tautulliApiHistory } from './tautulli-api.ts';
import { openTautulliDatabase } from './tautulli-db.ts';
import { writePlays, type ImportProgress } from './writer.ts';

/** File sources may carry `name`: how errors refer to the file (an upload's own name). */
export type ImportSource =
  | { kind: 'tautulli-db'; path: string; name?: string; serverId: string }
  | { kind: 'tautulli-api'; url: string; apiKey: string; serverId: string }
  | { kind: 'jellystat'; path: string; name?: string; serverId: string; serverType?: 'JELLYFIN' | 'EMBY' }
  /** `timeZone`: the Jellyfin server's, in which the plugin wrote its times (IANA name). */
  | { kind: 'playback-reporting'; path: string; name?: string; serverId: string; timeZone: string };

const SERVER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export async function importHistory(
  source: ImportSource,
  warehouse: Warehouse,
  options: { geo?: GeoLookup; onProgress?: (p: ImportProgress) => void } = {},
): Promise<ImportProgress> {
  if (!SERVER_ID.test(source.serverId))
    throw new ImportFormatError(
      `server id must be the id of the media server in Streamwarden (lowercase letters, digits, - and _), got ${JSON.stringify(source.serverId)}`,
    );
  const rows = newSourceRows();
  /** A database file's plays, written; the file is closed whatever happens. */
  const fromDatabase = async (db: {
    total: number;
    plays(serverId: string, rows: SourceRows): Iterable<ImportedPlay>;
    close(): void;
  }) => {
    try {
      return await writePlays(warehouse, db.plays(source.serverId, rows), {
        ...options,
        total: db.total,
        source: rows,
      });
    } finally {
      db.close();
    }
  };
  switch (source.kind) {
    case 'tautulli-db':
      return fromDatabase(openTautulliDatabase(source.path, source.name));
    case 'tautulli-api': {
      const history = await tautulliApiHistory({ url: source.url, apiKey: source.apiKey });
      return writePlays(warehouse, history.plays(source.serverId, rows), {
        ...options,
        total: history.total,
        source: rows,
      });
    }
    case 'playback-reporting':
      return fromDatabase(openPlaybackReportingDatabase(source.path, source.timeZone, source.name));
    case 'jellystat': {
      const backup = readJellystatBackup(source.path, source.serverType, source.name);
      return writePlays(warehouse, backup.plays(source.serverId, rows), {
        ...options,
        total: backup.total,
        source: rows,
      });
    }
  }
}

export { ImportFormatError };
