// Every history source, opened for reading: which reader reads which kind of file or API.
import { readJellystatBackup } from './jellystat.ts';
import type { ImportedPlay, SourceRows } from './play.ts';
import { openPlaybackReportingDatabase } from './playback-reporting.ts';
import { tautulliApiHistory } from './tautulli-api.ts';
import { openTautulliDatabase } from './tautulli-db.ts';

/** File sources may carry `name`: how errors refer to the file (an upload's own name). */
export type ImportSource =
  | { kind: 'tautulli-db'; path: string; name?: string; serverId: string }
  | { kind: 'tautulli-api'; url: string; apiKey: string; serverId: string }
  | { kind: 'jellystat'; path: string; name?: string; serverId: string; serverType?: 'JELLYFIN' | 'EMBY' }
  /** `timeZone`: the Jellyfin server's, in which the plugin wrote its times (IANA name). */
  | { kind: 'playback-reporting'; path: string; name?: string; serverId: string; timeZone: string };

export interface OpenedSource {
  /** Plays in all, when the source knows before it is read. */
  total: number | null;
  plays: AsyncIterable<ImportedPlay> | Iterable<ImportedPlay>;
  close(): void;
}

/** Opens a source; its reader keeps `rows` (its account of the source's rows) up to date. */
export async function openSource(source: ImportSource, rows: SourceRows): Promise<OpenedSource> {
  switch (source.kind) {
    case 'tautulli-db':
    case 'playback-reporting': {
      const db =
        source.kind === 'tautulli-db'
          ? openTautulliDatabase(source.path, source.name)
          : openPlaybackReportingDatabase(source.path, source.timeZone, source.name);
      return { total: db.total, plays: db.plays(source.serverId, rows), close: () => db.close() };
    }
    case 'tautulli-api': {
      const history = await tautulliApiHistory({ url: source.url, apiKey: source.apiKey });
      return { total: history.total, plays: history.plays(source.serverId, rows), close: () => undefined };
    }
    case 'jellystat': {
      const backup = readJellystatBackup(source.path, source.serverType, source.name);
      return { total: backup.total, plays: backup.plays(source.serverId, rows), close: () => undefined };
    }
  }
}
