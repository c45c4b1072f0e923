// The Jellyfin Playback Reporting plugin's history, from its SQLite database (playback_reporting.db
// in the server's data folder). The plugin writes one PlaybackActivity row a play when it has run
// for 20 seconds and updates its durations when it stops:
//   DateCreated   the start, in the server's local time ("2026-11-26 20:15:30.1234567", no zone)
//   UserId        the Jellyfin user id (32 hex digits); the plugin keeps no user names
//   ItemId, ItemType (Movie, Episode, Audio...), ItemName ("Series - s01e02 - Episode" for an
//                 episode, "Artist - Track (Album)" for a track, the name otherwise)
//   PlaybackMethod DirectPlay, DirectStream, or "Transcode (v:h264 a:direct)" (direct: copied)
//   ClientName, DeviceName; PlayDuration and, in later versions, PauseDuration (seconds),
//   RemoteAddress and TranscodeReasons.
// A row is known by DateCreated, UserId and ItemId, as the plugin's own import knows it, so a
// second import adds nothing. Names come from the server once Streamwarden sees its users.
import { DatabaseSync } from 'node:sqlite';
import { untaggedImageRef } from '../connectors/image-refs.ts';
import { checkTimeZone, wallClockInstant } from '../core/time-zone.ts';
import type { MediaType, StreamDecision } from '../schemas/index.ts';
import { ITEM_TYPES } from './jellystat.ts';
import {
  checkSqliteFile,
  clientAddress,
  countUnreadable,
  decision,
  ImportFormatError,
  type ImportedPlay,
  type SourceRows,
} from './play.ts';

type Row = Record<string, string | number | null>;

const REQUIRED = ['DateCreated', 'UserId', 'ItemId', 'ItemName', 'PlaybackMethod', 'PlayDuration'];
const WALL_CLOCK = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,3})\d*)?/;
const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** A DateCreated as the instant it names in the server's zone; NaN when it is no date. */
function started(value: unknown, timeZone: string): number {
  const m = WALL_CLOCK.exec(text(value));
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac] = m;
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, Number((frac ?? '0').padEnd(3, '0')));
  return wallClockInstant(wall, timeZone);
}

/** "Transcode (v:h264 a:direct)" -> how video and audio went, and what they became. */
function delivery(method: string, type: MediaType) {
  const transcode = /^transcode\s*\(v:(\S+)\s+a:(\S+)\)/i.exec(method.trim());
  const base = decision(method.split(/[\s(]/)[0]);
  const copied = (codec: string | undefined): StreamDecision =>
    !transcode ? base : codec === 'direct' ? 'DIRECT_STREAM' : 'TRANSCODE';
  const video = type === 'TRACK' ? 'NONE' : copied(transcode?.[1]);
  const audio = copied(transcode?.[2]);
  const codec = (c: string | undefined) => (c && c !== 'direct' ? c : null);
  return {
    videoDecision: video,
    audioDecision: audio,
    isTranscode: video === 'TRANSCODE' || audio === 'TRANSCODE' || (base === 'TRANSCODE' && !transcode),
    streamVideoCodec: codec(transcode?.[1]),
    streamAudioCodec: codec(transcode?.[2]),
  };
}

/** What the plugin's ItemName says: a series, season and episode, or an artist and album. */
function titles(name: string, type: MediaType) {
  const episode = type === 'EPISODE' ? /^(.*) - s(\d+)e(\d+) - (.*)$/i.exec(name) : null;
  if (episode)
    return {
      title: episode[4]!,
      grandparentTitle: episode[1]!,
      parentTitle: null,
      seasonNumber: Number(episode[2]),
      episodeNumber: Number(episode[3]),
    };
  const track = type === 'TRACK' ? /^(.*) - (.*) \((.*)\)$/.exec(name) : null;
  if (track)
    return {
      title: track[2]!,
      grandparentTitle: track[1]!,
      parentTitle: track[3]!,
      seasonNumber: null,
      episodeNumber: null,
    };
  return { title: name, grandparentTitle: null, parentTitle: null, seasonNumber: null, episodeNumber: null };
}

/**
 * The plays of a Playback Reporting database at `path`; `timeZone` is the Jellyfin server's (its
 * times are local). `name` is how errors refer to the file (its uploaded name, not a temporary path).
 */
export function openPlaybackReportingDatabase(
  path: string,
  timeZone: string,
  name = path,
): { total: number; plays(serverId: string, rows: SourceRows): Generator<ImportedPlay>; close(): void } {
  checkTimeZone(timeZone);
  checkSqliteFile(path, name, "the plugin's is playback_reporting.db in Jellyfin's data folder");
  let db: DatabaseSync;
  let columns: Set<string>;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    columns = new Set(
      (db.prepare("SELECT name FROM pragma_table_info('PlaybackActivity')").all() as Row[]).map((r) => String(r.name)),
    );
  } catch (err) {
    throw new ImportFormatError(`${name} cannot be read as a SQLite database: ${(err as Error).message}`);
  }
  if (columns.size === 0) {
    db.close();
    throw new ImportFormatError(`${name} is not a Playback Reporting database: no PlaybackActivity table`);
  }
  const missing = REQUIRED.filter((c) => !columns.has(c));
  if (missing.length) {
    db.close();
    throw new ImportFormatError(`${name}: PlaybackActivity has no ${missing.join(', ')} column`);
  }
  const optional = (column: string) => (columns.has(column) ? column : `NULL AS ${column}`);
  // The plays to expect: rows the plugin wrote with a user and an item.
  const total = Number(
    (
      db
        .prepare(
          "SELECT count(*) AS n FROM PlaybackActivity WHERE coalesce(UserId, '') != '' AND coalesce(ItemId, '') != ''",
        )
        .get() as Row
    ).n,
  );

  function* plays(serverId: string, rows: SourceRows): Generator<ImportedPlay> {
    const list = db.prepare(
      `SELECT DateCreated, UserId, ItemId, ${optional('ItemType')}, ItemName, PlaybackMethod, ${optional('ClientName')},
              ${optional('DeviceName')}, PlayDuration, ${optional('PauseDuration')}, ${optional('RemoteAddress')},
              ${optional('TranscodeReasons')}
       FROM PlaybackActivity ORDER BY DateCreated`,
    );
    for (const r of list.iterate() as Iterable<Row>) {
      rows.read++;
      const startedAt = started(r.DateCreated, timeZone);
      if (!r.UserId || !r.ItemId) {
        countUnreadable(rows, 'no-id');
        continue;
      }
      if (!Number.isFinite(startedAt)) {
        countUnreadable(rows, 'no-times');
        continue;
      }
      const playedMs = Math.max(0, Number(r.PlayDuration ?? 0)) * 1000;
      const pausedMs = Math.max(0, Number(r.PauseDuration ?? 0)) * 1000;
      const type = ITEM_TYPES[text(r.ItemType)] ?? 'OTHER';
      const { parentTitle, ...named } = titles(text(r.ItemName), type);
      const how = delivery(text(r.PlaybackMethod), type);
      const device = text(r.DeviceName);
      yield {
        source: 'playback-reporting',
        sourceId: `${text(r.DateCreated)}|${text(r.UserId)}|${text(r.ItemId)}`,
        serverId,
        serverType: 'JELLYFIN',
        userId: text(r.UserId),
        userName: '',
        startedAt,
        stoppedAt: startedAt + playedMs + pausedMs,
        pausedMs,
        playedMs,
        positionMs: 0,
        durationMs: null,
        media: {
          itemId: text(r.ItemId),
          ...named,
          title: named.title || '(unknown title)',
          mediaType: type,
          parentItemId: null,
          parentTitle,
          grandparentItemId: null,
          year: null,
          libraryId: null,
          imageRef: untaggedImageRef(text(r.ItemId)),
        },
        // The plugin keeps a device's name, not its id: the name stands for it.
        device: {
          deviceId: device,
          deviceName: device,
          player: device,
          product: text(r.ClientName),
          platform: text(r.ClientName),
          productVersion: null,
        },
        ...clientAddress(text(r.RemoteAddress)),
        quality: {
          ...how,
          transcodeHardware: null,
          transcodeAccelerator: null,
          transcodeReasons: text(r.TranscodeReasons)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          bitrateKbps: null,
          sourceBitrateKbps: null,
          bandwidthKbps: null,
          sourceVideoResolution: null,
          streamVideoResolution: null,
          sourceVideoCodec: null,
          sourceAudioCodec: null,
          container: null,
        },
      };
    }
  }
  return { total, plays, close: () => db.close() };
}
