// Histories of other tools in bulk, with their real storage formats: a Tautulli SQLite database
// (the tables and columns Tautulli creates) and Jellystat backups (its JSON document, and the JSON
// Lines layout proposed upstream). For the cases those tools' users have (resumed sessions, live
// TV, music, IPv6...) see tautulli-history.ts and jellystat-history.ts.
import { writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

const TAUTULLI_SCHEMA = [
  `CREATE TABLE session_history (id INTEGER PRIMARY KEY AUTOINCREMENT, reference_id INTEGER, started INTEGER, stopped INTEGER, rating_key INTEGER, user_id INTEGER, user TEXT,
     ip_address TEXT, paused_counter INTEGER DEFAULT 0, player TEXT, product TEXT, product_version TEXT, platform TEXT, platform_version TEXT, profile TEXT, machine_id TEXT,
     bandwidth INTEGER, location TEXT, quality_profile TEXT, secure INTEGER, relayed INTEGER, parent_rating_key INTEGER, grandparent_rating_key INTEGER, media_type TEXT,
     section_id INTEGER, view_offset INTEGER DEFAULT 0)`,
  `CREATE TABLE session_history_media_info (id INTEGER PRIMARY KEY, rating_key INTEGER, video_decision TEXT, audio_decision TEXT, transcode_decision TEXT, duration INTEGER DEFAULT 0,
     container TEXT, bitrate INTEGER, width INTEGER, height INTEGER, video_bitrate INTEGER, video_bit_depth INTEGER, video_codec TEXT, video_codec_level TEXT, video_width INTEGER,
     video_height INTEGER, video_resolution TEXT, video_framerate TEXT, video_scan_type TEXT, video_full_resolution TEXT, video_dynamic_range TEXT, aspect_ratio TEXT,
     audio_bitrate INTEGER, audio_codec TEXT, audio_channels INTEGER, audio_language TEXT, audio_language_code TEXT, transcode_protocol TEXT, transcode_container TEXT,
     transcode_video_codec TEXT, transcode_audio_codec TEXT, transcode_audio_channels INTEGER, transcode_width INTEGER, transcode_height INTEGER, transcode_hw_requested INTEGER,
     transcode_hw_full_pipeline INTEGER, transcode_hw_decode TEXT, transcode_hw_decode_title TEXT, transcode_hw_decoding INTEGER, transcode_hw_encode TEXT,
     transcode_hw_encode_title TEXT, transcode_hw_encoding INTEGER, stream_container TEXT, stream_container_decision TEXT, stream_bitrate INTEGER, stream_video_decision TEXT,
     stream_video_bitrate INTEGER, stream_video_codec TEXT, stream_video_codec_level TEXT, stream_video_bit_depth INTEGER, stream_video_height INTEGER, stream_video_width INTEGER,
     stream_video_resolution TEXT, stream_video_framerate TEXT, stream_video_scan_type TEXT, stream_video_full_resolution TEXT, stream_video_dynamic_range TEXT,
     stream_audio_decision TEXT, stream_audio_codec TEXT, stream_audio_bitrate INTEGER, stream_audio_channels INTEGER, stream_audio_language TEXT, stream_audio_language_code TEXT,
     stream_subtitle_decision TEXT, stream_subtitle_codec TEXT, stream_subtitle_container TEXT, stream_subtitle_forced INTEGER, subtitles INTEGER, subtitle_codec TEXT,
     synced_version INTEGER, synced_version_profile TEXT, optimized_version INTEGER, optimized_version_profile TEXT, optimized_version_title TEXT)`,
  `CREATE TABLE session_history_metadata (id INTEGER PRIMARY KEY, rating_key INTEGER, parent_rating_key INTEGER, grandparent_rating_key INTEGER, title TEXT, parent_title TEXT,
     grandparent_title TEXT, original_title TEXT, full_title TEXT, media_index INTEGER, parent_media_index INTEGER, thumb TEXT, parent_thumb TEXT, grandparent_thumb TEXT, art TEXT,
     media_type TEXT, year INTEGER, originally_available_at TEXT, added_at INTEGER, updated_at INTEGER, last_viewed_at INTEGER, content_rating TEXT, summary TEXT, tagline TEXT,
     rating TEXT, duration INTEGER DEFAULT 0, guid TEXT, directors TEXT, writers TEXT, actors TEXT, genres TEXT, studio TEXT, labels TEXT, live INTEGER DEFAULT 0,
     channel_call_sign TEXT, channel_identifier TEXT, channel_thumb TEXT)`,
  `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER DEFAULT NULL UNIQUE, username TEXT NOT NULL, friendly_name TEXT, thumb TEXT, custom_avatar_url TEXT,
     email TEXT, is_active INTEGER DEFAULT 1, is_admin INTEGER DEFAULT 0, is_home_user INTEGER DEFAULT NULL, is_allow_sync INTEGER DEFAULT NULL, is_restricted INTEGER DEFAULT NULL,
     do_notify INTEGER DEFAULT 1, keep_history INTEGER DEFAULT 1, deleted_user INTEGER DEFAULT 0, allow_guest INTEGER DEFAULT 0, user_token TEXT, server_token TEXT,
     shared_libraries TEXT, filter_all TEXT, filter_movies TEXT, filter_tv TEXT, filter_music TEXT, filter_photos TEXT)`,
];

/** Public addresses the bundled DB-IP database places in these cities. */
const IMPORT_PLACES = [
  { ip: '81.2.69.142', city: 'London' },
  { ip: '8.8.8.8', city: 'Mountain View' },
  { ip: '1.1.1.1', city: 'Sydney' },
  { ip: '18.9.22.69', city: 'Cambridge' },
];

export interface GeneratedPlay {
  id: number;
  userId: number;
  userName: string;
  started: number;
  stopped: number;
  ip: string;
  title: string;
  episode: boolean;
  transcode: boolean;
  /** The player's machine id, when not the user's usual one. */
  device?: string;
}

/** `count` plays over `users` users, one a day each; user 1 also plays from two cities at once on the last day. */
export function generatePlays(count: number, users: number, from = Date.UTC(2026, 9, 1)): GeneratedPlay[] {
  const plays: GeneratedPlay[] = [];
  for (let i = 0; i < count; i++) {
    const userId = 1 + (i % users);
    const started = from + Math.floor(i / users) * 86_400_000 + userId * 3_600_000;
    plays.push({
      id: i + 1,
      userId,
      userName: `user${userId}`,
      started,
      stopped: started + 45 * 60_000,
      ip: IMPORT_PLACES[userId % IMPORT_PLACES.length]!.ip,
      title: i % 3 === 0 ? `Episode ${i}` : `Film ${i}`,
      episode: i % 3 === 0,
      transcode: i % 4 === 0,
    });
  }
  const last = plays[plays.length - 1]!;
  plays.push(
    // The account's owner at home (Mountain View) and someone else, on another device, in Sydney at once.
    { ...last, id: count + 1, userId: 1, userName: 'user1', ip: IMPORT_PLACES[1]!.ip, title: 'Shared A' },
    { ...last, id: count + 2, userId: 1, userName: 'user1', ip: '1.1.1.1', title: 'Shared B', device: 'sydney-tv' },
  );
  return plays;
}

export function createTautulliDatabase(path: string, plays: GeneratedPlay[]): void {
  const db = new DatabaseSync(path);
  for (const statement of TAUTULLI_SCHEMA) db.exec(statement);
  const users = db.prepare('INSERT OR IGNORE INTO users (user_id, username, friendly_name) VALUES (?, ?, ?)');
  users.run(0, 'Local', null);
  const history =
    db.prepare(`INSERT INTO session_history (id, reference_id, started, stopped, rating_key, user_id, user, ip_address, paused_counter, player, product, product_version, platform, machine_id, bandwidth, location, media_type, view_offset, parent_rating_key, grandparent_rating_key, section_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const metadata = db.prepare(
    'INSERT INTO session_history_metadata (id, rating_key, title, grandparent_title, parent_title, media_index, parent_media_index, media_type, year, duration, full_title, thumb, grandparent_thumb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const media =
    db.prepare(`INSERT INTO session_history_media_info (id, rating_key, video_decision, audio_decision, transcode_decision, duration, container, bitrate, video_codec, video_resolution, audio_codec,
    stream_bitrate, stream_video_decision, stream_video_codec, stream_video_resolution, stream_audio_decision, stream_audio_codec, transcode_hw_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const p of plays) {
    users.run(p.userId, p.userName, `Friendly ${p.userName}`);
    const rating = 5000 + p.id;
    history.run(
      p.id,
      p.id,
      Math.floor(p.started / 1000),
      Math.floor(p.stopped / 1000),
      rating,
      p.userId,
      p.userName,
      p.ip,
      60,
      'Living Room',
      'Plex for Android (TV)',
      '10.1',
      'Android',
      p.device ?? `machine-${p.userId}`,
      8000,
      'wan',
      p.episode ? 'episode' : 'movie',
      40 * 60_000,
      p.episode ? 4000 : null,
      p.episode ? 3000 : null,
      p.episode ? 2 : 1,
    );
    metadata.run(
      p.id,
      rating,
      p.title,
      p.episode ? 'Dark' : null,
      p.episode ? 'Season 1' : null,
      p.episode ? 3 : null,
      p.episode ? 1 : null,
      p.episode ? 'episode' : 'movie',
      2020,
      60 * 60_000,
      p.title,
      `/library/metadata/${rating}/thumb/1700000000`,
      p.episode ? '/library/metadata/4000/thumb/1700000000' : null,
    );
    const decision = p.transcode ? 'transcode' : 'direct play';
    media.run(
      p.id,
      rating,
      decision,
      'direct play',
      decision,
      60 * 60_000,
      'mkv',
      20000,
      'hevc',
      '4k',
      'eac3',
      p.transcode ? 8000 : 20000,
      decision,
      p.transcode ? 'h264' : 'hevc',
      p.transcode ? '1080' : '4k',
      'direct play',
      'eac3',
      p.transcode ? 1 : 0,
    );
  }
  db.close();
}

/** A jf_users row of a Jellystat backup for the play's user. */
export function jellystatUser(p: GeneratedPlay): Record<string, unknown> {
  return {
    Id: `jf-user-${p.userId}`,
    Name: p.userName,
    PrimaryImageTag: null,
    LastLoginDate: null,
    LastActivityDate: null,
    IsAdministrator: false,
  };
}

/** A jf_playback_activity row of a Jellystat backup for the play. */
export function jellystatActivity(p: GeneratedPlay): Record<string, unknown> {
  return {
    Id: `act-${p.id}`,
    IsPaused: false,
    UserId: `jf-user-${p.userId}`,
    UserName: p.userName,
    Client: 'Jellyfin Android TV',
    DeviceName: 'Shield',
    DeviceId: p.device ?? `device-${p.userId}`,
    ApplicationVersion: '0.16.0',
    NowPlayingItemId: p.episode ? 'series-dark' : `item-${p.id}`,
    NowPlayingItemName: p.title,
    EpisodeId: p.episode ? `ep-${p.id}` : null,
    SeasonId: p.episode ? 'season-1' : null,
    SeriesName: p.episode ? 'Dark' : null,
    PlaybackDuration: Math.floor((p.stopped - p.started) / 1000),
    PlayMethod: p.transcode ? 'Transcode' : 'DirectPlay',
    ActivityDateInserted: new Date(p.stopped).toISOString(),
    MediaStreams: [],
    TranscodingInfo: p.transcode
      ? {
          AudioCodec: 'aac',
          VideoCodec: 'h264',
          Container: 'ts',
          IsVideoDirect: false,
          IsAudioDirect: false,
          Bitrate: 8_000_000,
          Width: 1920,
          Height: 1080,
          TranscodeReasons: ['VideoCodecNotSupported'],
        }
      : null,
    PlayState: {
      PositionTicks: 40 * 60_000 * 10_000,
      CanSeek: true,
      IsPaused: false,
      IsMuted: false,
      RuntimeTicks: 60 * 60_000 * 10_000,
      PlayMethod: p.transcode ? 'Transcode' : 'DirectPlay',
    },
    OriginalContainer: 'mkv',
    RemoteEndPoint: p.ip,
    ServerId: 'f1e2d3',
    imported: false,
  };
}

export function createJellystatBackup(path: string, plays: GeneratedPlay[], format: 'json' | 'jsonl'): void {
  const users = [...new Map(plays.map((p) => [p.userId, jellystatUser(p)])).values()];
  const activity = plays.map(jellystatActivity);
  if (format === 'json') {
    // Every table Jellystat backs up, in its order; the ones these plays need filled.
    const items = [...new Map(plays.map((p) => [p.episode ? 'series-dark' : `item-${p.id}`, p])).entries()].map(
      ([Id, p]) => ({
        Id,
        Name: p.episode ? 'Dark' : p.title,
        Type: p.episode ? 'Series' : 'Movie',
        ParentId: 'lib-1',
      }),
    );
    writeFileSync(
      path,
      JSON.stringify([
        { jf_libraries: [{ Id: 'lib-1', Name: 'Library', CollectionType: 'mixed' }] },
        { jf_library_items: items },
        { jf_library_seasons: [] },
        { jf_library_episodes: [] },
        { jf_users: users },
        { jf_playback_activity: activity },
        { jf_playback_reporting_plugin_data: [] },
        { jf_item_info: [] },
      ]),
    );
  } else {
    const lines = [
      { type: 'table', table: 'jf_users' },
      ...users.map((data) => ({ type: 'row', table: 'jf_users', data })),
      { type: 'table', table: 'jf_playback_activity' },
      ...activity.map((data) => ({ type: 'row', table: 'jf_playback_activity', data })),
    ];
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
}
