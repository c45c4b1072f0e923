// Posters, part two: the API's image proxy (image-refs.ts says which references it accepts).
import { AppError } from '../core/errors.ts';
import { UnknownServerError, type ServerConfig } from './config.ts';
import type { FetchedImage } from './http.ts';
import { imageRequest, MAX_IMAGE_BYTES, servedWidth } from './image-refs.ts';
import type { MediaServerClient } from './model.ts';
import { createClient } from './runner.ts';

class ImageNotFoundError extends AppError {
  constructor() {
    super('not-found', 'the server has no such image');
  }
}

/**
 * Fetches posters for the API and keeps the recent ones in memory (least recently used first out,
 * bounded by bytes). References carry the image's version, so a cached poster is never stale.
 */
export class ImageProxy {
  private readonly cache = new Map<string, FetchedImage>();
  private readonly inFlight = new Map<string, Promise<FetchedImage>>();
  private readonly clients = new Map<string, { key: string; client: MediaServerClient }>();
  private cachedBytes = 0;

  constructor(
    private readonly options: {
      servers: () => Promise<ServerConfig[]>;
      clientId: string;
      /** Memory for cached images (default 32 MiB). */
      maxCacheBytes?: number;
    },
  ) {}

  async get(serverId: string, ref: string, width: number): Promise<FetchedImage> {
    const served = servedWidth(width);
    const key = `${serverId}\0${ref}\0${served}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const fetching = this.fetch(serverId, ref, served).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
    const image = await fetching;
    this.remember(key, image);
    return image;
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
    this.cache.clear();
    this.cachedBytes = 0;
  }

  private async fetch(serverId: string, ref: string, width: number): Promise<FetchedImage> {
    const config = (await this.options.servers()).find((s) => s.id === serverId);
    if (!config) throw new UnknownServerError(serverId);
    const client = this.clientFor(config);
    const request = imageRequest(client.type, ref, width);
    try {
      return await client.image(request, MAX_IMAGE_BYTES);
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw new ImageNotFoundError();
      throw err;
    }
  }

  private clientFor(config: ServerConfig): MediaServerClient {
    // A changed address or token makes a new client; the old one is closed.
    const key = `${config.type}\0${config.url}\0${config.token}`;
    const known = this.clients.get(config.id);
    if (known?.key === key) return known.client;
    known?.client.close();
    const { client } = createClient(config, this.options.clientId);
    this.clients.set(config.id, { key, client });
    return client;
  }

  private remember(key: string, image: FetchedImage): void {
    const budget = this.options.maxCacheBytes ?? 32 * 1024 * 1024;
    if (image.bytes.byteLength > budget / 4) return;
    this.cache.set(key, image);
    this.cachedBytes += image.bytes.byteLength;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= budget) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.bytes.byteLength;
    }
  }
}
