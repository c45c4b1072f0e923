// What every connector produces: the servers' own session, user and library shapes turned into
// one normalized form, from which the session tracker derives playback events.
import type { MediaItem, PlaybackEvent, ServerType } from '../schemas/index.ts';
import type { FetchedImage } from './http.ts';
import type { ImageRequest } from './image-refs.ts';
import type { CacheSize } from '../core/cache-size.ts';

/** A playback session as the server reports it at one moment: the event's fields a server knows. */
export type ObservedSession = Pick<
  PlaybackEvent,
  | 'sessionKey'
  | 'userId'
  | 'userName'
  | 'media'
  | 'device'
  | 'clientIp'
  | 'networkLocation'
  | 'playState'
  | 'positionMs'
  | 'durationMs'
  | 'quality'
> & {
  /**
   * Id the server's stop command takes (Plex Session.id, Jellyfin/Emby session Id); null when the
   * server does not say it (a Plex session without a Session element cannot be stopped).
   */
  terminateId: string | null;
};

export interface SkippedEntry {
  /** Key of the session the entry describes, when even that could not be read: null. */
  sessionKey: string | null;
  reason: string;
}

export interface SessionsSnapshot {
  sessions: ObservedSession[];
  /** Entries of the server's list that could not be read (e.g. no Player), with the reason. */
  skipped: SkippedEntry[];
}

export interface ServerUser {
  userId: string;
  userName: string;
  isAdmin: boolean | null;
  isDisabled: boolean | null;
  lastActivityAt: number | null;
}

export interface ServerIdentity {
  name: string;
  version: string;
  machineId: string;
}

export interface ResourceUsage {
  processCpuPercent: number | null;
  hostCpuPercent: number | null;
  processMemoryPercent: number | null;
  hostMemoryPercent: number | null;
}

export interface Library {
  libraryId: string;
  title: string;
  /** movie, show, artist, photo, ... */
  kind: string;
}

export interface LibraryItem {
  itemId: string;
  libraryId: string;
  title: string;
  mediaType: MediaItem['mediaType'];
  grandparentTitle: string | null;
  year: number | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  /** "provider:id" (imdb:tt0113277, tmdb:949, tvdb:81189, plex:movie/5d77...), sorted. */
  externalIds: string[];
  addedAt: number | null;
  durationMs: number | null;
  sizeBytes: number | null;
  videoResolution: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  container: string | null;
  bitrateKbps: number | null;
  path: string | null;
  /** The poster, for the image proxy (see image-refs.ts). */
  imageRef: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** One media server API, whatever its kind. */
export interface MediaServerClient {
  readonly type: ServerType;
  identity(): Promise<ServerIdentity>;
  sessions(): Promise<SessionsSnapshot>;
  users(): Promise<ServerUser[]>;
  /** Stops a session, showing the user the message first where the server can. */
  terminate(terminateId: string, message: string): Promise<void>;
  /** Shows the viewer a message without stopping anything; absent where the server has no way to. */
  message?(terminateId: string, text: string): Promise<void>;
  resources(): Promise<ResourceUsage | null>;
  libraries(): Promise<Library[]>;
  libraryItems(libraryId: string, start: number, size: number): Promise<Page<LibraryItem>>;
  /** A poster, asked for as image-refs.ts builds the request. */
  image(request: ImageRequest, maxBytes: number): Promise<FetchedImage>;
  /** Sizes of what the client keeps in memory (metadata looked up), where it keeps any. */
  caches?(): CacheSize[];
  close(): void;
}

/** Push notifications of session changes (Plex's event source); the list stays the source of truth. */
export interface ChangeFeed {
  start(handlers: { onChange(): void; onConnected(): void; onDisconnected(reason: string): void }): void;
  close(): void;
}

export function ticksToMs(ticks: unknown): number | null {
  return typeof ticks === 'number' && Number.isFinite(ticks) ? Math.round(ticks / 10_000) : null;
}

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * A picture's resolution label from its width and height together, as Jellyfin labels them: a
 * frame fits a class when both sides fit (1280x536 scope is 720, 720x576 PAL is 576). Plex's
 * vocabulary: sd, 480, 576, 720, 1080, 4k. With only a height, the height alone decides.
 */
export function resolutionOf(width: unknown, height: unknown): string | null {
  if (!positive(height) && !positive(width)) return null;
  const w = positive(width) ? width : 0;
  const h = positive(height) ? height : 0;
  if (w <= 640 && h <= 360) return 'sd';
  if (w <= 854 && h <= 480) return '480';
  if (w <= 1024 && h <= 576) return '576';
  if (w <= 1280 && h <= 962) return '720';
  if (w <= 2560 && h <= 1440) return '1080';
  return '4k';
}

export function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

export function int(value: unknown): number | null {
  const n = num(value);
  return n === null ? null : Math.round(n);
}

export function lower(value: unknown): string | null {
  const s = str(value);
  return s === null ? null : s.toLowerCase();
}
