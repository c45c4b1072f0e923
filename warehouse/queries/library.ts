// Library analytics from the newest snapshot of every library item, joined with all-time plays.
import type { Warehouse } from '../client.ts';
import { num, rows } from './filters.ts';

// item_identity is an ALIAS column: * leaves it out, so it is asked for by name.
const CURRENT = (w: Warehouse) =>
  `(SELECT *, item_identity FROM ${w.table('library_items')} FINAL WHERE NOT removed AND (empty({servers:Array(String)}) OR has({servers:Array(String)}, server_id)))`;

/** How an item is shown: its titles, year and, for an episode, its season and episode numbers. */
export interface ItemDescription {
  identity: string;
  title: string;
  grandparentTitle: string;
  mediaType: string;
  year: number | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  /** The server and reference of a poster for the image proxy (empty when no copy has one). */
  imageServer: string;
  imageRef: string;
}

export interface WatchedItem extends ItemDescription {
  servers: string[];
  plays: number;
  watchMs: number;
}

export interface HeldItem extends ItemDescription {
  servers: string[];
  copies: number;
  sizeBytes: number;
  /** server_id:item_id of every copy. */
  items: string[];
}

// One copy's titles stand for the item (copies of one item share their outside ids, not always
// their spelling); the one from the lowest server id, so that answers do not change between calls.
const DESCRIBE = `argMin(l.title, l.server_id) AS title, argMin(l.grandparent_title, l.server_id) AS grandparent_title,
  any(l.media_type) AS media_type, argMin(l.year, l.server_id) AS year, argMin(l.season_number, l.server_id) AS season_number,
  argMin(l.episode_number, l.server_id) AS episode_number,
  argMinIf(l.server_id, l.server_id, l.image_ref != '') AS image_server, argMinIf(l.image_ref, l.server_id, l.image_ref != '') AS image_ref`;

const orNull = (v: unknown) => (v === null || v === undefined ? null : num(v));
function describe(r: Record<string, unknown>): ItemDescription {
  return {
    identity: String(r.identity),
    title: String(r.title),
    grandparentTitle: String(r.grandparent_title),
    mediaType: String(r.media_type),
    year: orNull(r.year),
    seasonNumber: orNull(r.season_number),
    episodeNumber: orNull(r.episode_number),
    imageServer: String(r.image_server ?? ''),
    imageRef: String(r.image_ref ?? ''),
  };
}

export class LibraryQueries {
  constructor(private readonly w: Warehouse) {}

  async libraries(serverIds: string[] = []): Promise<
    Array<{
      serverId: string;
      libraryId: string;
      libraryTitle: string;
      items: number;
      sizeBytes: number;
      durationMs: number;
    }>
  > {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT server_id, library_id, any(library_title) AS library_title, count() AS items, sum(ifNull(size_bytes, 0)) AS size, sum(ifNull(duration_ms, 0)) AS duration
       FROM ${CURRENT(this.w)} GROUP BY server_id, library_id ORDER BY server_id, library_id`,
      { servers: serverIds },
    );
    return list.map((r) => ({
      serverId: r.server_id!,
      libraryId: r.library_id!,
      libraryTitle: r.library_title!,
      items: num(r.items),
      sizeBytes: num(r.size),
      durationMs: num(r.duration),
    }));
  }

  /** Items and size by resolution, video codec or audio codec. */
  async distribution(
    by: 'resolution' | 'videoCodec' | 'audioCodec' | 'container',
    serverIds: string[] = [],
  ): Promise<Array<{ key: string; items: number; sizeBytes: number }>> {
    const column = {
      resolution: 'video_resolution',
      videoCodec: 'video_codec',
      audioCodec: 'audio_codec',
      container: 'container',
    }[by];
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT ${column} AS k, count() AS items, sum(ifNull(size_bytes, 0)) AS size FROM ${CURRENT(this.w)} GROUP BY k ORDER BY items DESC, k`,
      { servers: serverIds },
    );
    return list.map((r) => ({ key: r.k!, items: num(r.items), sizeBytes: num(r.size) }));
  }

  /**
   * Items by plays, all time, one line per item whatever the servers holding it (item_identity):
   * Dune on a Plex and a Jellyfin server is one line with both servers' plays.
   */
  async mostWatched(limit = 20, serverIds: string[] = []): Promise<WatchedItem[]> {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT l.item_identity AS identity, ${DESCRIBE}, arraySort(groupUniqArray(l.server_id)) AS servers,
              sum(p.plays) AS plays, sum(p.watch_ms) AS watch_ms
       FROM (SELECT server_id, item_id, sum(plays) AS plays, sum(watch_ms) AS watch_ms FROM ${this.w.table('item_plays')} GROUP BY server_id, item_id) AS p
       INNER JOIN ${CURRENT(this.w)} AS l ON l.server_id = p.server_id AND l.item_id = p.item_id
       GROUP BY identity ORDER BY plays DESC, watch_ms DESC, identity LIMIT {limit:UInt32}`,
      { servers: serverIds, limit },
    );
    return list.map((r) => ({
      ...describe(r),
      servers: r.servers as string[],
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
    }));
  }

  /** Items nobody ever played, largest first: candidates for clean-up. */
  async neverWatched(
    limit = 100,
    serverIds: string[] = [],
  ): Promise<Array<ItemDescription & { serverId: string; itemId: string; sizeBytes: number; addedAt: string | null }>> {
    const list = await rows<Record<string, string | null>>(
      this.w,
      `SELECT l.server_id AS server_id, l.item_id AS item_id, l.item_identity AS identity, l.title AS title, l.grandparent_title AS grandparent_title,
              l.media_type AS media_type, l.year AS year, l.season_number AS season_number, l.episode_number AS episode_number,
              l.server_id AS image_server, l.image_ref AS image_ref, ifNull(l.size_bytes, 0) AS size, l.added_at AS added_at
       FROM ${CURRENT(this.w)} AS l
       LEFT ANTI JOIN (SELECT DISTINCT server_id, item_id FROM ${this.w.table('item_plays')}) AS p ON p.server_id = l.server_id AND p.item_id = l.item_id
       ORDER BY size DESC, item_id LIMIT {limit:UInt32}`,
      { servers: serverIds, limit },
    );
    return list.map((r) => ({
      ...describe(r),
      serverId: r.server_id!,
      itemId: r.item_id!,
      sizeBytes: num(r.size),
      addedAt: r.added_at ?? null,
    }));
  }

  /** Items held more than once on one server (two files of one film): what a clean-up frees. */
  async duplicates(serverIds: string[] = []): Promise<HeldItem[]> {
    return this.held('GROUP BY identity, l.server_id HAVING copies > 1', serverIds);
  }

  /** Items held on several servers: not duplicates, the same film or episode offered twice. */
  async onSeveralServers(serverIds: string[] = []): Promise<HeldItem[]> {
    return this.held('GROUP BY identity HAVING length(servers) > 1', serverIds);
  }

  private async held(grouping: string, serverIds: string[]): Promise<HeldItem[]> {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT l.item_identity AS identity, ${DESCRIBE}, arraySort(groupUniqArray(l.server_id)) AS servers, count() AS copies,
              sum(ifNull(l.size_bytes, 0)) AS size, arraySort(groupArray(concat(l.server_id, ':', l.item_id))) AS items
       FROM ${CURRENT(this.w)} AS l WHERE l.media_type IN ('MOVIE', 'EPISODE')
       ${grouping}
       ORDER BY size DESC, identity`,
      { servers: serverIds },
    );
    return list.map((r) => ({
      ...describe(r),
      servers: r.servers as string[],
      copies: num(r.copies),
      sizeBytes: num(r.size),
      items: r.items as string[],
    }));
  }
}
