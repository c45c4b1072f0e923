// Library analytics from the newest snapshot of every library item, joined with all-time plays.
import type { Warehouse } from '../client.ts';
import { num, rows } from './filters.ts';

const CURRENT = (w: Warehouse) =>
  `(SELECT * FROM ${w.table('library_items')} FINAL WHERE NOT removed AND (empty({servers:Array(String)}) OR has({servers:Array(String)}, server_id)))`;

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

  async mostWatched(
    limit = 20,
    serverIds: string[] = [],
  ): Promise<Array<{ serverId: string; itemId: string; title: string; plays: number; watchMs: number }>> {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT p.server_id AS server_id, p.item_id AS item_id, l.title AS title, p.plays AS plays, p.watch_ms AS watch_ms
       FROM (SELECT server_id, item_id, sum(plays) AS plays, sum(watch_ms) AS watch_ms FROM ${this.w.table('item_plays')} GROUP BY server_id, item_id) AS p
       INNER JOIN ${CURRENT(this.w)} AS l ON l.server_id = p.server_id AND l.item_id = p.item_id
       ORDER BY plays DESC, watch_ms DESC, item_id LIMIT {limit:UInt32}`,
      { servers: serverIds, limit },
    );
    return list.map((r) => ({
      serverId: r.server_id!,
      itemId: r.item_id!,
      title: r.title!,
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
    }));
  }

  /** Items nobody ever played, largest first: candidates for clean-up. */
  async neverWatched(
    limit = 100,
    serverIds: string[] = [],
  ): Promise<Array<{ serverId: string; itemId: string; title: string; sizeBytes: number; addedAt: string | null }>> {
    const list = await rows<Record<string, string | null>>(
      this.w,
      `SELECT l.server_id AS server_id, l.item_id AS item_id, l.title AS title, ifNull(l.size_bytes, 0) AS size, if(isNull(l.added_at), NULL, toString(l.added_at)) AS added_at
       FROM ${CURRENT(this.w)} AS l
       LEFT ANTI JOIN (SELECT DISTINCT server_id, item_id FROM ${this.w.table('item_plays')}) AS p ON p.server_id = l.server_id AND p.item_id = l.item_id
       ORDER BY size DESC, item_id LIMIT {limit:UInt32}`,
      { servers: serverIds, limit },
    );
    return list.map((r) => ({
      serverId: r.server_id!,
      itemId: r.item_id!,
      title: r.title!,
      sizeBytes: num(r.size),
      addedAt: r.added_at ?? null,
    }));
  }

  /** The same title and year held more than once (in one library, or across servers). */
  async duplicates(
    serverIds: string[] = [],
  ): Promise<
    Array<{ title: string; year: number | null; mediaType: string; copies: number; sizeBytes: number; items: string[] }>
  > {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT any(title) AS any_title, year, media_type, count() AS copies, sum(ifNull(size_bytes, 0)) AS size,
              arraySort(groupArray(concat(server_id, ':', item_id))) AS items
       FROM ${CURRENT(this.w)} WHERE media_type IN ('MOVIE', 'EPISODE')
       GROUP BY lowerUTF8(concat(grandparent_title, '/', title)) AS k, year, media_type HAVING copies > 1
       ORDER BY size DESC, k`,
      { servers: serverIds },
    );
    return list.map((r) => ({
      title: String(r.any_title),
      year: r.year === null ? null : num(r.year),
      mediaType: String(r.media_type),
      copies: num(r.copies),
      sizeBytes: num(r.size),
      items: r.items as string[],
    }));
  }
}
