// Reads every library of a media server page by page, now and then (default every 6 hours), and
// publishes the pages as library snapshots. A snapshot is closed by its last page only when the
// whole library was read: a failed read never makes items look removed.
import type { Logger } from '../core/logger.ts';
import type { LibrarySnapshotPage } from '../schemas/index.ts';
import type { MediaServerClient } from './model.ts';
import type { ServerRef } from './session-tracker.ts';

export interface LibrarySyncOptions {
  server: ServerRef;
  client: MediaServerClient;
  emit(pages: LibrarySnapshotPage[]): Promise<void>;
  logger: Logger;
  intervalMs?: number;
  /** Wait before the first read, so start-up is not slowed by it (default 30 s). */
  initialDelayMs?: number;
  pageSize?: number;
  now?: () => number;
}

export class LibrarySync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly logger: Logger;

  constructor(private readonly options: LibrarySyncOptions) {
    this.logger = options.logger.child({ component: 'library-sync', serverId: options.server.id });
  }

  start(): void {
    this.schedule(this.options.initialDelayMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Reads every library once; returns what was read completely. */
  async syncOnce(): Promise<{ libraries: number; items: number; failed: number }> {
    const { client, server, emit } = this.options;
    const now = this.options.now ?? Date.now;
    const size = this.options.pageSize ?? 500;
    const result = { libraries: 0, items: 0, failed: 0 };
    for (const library of await client.libraries()) {
      if (this.stopped) break;
      const snapshotAt = now();
      try {
        for (let page = 0, start = 0; ; page++) {
          const { items, total } = await client.libraryItems(library.libraryId, start, size);
          start += items.length;
          const lastPage = items.length === 0 || start >= total;
          await emit([
            {
              serverId: server.id,
              serverType: server.type,
              libraryId: library.libraryId,
              libraryTitle: library.title,
              libraryKind: library.kind,
              snapshotAt,
              page,
              lastPage,
              totalItems: total,
              items: items.map((i) => ({
                itemId: i.itemId,
                title: i.title,
                mediaType: i.mediaType,
                grandparentTitle: i.grandparentTitle,
                year: i.year,
                seasonNumber: i.seasonNumber,
                episodeNumber: i.episodeNumber,
                externalIds: i.externalIds,
                imageRef: i.imageRef,
                addedAt: i.addedAt,
                durationMs: i.durationMs,
                sizeBytes: i.sizeBytes,
                videoResolution: i.videoResolution,
                videoCodec: i.videoCodec,
                audioCodec: i.audioCodec,
                container: i.container,
                bitrateKbps: i.bitrateKbps,
                path: i.path,
              })),
            },
          ]);
          result.items += items.length;
          if (lastPage) break;
        }
        result.libraries++;
      } catch (err) {
        result.failed++;
        this.logger.warn(
          { err: (err as Error).message, libraryId: library.libraryId },
          'library read failed; its snapshot stays open until the next read',
        );
      }
    }
    this.logger.info(result, 'libraries read');
    return result;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.syncOnce()
        .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'could not list the libraries'))
        .finally(() => this.schedule(this.options.intervalMs ?? 6 * 3_600_000));
    }, delayMs);
    this.timer.unref();
  }
}
