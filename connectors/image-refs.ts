// Posters, part one: the connectors record which image of an item to show (its "image reference", in the
// server's own terms), and the dashboard asks the API for it; the API fetches it here, with the
// server's token, so no token and no media-server address ever reaches a browser. References are
// checked against the shapes servers use before anything is fetched, so the proxy cannot be
// pointed at another path on the server (or, through Plex's photo transcoder, at another host).
import { AppError } from '../core/errors.ts';
import type { ServerType } from '../schemas/index.ts';
import { str } from './model.ts';

type Json = Record<string, unknown>;
export interface ImageRequest {
  path: string;
  query: Record<string, string | number>;
}

/** Widths the proxy serves; a request is rounded up to one of them, so each poster has few variants. */
export const IMAGE_WIDTHS = [80, 160, 320, 480] as const;
/** A poster is 2:3. */
const POSTER_RATIO = 1.5;
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

const PLEX_ART = /^\/library\/metadata\/[A-Za-z0-9_-]{1,64}\/(?:thumb|art)\/\d{1,20}$/;
const MEDIA_BROWSER_ART = /^([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9]{0,64})$/;

/**
 * The poster of a Plex item: the show's for an episode (the still is a frame, not a poster), the
 * album's for a track, else the item's own. Only art paths on the server itself are kept.
 */
export function plexImageRef(
  type: unknown,
  art: { thumb?: unknown; parentThumb?: unknown; grandparentThumb?: unknown },
): string | null {
  const [thumb, parent, grandparent] = [str(art.thumb), str(art.parentThumb), str(art.grandparentThumb)];
  const pick = type === 'episode' ? (grandparent ?? parent ?? thumb) : type === 'track' ? (parent ?? thumb) : thumb;
  return pick !== null && PLEX_ART.test(pick) ? pick : null;
}

/** The poster of a Jellyfin/Emby item: '<itemId>/<tag>' of the series', the album's or its own Primary image. */
export function mediaBrowserImageRef(item: Json): string | null {
  const own = (item.ImageTags as Json | undefined)?.Primary;
  const candidates: Array<[unknown, unknown]> = [
    ...(item.Type === 'Episode' ? [[item.SeriesId, item.SeriesPrimaryImageTag] as [unknown, unknown]] : []),
    ...(item.Type === 'Audio' ? [[item.AlbumId, item.AlbumPrimaryImageTag] as [unknown, unknown]] : []),
    [item.Id, own],
  ];
  for (const [id, tag] of candidates) {
    const ref = str(id) !== null && str(tag) !== null ? `${str(id)}/${str(tag)}` : null;
    if (ref !== null && MEDIA_BROWSER_ART.test(ref)) return ref;
  }
  return null;
}

/** An item's Primary image asked for without its tag, for histories that kept no tags (Jellystat). */
export function untaggedImageRef(itemId: string): string | null {
  const ref = `${itemId}/`;
  return MEDIA_BROWSER_ART.test(ref) ? ref : null;
}

class BadImageRefError extends AppError {
  constructor(ref: string) {
    super('invalid', `not an image reference this server's items carry: ${JSON.stringify(ref.slice(0, 120))}`);
  }
}

/** The path and query to ask the server for, or an error when the reference is not one of its shapes. */
export function imageRequest(type: ServerType, ref: string, width: number): ImageRequest {
  if (type === 'PLEX') {
    if (!PLEX_ART.test(ref)) throw new BadImageRefError(ref);
    const height = Math.round(width * POSTER_RATIO);
    return { path: '/photo/:/transcode', query: { width, height, minSize: 1, upscale: 1, url: ref } };
  }
  const match = MEDIA_BROWSER_ART.exec(ref);
  if (!match) throw new BadImageRefError(ref);
  const [, itemId, tag] = match;
  return {
    path: `/Items/${itemId}/Images/Primary`,
    query: { maxWidth: width, quality: 90, ...(tag ? { tag } : {}) },
  };
}

/** The smallest served width at least `requested` (the largest when none is). */
export function servedWidth(requested: number): number {
  return IMAGE_WIDTHS.find((w) => w >= requested) ?? IMAGE_WIDTHS[IMAGE_WIDTHS.length - 1]!;
}
