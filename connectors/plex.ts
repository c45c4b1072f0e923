// Plex Media Server: sessions from GET /status/sessions (JSON with Accept: application/json and
// the X-Plex-Token header), change notifications from the event source, stop through
// /status/sessions/terminate.
import type { CacheSize } from '../core/cache-size.ts';
import { EventSource } from 'eventsource';
import { backoffMs } from '../bus/types.ts';
import { plexExternalIds } from './external-ids.ts';
import { ServerHttp, ServerRequestError, type FetchedImage, type HttpLimits } from './http.ts';
import { plexImageRef, type ImageRequest } from './image-refs.ts';
import {
  int,
  lower,
  num,
  str,
  type ChangeFeed,
  type Library,
  type LibraryItem,
  type MediaServerClient,
  type Page,
  type ResourceUsage,
  type ServerIdentity,
  type ServerUser,
  type SessionsSnapshot,
} from './model.ts';
import {
  isLive,
  isThemeMusic,
  mapPlexSession,
  MEDIA_TYPES,
  mediaSource,
  playedVersion,
  selectedMedia,
  type Json,
  type SourceMedia,
} from './plex-session.ts';

const SECTION_ITEM_TYPE: Record<string, number> = { movie: 1, show: 4, artist: 10, photo: 13 };

/** How long an item without metadata (live TV, deleted) is not asked for again. */
const MISSING_METADATA_TTL_MS = 10 * 60_000;
/** Items whose source media (or absence of it) a client remembers, oldest forgotten first. */
const METADATA_CACHE_LIMIT = 5000;

export interface PlexOptions {
  url: string;
  token: string;
  /** Identifies this Streamwarden install to the server (X-Plex-Client-Identifier). */
  clientId: string;
  limits?: HttpLimits;
}

export class PlexClient implements MediaServerClient {
  readonly type = 'PLEX' as const;
  readonly http: ServerHttp;
  private readonly sources = new Map<string, SourceMedia>();
  /** Items whose metadata was missing, until when not to ask again. */
  private readonly missing = new Map<string, number>();
  /** Library section id -> type (movie, show, artist...), to ask for the right item type. */
  private readonly sectionKinds = new Map<string, string>();

  constructor(private readonly options: PlexOptions) {
    this.http = new ServerHttp(options.url, () => this.headers(), options.limits);
  }

  headers(): Record<string, string> {
    return {
      'X-Plex-Token': this.options.token,
      'X-Plex-Client-Identifier': this.options.clientId,
      'X-Plex-Product': 'Streamwarden',
      'X-Plex-Version': '0.1.0',
      'X-Plex-Device-Name': 'Streamwarden',
    };
  }

  async identity(): Promise<ServerIdentity> {
    const root = await this.http.request<{ MediaContainer?: Json }>('/');
    const container = root?.MediaContainer ?? {};
    return {
      name: str(container.friendlyName) ?? 'Plex Media Server',
      version: str(container.version) ?? 'unknown',
      machineId: str(container.machineIdentifier) ?? '',
    };
  }

  async sessions(): Promise<SessionsSnapshot> {
    const body = await this.http.request<{ MediaContainer?: { Metadata?: unknown } }>('/status/sessions');
    const container = body?.MediaContainer;
    if (!container || typeof container !== 'object') throw malformed('/status/sessions has no MediaContainer');
    const entries = container.Metadata ?? [];
    if (!Array.isArray(entries)) throw malformed('/status/sessions MediaContainer.Metadata is not a list');
    const snapshot: SessionsSnapshot = { sessions: [], skipped: [] };
    for (const entry of entries as Json[]) {
      if (entry && typeof entry === 'object' && isThemeMusic(entry)) continue;
      const mapped =
        entry && typeof entry === 'object'
          ? mapPlexSession(entry, isLive(entry) ? undefined : await this.source(entry))
          : { sessionKey: null, reason: 'session entry is not an object' };
      if ('reason' in mapped) snapshot.skipped.push(mapped);
      else snapshot.sessions.push(mapped);
    }
    return snapshot;
  }

  /**
   * Source quality of the version a session plays (the session itself shows what is streamed),
   * cached per item and version; an item without metadata is not asked for again for a while.
   */
  private async source(entry: Json): Promise<SourceMedia | undefined> {
    const ratingKey = str(entry.ratingKey);
    if (!ratingKey) return undefined;
    const mediaId = str(selectedMedia(entry.Media)?.id);
    const key = `${ratingKey}/${mediaId ?? ''}`;
    const cached = this.sources.get(key);
    if (cached) return cached;
    if ((this.missing.get(ratingKey) ?? 0) > Date.now()) return undefined;
    try {
      const body = await this.http.request<{ MediaContainer?: { Metadata?: Json[] } }>(
        `/library/metadata/${encodeURIComponent(ratingKey)}`,
      );
      const media = playedVersion(body?.MediaContainer?.Metadata?.[0]?.Media, mediaId);
      if (!media) return undefined;
      const source = mediaSource(media);
      if (this.sources.size > METADATA_CACHE_LIMIT) this.sources.delete(this.sources.keys().next().value!);
      this.sources.set(key, source);
      return source;
    } catch {
      // Deleted items have no metadata: the session's own figures stand in.
      if (this.missing.size > METADATA_CACHE_LIMIT) this.missing.delete(this.missing.keys().next().value!);
      this.missing.set(ratingKey, Date.now() + MISSING_METADATA_TTL_MS);
      return undefined;
    }
  }

  async users(): Promise<ServerUser[]> {
    const body = await this.http.request<{ MediaContainer?: { Account?: Json[] } }>('/accounts');
    return (body?.MediaContainer?.Account ?? [])
      .filter((a) => str(a.id) !== null && str(a.name) !== null)
      .map((a) => ({
        userId: str(a.id)!,
        userName: str(a.name)!,
        isAdmin: int(a.id) === 1,
        isDisabled: null,
        lastActivityAt: null,
      }));
  }

  async terminate(terminateId: string, message: string): Promise<void> {
    await this.http.request('/status/sessions/terminate', {
      query: { sessionId: terminateId, reason: message },
      expect: 'empty',
    });
  }

  async resources(): Promise<ResourceUsage | null> {
    const body = await this.http.request<{ MediaContainer?: { StatisticsResources?: Json[] } }>(
      '/statistics/resources',
      { query: { timespan: 6 } },
    );
    const samples = body?.MediaContainer?.StatisticsResources ?? [];
    const latest = samples.reduce<Json | undefined>(
      (a, b) => (!a || (num(b.at) ?? 0) >= (num(a.at) ?? 0) ? b : a),
      undefined,
    );
    if (!latest) return null;
    return {
      processCpuPercent: num(latest.processCpuUtilization),
      hostCpuPercent: num(latest.hostCpuUtilization),
      processMemoryPercent: num(latest.processMemoryUtilization),
      hostMemoryPercent: num(latest.hostMemoryUtilization),
    };
  }

  async libraries(): Promise<Library[]> {
    const body = await this.http.request<{ MediaContainer?: { Directory?: Json[] } }>('/library/sections');
    const libraries = (body?.MediaContainer?.Directory ?? [])
      .filter((d) => str(d.key) !== null)
      .map((d) => ({
        libraryId: str(d.key)!,
        title: str(d.title) ?? `Library ${str(d.key)}`,
        kind: str(d.type) ?? 'unknown',
      }));
    for (const library of libraries) this.sectionKinds.set(library.libraryId, library.kind);
    return libraries;
  }

  async libraryItems(libraryId: string, start: number, size: number): Promise<Page<LibraryItem>> {
    if (!this.sectionKinds.has(libraryId)) await this.libraries();
    const itemType = SECTION_ITEM_TYPE[this.sectionKinds.get(libraryId) ?? ''];
    const body = await this.http.request<{ MediaContainer?: Json & { Metadata?: Json[] } }>(
      `/library/sections/${encodeURIComponent(libraryId)}/all`,
      {
        query: { type: itemType, includeGuids: 1, 'X-Plex-Container-Start': start, 'X-Plex-Container-Size': size },
      },
    );
    const container = body?.MediaContainer;
    if (!container) throw malformed(`/library/sections/${libraryId}/all has no MediaContainer`);
    const items = (container.Metadata ?? [])
      .filter((m) => str(m.ratingKey) !== null)
      .map((m): LibraryItem => {
        const media = selectedMedia(m.Media);
        return {
          itemId: str(m.ratingKey)!,
          libraryId,
          title: str(m.title) ?? '(untitled)',
          mediaType: MEDIA_TYPES[String(m.type)] ?? 'OTHER',
          grandparentTitle: str(m.grandparentTitle),
          year: int(m.year),
          seasonNumber: m.type === 'episode' ? int(m.parentIndex) : null,
          episodeNumber: m.type === 'episode' ? int(m.index) : null,
          externalIds: plexExternalIds(m.guid, m.Guid),
          addedAt: num(m.addedAt) !== null ? num(m.addedAt)! * 1000 : null,
          durationMs: int(m.duration),
          sizeBytes:
            media?.Part?.reduce<number | null>(
              (sum, p) => (num(p.size) === null ? sum : (sum ?? 0) + num(p.size)!),
              null,
            ) ?? null,
          videoResolution: lower(media?.videoResolution),
          videoCodec: lower(media?.videoCodec),
          audioCodec: lower(media?.audioCodec),
          container: lower(media?.container),
          bitrateKbps: int(media?.bitrate),
          path: str(media?.Part?.[0]?.file),
          imageRef: plexImageRef(m.type, m),
        };
      });
    return { items, total: int(container.totalSize) ?? int(container.size) ?? items.length };
  }

  image(request: ImageRequest, maxBytes: number): Promise<FetchedImage> {
    return this.http.image(request.path, request.query, maxBytes);
  }

  /** Session change notifications from /:/eventsource/notifications?filters=playing. */
  changeFeed(): ChangeFeed {
    return new PlexChangeFeed(this.http.url('/:/eventsource/notifications', { filters: 'playing' }).toString(), () =>
      this.headers(),
    );
  }

  caches(): CacheSize[] {
    return [
      { cache: 'plex-source-media', entries: this.sources.size, limit: METADATA_CACHE_LIMIT },
      { cache: 'plex-missing-metadata', entries: this.missing.size, limit: METADATA_CACHE_LIMIT },
    ];
  }

  close(): void {
    this.http.clear();
  }
}

class PlexChangeFeed implements ChangeFeed {
  private source: EventSource | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly headers: () => Record<string, string>,
  ) {}

  start(handlers: { onChange(): void; onConnected(): void; onDisconnected(reason: string): void }): void {
    if (this.closed) return;
    const source = new EventSource(this.url, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init.headers, ...this.headers(), Accept: 'text/event-stream' } }),
    });
    this.source = source;
    source.addEventListener('open', () => {
      this.attempt = 0;
      handlers.onConnected();
    });
    // Plex names the notification type in the event field; "playing" carries PlaySessionStateNotification.
    source.addEventListener('playing', () => handlers.onChange());
    source.addEventListener('error', (event) => {
      if (this.closed) return;
      handlers.onDisconnected((event as { message?: string }).message ?? 'event stream error');
      // The EventSource retries dropped connections itself but gives up on HTTP errors (401, 5xx).
      if (source.readyState === EventSource.CLOSED) {
        this.retry = setTimeout(() => this.start(handlers), backoffMs(this.attempt++, 1000, 60_000));
      }
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.source?.close();
  }
}

function malformed(message: string): ServerRequestError {
  return new ServerRequestError('MALFORMED', message);
}
