// Jellystat's history from its backup file: either the older JSON (a list of {"<table>": [rows]})
// or the newer JSON Lines ({"type":"table",...} then {"type":"row","table":...,"data":{...}}).
// Plays are jf_playback_activity rows; user names come from jf_users where the backup has them.
import { readFileSync } from 'node:fs';
import { decision, ImportFormatError, isPrivateIp, mediaType, resolutionLabel, type ImportedPlay } from './play.ts';

type Row = Record<string, unknown>;

function tables(path: string): Map<string, Row[]> {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImportFormatError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const out = new Map<string, Row[]>();
  const add = (table: string, rows: Row[]) => out.set(table, [...(out.get(table) ?? []), ...rows]);
  const trimmed = content.trimStart();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new ImportFormatError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    for (const entry of parsed as unknown[]) {
      if (!entry || typeof entry !== 'object') continue;
      for (const [table, rows] of Object.entries(entry)) if (Array.isArray(rows)) add(table, rows as Row[]);
    }
  } else {
    for (const [index, line] of content.split('\n').entries()) {
      if (!line.trim()) continue;
      let record: { type?: string; table?: string; data?: Row };
      try {
        record = JSON.parse(line) as typeof record;
      } catch (err) {
        throw new ImportFormatError(`${path}, line ${index + 1}: not valid JSON (${(err as Error).message}); is this a Jellystat backup?`);
      }
      if (record.type === 'row' && record.table && record.data) add(record.table, [record.data]);
    }
  }
  if (!out.has('jf_playback_activity')) throw new ImportFormatError(`${path} is not a Jellystat backup with playback history: no jf_playback_activity table`);
  return out;
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const TICKS_PER_MS = 10_000;

export function readJellystatBackup(path: string, serverType: 'JELLYFIN' | 'EMBY' = 'JELLYFIN'): { total: number; plays(serverId: string): Generator<ImportedPlay> } {
  const all = tables(path);
  const activity = all.get('jf_playback_activity')!;
  const userNames = new Map((all.get('jf_users') ?? []).map((u) => [text(u.Id), text(u.Name)]));
  function* plays(serverId: string): Generator<ImportedPlay> {
    for (const r of activity) {
      // Jellystat records a play when it ends: the start is that time minus the play's length.
      const stoppedAt = Date.parse(text(r.ActivityDateInserted));
      if (!Number.isFinite(stoppedAt) || !r.Id) continue;
      const playedMs = Math.max(0, Number(r.PlaybackDuration ?? 0) * 1000);
      const state = (r.PlayState ?? {}) as Row;
      const transcoding = (r.TranscodingInfo ?? null) as Row | null;
      const method = text(r.PlayMethod);
      const video = transcoding && transcoding.IsVideoDirect === false ? 'TRANSCODE' : decision(method);
      const ip = text(r.RemoteEndPoint).replace(/:\d+$/, '');
      const isEpisode = Boolean(r.EpisodeId);
      yield {
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
        device: { deviceId: text(r.DeviceId), deviceName: text(r.DeviceName), player: text(r.DeviceName), product: text(r.Client), platform: text(r.Client), productVersion: text(r.ApplicationVersion) || null },
        clientIp: ip,
        networkLocation: ip ? (isPrivateIp(ip) ? 'LAN' : 'WAN') : 'UNKNOWN',
        quality: {
          videoDecision: video,
          audioDecision: transcoding && transcoding.IsAudioDirect === false ? 'TRANSCODE' : decision(method),
          isTranscode: video === 'TRANSCODE' || decision(method) === 'TRANSCODE',
          transcodeHardware: null,
          transcodeReasons: Array.isArray(transcoding?.TranscodeReasons) ? (transcoding!.TranscodeReasons as unknown[]).map(String) : [],
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
  }
  return { total: activity.length, plays };
}
