// Jellystat's history from its backup file, read as a stream so a backup of millions of plays
// needs memory for one chunk, not the file: Jellystat writes one JSON document, an array of table
// objects ([{"jf_libraries": [...]}, {"jf_users": [...]}, {"jf_playback_activity": [...]}, ...]),
// split into rows as it is read (json-rows.ts); a JSON Lines variant
// ({"type":"row","table":...,"data":{...}} per line) is read line by line.
// Plays are jf_playback_activity rows; user names come from jf_users where the backup has them
// (Jellystat writes that table before the activity).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { JsonRowsError, JsonTableRows } from './json-rows.ts';
import { decision, ImportFormatError, isPrivateIp, mediaType, resolutionLabel, type ImportedPlay } from './play.ts';

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

/** Table rows of a JSON Lines backup, a few thousand lines at a time. */
async function* lineRows(path: string, name: string): AsyncGenerator<TableRow[]> {
  const lines = createInterface({ input: createReadStream(path, { highWaterMark: CHUNK_BYTES }), crlfDelay: Infinity });
  let pending: TableRow[] = [];
  let index = 0;
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
  if (pending.length > 0) yield pending;
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const TICKS_PER_MS = 10_000;

/**
 * The plays of a Jellystat backup at `path`, streamed. `name` is how errors refer to the file
 * (its uploaded name, not a temporary path).
 */
export function readJellystatBackup(
  path: string,
  serverType: 'JELLYFIN' | 'EMBY' = 'JELLYFIN',
  name = path,
): { total: null; plays(serverId: string): AsyncGenerator<ImportedPlay> } {
  async function* plays(serverId: string): AsyncGenerator<ImportedPlay> {
    const layout = await firstCharacter(path);
    if (layout !== '[' && layout !== '{')
      throw new ImportFormatError(`${name} is not a Jellystat backup: it does not start with a JSON array or object`);
    const userNames = new Map<string, string>();
    let sawActivity = false;
    for await (const rows of layout === '[' ? documentRows(path, name) : lineRows(path, name)) {
      for (const { table, row: r } of rows) {
        if (table === 'jf_users') {
          userNames.set(text(r.Id), text(r.Name));
          continue;
        }
        if (table !== 'jf_playback_activity') continue;
        sawActivity = true;
        const play = toPlay(r, serverId, serverType, userNames);
        if (play) yield play;
      }
    }
    if (!sawActivity)
      throw new ImportFormatError(
        `${name} is not a Jellystat backup with playback history: no jf_playback_activity table`,
      );
  }
  return { total: null, plays };
}

function toPlay(
  r: Row,
  serverId: string,
  serverType: 'JELLYFIN' | 'EMBY',
  userNames: Map<string, string>,
): ImportedPlay | null {
  // Jellystat records a play when it ends: the start is that time minus the play's length.
  const stoppedAt = Date.parse(text(r.ActivityDateInserted));
  if (!Number.isFinite(stoppedAt) || !r.Id) return null;
  const playedMs = Math.max(0, Number(r.PlaybackDuration ?? 0) * 1000);
  const state = (r.PlayState ?? {}) as Row;
  const transcoding = (r.TranscodingInfo ?? null) as Row | null;
  const method = text(r.PlayMethod);
  const video = transcoding && transcoding.IsVideoDirect === false ? 'TRANSCODE' : decision(method);
  const ip = text(r.RemoteEndPoint).replace(/:\d+$/, '');
  const isEpisode = Boolean(r.EpisodeId);
  return {
    source: 'jellystat',
    sourceId: text(r.Id),
    serverId,
    serverType,
    userId: text(r.UserId),
    userName: text(r.UserName) || userNames.get(text(r.UserId)) || text(r.UserId),
    startedAt: stoppedAt - playedMs,
    stoppedAt,
    pausedMs: 0,
    positionMs: Math.round(Number(state.PositionTicks ?? 0) / TICKS_PER_MS),
    durationMs: state.RuntimeTicks ? Math.round(Number(state.RuntimeTicks) / TICKS_PER_MS) : null,
    media: {
      itemId: text(r.EpisodeId || r.NowPlayingItemId),
      title: text(r.NowPlayingItemName) || '(unknown title)',
      mediaType: isEpisode ? 'EPISODE' : mediaType(text(r.MediaType) || 'movie'),
      parentItemId: r.SeasonId ? text(r.SeasonId) : null,
      parentTitle: null,
      grandparentItemId: isEpisode ? text(r.NowPlayingItemId) : null,
      grandparentTitle: text(r.SeriesName) || null,
      seasonNumber: null,
      episodeNumber: null,
      year: null,
      libraryId: null,
    },
    device: {
      deviceId: text(r.DeviceId),
      deviceName: text(r.DeviceName),
      player: text(r.DeviceName),
      product: text(r.Client),
      platform: text(r.Client),
      productVersion: text(r.ApplicationVersion) || null,
    },
    clientIp: ip,
    networkLocation: ip ? (isPrivateIp(ip) ? 'LAN' : 'WAN') : 'UNKNOWN',
    quality: {
      videoDecision: video,
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
