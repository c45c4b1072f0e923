// Jellystat's history from its backup file, read as a stream so a backup of millions of plays
// needs memory for one chunk, not the file. Every Jellystat release (2023 to 1.1.8) writes one JSON
// document, an array of table objects in this order: jf_libraries, jf_library_items,
// jf_library_seasons, jf_library_episodes, jf_users, jf_playback_activity,
// jf_playback_reporting_plugin_data, jf_item_info (backend/global/backup_tables.js); it is split
// into rows as it is read (json-rows.ts). A streaming rewrite of Jellystat's backup proposed
// upstream writes JSON Lines instead ({"type":"table",...} then {"type":"row","table":...,"data":{...}}
// per row); no release writes it, but a file in that layout is read too, line by line.
//
// Plays are jf_playback_activity rows. What the rows lack comes from the tables written before them:
// user names (jf_users), the media type (jf_library_items' Type; a set EpisodeId means an episode)
// and season and episode numbers (jf_library_episodes, by EpisodeId). Activity rows from 2023
// backups have no stream, address or play-state columns: those fields stay empty.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { JsonRowsError, JsonTableRows, MAX_ROW_BYTES } from './json-rows.ts';
import { boundedLines, LineTooLongError } from './lines.ts';
import {
  clientAddress,
  countUnreadable,
  decision,
  ImportFormatError,
  resolutionLabel,
  type ImportedPlay,
  type SourceRows,
} from './play.ts';
import type { MediaType } from '../schemas/index.ts';
import { untaggedImageRef } from '../connectors/image-refs.ts';

type Row = Record<string, unknown>;
type TableRow = { table: string; row: Row };

const CHUNK_BYTES = 256 * 1024;

/** The first non-blank character of the file, which tells the two layouts apart. */
async function firstCharacter(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new ImportFormatError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trimStart().charAt(0);
  } finally {
    await handle.close();
  }
}

/** Table rows of a JSON backup document, a chunk's worth at a time, in file order. */
async function* documentRows(path: string, name: string): AsyncGenerator<TableRow[]> {
  const splitter = new JsonTableRows();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      const rows = splitter
        .push(chunk as Buffer)
        .filter((r): r is TableRow => typeof r.row === 'object' && r.row !== null && !Array.isArray(r.row));
      if (rows.length > 0) yield rows;
    }
    splitter.end();
  } catch (err) {
    if (err instanceof JsonRowsError)
      throw new ImportFormatError(`${name} is not valid JSON: ${err.message}; is this a Jellystat backup?`);
    throw err;
  }
}

/** Table rows of a JSON Lines backup, a few thousand lines at a time; a row is one line of at most 16 MiB. */
async function* lineRows(path: string, name: string): AsyncGenerator<TableRow[]> {
  const lines = boundedLines(createReadStream(path, { highWaterMark: CHUNK_BYTES }), MAX_ROW_BYTES);
  let pending: TableRow[] = [];
  let index = 0;
  try {
    for await (const line of lines) {
      index++;
      if (!line.trim()) continue;
      let record: { type?: string; table?: string; data?: Row };
      try {
        record = JSON.parse(line) as typeof record;
      } catch (err) {
        throw new ImportFormatError(
          `${name}, line ${index}: not valid JSON (${(err as Error).message}); is this a Jellystat backup?`,
        );
      }
      if (record.type === 'row' && record.table && record.data) pending.push({ table: record.table, row: record.data });
      if (pending.length >= 2000) {
        yield pending;
        pending = [];
      }
    }
  } catch (err) {
    if (err instanceof LineTooLongError)
      throw new ImportFormatError(`${name}, ${err.message}; is this a Jellystat backup?`);
    throw err;
  }
  if (pending.length > 0) yield pending;
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const count = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));
const TICKS_PER_MS = 10_000;

/** What the backup's other tables say about the activity rows. */
interface Library {
  users: Map<string, string>;
  /** jf_library_items: item id -> Jellyfin item Type. */
  types: Map<string, string>;
  /** jf_library_episodes: EpisodeId -> numbers. */
  episodes: Map<string, { season: number | null; episode: number | null; seasonName: string | null }>;
}

/** Jellyfin's item Type as a media type; an item missing from the backup is OTHER, not a guess. */
export const ITEM_TYPES: Record<string, MediaType> = {
  Movie: 'MOVIE',
  Episode: 'EPISODE',
  Series: 'EPISODE',
  Audio: 'TRACK',
  AudioBook: 'TRACK',
  TvChannel: 'LIVE_TV',
  LiveTvChannel: 'LIVE_TV',
  LiveTvProgram: 'LIVE_TV',
  MusicVideo: 'VIDEO',
  Video: 'VIDEO',
  Trailer: 'VIDEO',
};

/**
 * The plays of a Jellystat backup at `path`, streamed. `name` is how errors refer to the file
 * (its uploaded name, not a temporary path).
 */
export function readJellystatBackup(
  path: string,
  serverType: 'JELLYFIN' | 'EMBY' = 'JELLYFIN',
  name = path,
): { total: null; plays(serverId: string, rows: SourceRows): AsyncGenerator<ImportedPlay> } {
  async function* plays(serverId: string, counts: SourceRows): AsyncGenerator<ImportedPlay> {
    const layout = await firstCharacter(path);
    if (layout !== '[' && layout !== '{')
      throw new ImportFormatError(`${name} is not a Jellystat backup: it does not start with a JSON array or object`);
    const library: Library = { users: new Map(), types: new Map(), episodes: new Map() };
    let sawActivity = false;
    for await (const rows of layout === '[' ? documentRows(path, name) : lineRows(path, name)) {
      for (const { table, row: r } of rows) {
        if (table === 'jf_users') library.users.set(text(r.Id), text(r.Name));
        else if (table === 'jf_library_items') library.types.set(text(r.Id), text(r.Type));
        else if (table === 'jf_library_episodes')
          library.episodes.set(text(r.EpisodeId), {
            season: count(r.ParentIndexNumber),
            episode: count(r.IndexNumber),
            seasonName: text(r.SeasonName) || null,
          });
        if (table !== 'jf_playback_activity') continue;
        sawActivity = true;
        counts.read++;
        const play = toPlay(r, serverId, serverType, library);
        if (play) yield play;
        else countUnreadable(counts, r.Id ? 'no-times' : 'no-id');
      }
    }
    if (!sawActivity)
      throw new ImportFormatError(
        `${name} is not a Jellystat backup with playback history: no jf_playback_activity table`,
      );
  }
  return { total: null, plays };
}

function toPlay(r: Row, serverId: string, serverType: 'JELLYFIN' | 'EMBY', library: Library): ImportedPlay | null {
  // Jellystat records a play when it ends: the start is that time minus the play's length.
  const stoppedAt = Date.parse(text(r.ActivityDateInserted));
  if (!Number.isFinite(stoppedAt) || !r.Id) return null;
  const playedMs = Math.max(0, Number(r.PlaybackDuration ?? 0) * 1000);
  const state = (r.PlayState ?? {}) as Row;
  const transcoding = (r.TranscodingInfo ?? null) as Row | null;
  const method = text(r.PlayMethod);
  const video = transcoding && transcoding.IsVideoDirect === false ? 'TRANSCODE' : decision(method);
  const isEpisode = Boolean(r.EpisodeId);
  const episode = isEpisode ? library.episodes.get(text(r.EpisodeId)) : undefined;
  const type: MediaType = isEpisode
    ? 'EPISODE'
    : (ITEM_TYPES[library.types.get(text(r.NowPlayingItemId)) ?? ''] ?? 'OTHER');
  return {
    source: 'jellystat',
    sourceId: text(r.Id),
    serverId,
    serverType,
    userId: text(r.UserId),
    userName: text(r.UserName) || library.users.get(text(r.UserId)) || text(r.UserId),
    startedAt: stoppedAt - playedMs,
    stoppedAt,
    pausedMs: 0,
    positionMs: Math.round(Number(state.PositionTicks ?? 0) / TICKS_PER_MS),
    durationMs: state.RuntimeTicks ? Math.round(Number(state.RuntimeTicks) / TICKS_PER_MS) : null,
    media: {
      itemId: text(r.EpisodeId || r.NowPlayingItemId),
      title: text(r.NowPlayingItemName) || '(unknown title)',
      mediaType: type,
      parentItemId: r.SeasonId ? text(r.SeasonId) : null,
      parentTitle: episode?.seasonName ?? null,
      grandparentItemId: isEpisode ? text(r.NowPlayingItemId) : null,
      grandparentTitle: text(r.SeriesName) || null,
      seasonNumber: episode?.season ?? null,
      episodeNumber: episode?.episode ?? null,
      year: null,
      libraryId: null,
      // Jellystat keeps no image tags; the series' or the item's Primary image, asked for without
      // a tag, is the poster while the item is on the server (the proxy answers 404 once it is not).
      imageRef: untaggedImageRef(text(r.NowPlayingItemId)),
    },
    device: {
      deviceId: text(r.DeviceId),
      deviceName: text(r.DeviceName),
      player: text(r.DeviceName),
      product: text(r.Client),
      platform: text(r.Client),
      productVersion: text(r.ApplicationVersion) || null,
    },
    ...clientAddress(text(r.RemoteEndPoint)),
    quality: {
      videoDecision: type === 'TRACK' ? 'NONE' : video,
      audioDecision: transcoding && transcoding.IsAudioDirect === false ? 'TRANSCODE' : decision(method),
      isTranscode: video === 'TRANSCODE' || decision(method) === 'TRANSCODE',
      transcodeHardware: null,
      transcodeAccelerator: null,
      transcodeReasons: Array.isArray(transcoding?.TranscodeReasons)
        ? (transcoding!.TranscodeReasons as unknown[]).map(String)
        : [],
      bitrateKbps: transcoding?.Bitrate ? Math.round(Number(transcoding.Bitrate) / 1000) : null,
      sourceBitrateKbps: null,
      bandwidthKbps: null,
      sourceVideoResolution: null,
      streamVideoResolution: resolutionLabel(transcoding?.Height ? Number(transcoding.Height) : null),
      sourceVideoCodec: null,
      streamVideoCodec: transcoding?.VideoCodec ? text(transcoding.VideoCodec) : null,
      sourceAudioCodec: null,
      streamAudioCodec: transcoding?.AudioCodec ? text(transcoding.AudioCodec) : null,
      container: text(r.OriginalContainer) || null,
    },
  };
}
