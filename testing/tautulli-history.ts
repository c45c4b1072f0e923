// A Tautulli history as Tautulli itself writes and serves it, with the cases its users have:
// sessions resumed later (linked by reference_id, as activity_processor.group_history links them,
// even months apart), rows from before reference_id was set (0 or NULL), live TV (metadata
// live = 1, media_type still 'episode'), music (no video decisions), a phone on a mobile network
// (location 'cellular') and a title with angle brackets. Tautulli's upgrade code gives every row
// written before reference_id existed one; rows left at 0 or NULL (`legacyRows`) stand alone.
//
// The database uses the tables and columns Tautulli creates (import-fixtures.ts); get_history is
// answered from that database the way its datafactory builds it (grouped by reference_id or not,
// MIN(started), MAX(stopped), SUM of each row's played and paused time, `duration` being played
// seconds, every string's < and > escaped by its sanitize_out decorator). `expected` is what
// Tautulli's own history page shows: the plays to compare an import with, field by field.
import { DatabaseSync } from 'node:sqlite';
import { createTautulliDatabase } from './import-fixtures.ts';

export interface ExpectedTautulliPlay {
  /** reference_id: the play's first session. */
  id: number;
  userId: number;
  title: string;
  mediaType: 'MOVIE' | 'EPISODE' | 'TRACK' | 'LIVE_TV';
  startedAt: number;
  stoppedAt: number;
  playedMs: number;
  pausedMs: number;
  ip: string;
  networkLocation: 'LAN' | 'WAN';
  videoDecision: 'DIRECT_PLAY' | 'TRANSCODE' | 'NONE';
  /** The item's length (media info), known from the database only. */
  durationMs: number;
  sessions: number;
}

interface Session {
  id: number;
  referenceId: number | null;
  userId: number;
  ratingKey: number;
  title: string;
  mediaType: 'movie' | 'episode' | 'track';
  live: boolean;
  started: number;
  stopped: number;
  pausedSeconds: number;
  viewOffset: number;
  ip: string;
  location: 'lan' | 'wan' | 'cellular';
  transcode: boolean;
}

const DAY = 86_400_000;
const MIN = 60_000;
const sec = (ms: number) => Math.floor(ms / 1000);

/** The sessions of the history, in the order Tautulli wrote them (ids ascending). */
function sessions(from: number, legacyRows: boolean): Session[] {
  const out: Session[] = [];
  let id = 1;
  const add = (s: Omit<Session, 'id' | 'referenceId'> & { resumes?: Session }) => {
    const { resumes, ...rest } = s;
    const session: Session = { ...rest, id: id++, referenceId: null };
    // group_history: a resume of the same item further on joins the earlier row's group.
    session.referenceId = resumes ? resumes.referenceId : session.id;
    out.push(session);
    return session;
  };
  for (let day = 0; day < 20; day++) {
    for (let user = 1; user <= 4; user++) {
      const started = from + day * DAY + user * 3 * 3_600_000;
      const movie = add({
        userId: user,
        ratingKey: 1000 + day * 10 + user,
        title: `Film ${day}-${user}`,
        mediaType: 'movie',
        live: false,
        started,
        stopped: started + 50 * MIN,
        pausedSeconds: 120,
        viewOffset: 48 * MIN,
        ip: ['81.2.69.142', '8.8.8.8', '1.1.1.1', '192.168.1.20'][user - 1]!,
        location: user === 4 ? 'lan' : 'wan',
        transcode: (day + user) % 3 === 0,
      });
      // Every third film is stopped and finished later the same evening: one play, two sessions.
      if ((day + user) % 3 === 1)
        add({
          ...movie,
          started: started + 3 * 3_600_000,
          stopped: started + 3 * 3_600_000 + 40 * MIN,
          pausedSeconds: 30,
          viewOffset: 88 * MIN,
          resumes: movie,
        });
    }
  }
  // A film resumed four months later: Tautulli still links it (a span of months, not played time).
  const longAgo = add({
    userId: 2,
    ratingKey: 7001,
    title: 'Heat',
    mediaType: 'movie',
    live: false,
    started: from - 120 * DAY,
    stopped: from - 120 * DAY + 30 * MIN,
    pausedSeconds: 0,
    viewOffset: 30 * MIN,
    ip: '8.8.8.8',
    location: 'wan',
    transcode: false,
  });
  add({
    ...longAgo,
    started: from + 5 * DAY,
    stopped: from + 5 * DAY + 60 * MIN,
    viewOffset: 90 * MIN,
    resumes: longAgo,
  });
  // Rows written before reference_id existed, left at 0 and NULL: each its own play.
  for (const [n, reference] of legacyRows
    ? ([
        [1, 0],
        [2, null],
      ] as const)
    : []) {
    const old = add({
      userId: 3,
      ratingKey: 7100 + n,
      title: `Old film ${n}`,
      mediaType: 'movie',
      live: false,
      started: from - 400 * DAY + n * DAY,
      stopped: from - 400 * DAY + n * DAY + 90 * MIN,
      pausedSeconds: 0,
      viewOffset: 90 * MIN,
      ip: '1.1.1.1',
      location: 'wan',
      transcode: false,
    });
    old.referenceId = reference;
  }
  // Live TV: the programme's media type stays 'episode'; the metadata says live.
  add({
    userId: 1,
    ratingKey: 8001,
    title: 'Evening News',
    mediaType: 'episode',
    live: true,
    started: from + 2 * DAY + 18 * 3_600_000,
    stopped: from + 2 * DAY + 18 * 3_600_000 + 30 * MIN,
    pausedSeconds: 0,
    viewOffset: 0,
    ip: '81.2.69.142',
    location: 'wan',
    transcode: true,
  });
  // Music on a phone on a mobile network, and a title with angle brackets.
  add({
    userId: 4,
    ratingKey: 9001,
    title: 'Airbag',
    mediaType: 'track',
    live: false,
    started: from + 3 * DAY + 8 * 3_600_000,
    stopped: from + 3 * DAY + 8 * 3_600_000 + 5 * MIN,
    pausedSeconds: 0,
    viewOffset: 5 * MIN,
    ip: '18.9.22.69',
    location: 'cellular',
    transcode: false,
  });
  add({
    userId: 1,
    ratingKey: 9101,
    title: '<Untitled>',
    mediaType: 'movie',
    live: false,
    started: from + 4 * DAY,
    stopped: from + 4 * DAY + 20 * MIN,
    pausedSeconds: 0,
    viewOffset: 20 * MIN,
    ip: '81.2.69.142',
    location: 'wan',
    transcode: false,
  });
  return out;
}

const MEDIA_LENGTH = { movie: 120 * MIN, episode: 30 * MIN, track: 5 * MIN };

/** Writes the history's tautulli.db at `path`; returns its sessions and the plays Tautulli shows. */
export function createTautulliHistory(
  path: string,
  options: { from?: number; legacyRows?: boolean } = {},
): { sessions: number; plays: ExpectedTautulliPlay[] } {
  const list = sessions(options.from ?? Date.UTC(2026, 6, 1), options.legacyRows ?? false);
  createTautulliDatabase(path, []);
  const db = new DatabaseSync(path);
  const users = db.prepare('INSERT OR IGNORE INTO users (user_id, username, friendly_name) VALUES (?, ?, ?)');
  const history = db.prepare(
    `INSERT INTO session_history (id, reference_id, started, stopped, rating_key, user_id, user, ip_address, paused_counter, player, product, product_version,
       platform, machine_id, location, media_type, view_offset, section_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const metadata = db.prepare(
    `INSERT INTO session_history_metadata (id, rating_key, title, full_title, grandparent_title, media_type, year, duration, live, guid)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const media = db.prepare(
    `INSERT INTO session_history_media_info (id, rating_key, video_decision, audio_decision, transcode_decision, duration, container, bitrate,
       stream_video_decision, stream_audio_decision, stream_bitrate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const s of list) {
    users.run(s.userId, `user${s.userId}`, `Friendly user${s.userId}`);
    history.run(
      s.id,
      s.referenceId,
      sec(s.started),
      sec(s.stopped),
      s.ratingKey,
      s.userId,
      `user${s.userId}`,
      s.ip,
      s.pausedSeconds,
      s.mediaType === 'track' ? 'iPhone' : 'Living Room',
      s.mediaType === 'track' ? 'Plexamp' : 'Plex for Android (TV)',
      '10.1',
      s.mediaType === 'track' ? 'iOS' : 'Android',
      `machine-${s.userId}`,
      s.location,
      s.mediaType,
      s.viewOffset,
      s.mediaType === 'track' ? 3 : 1,
    );
    metadata.run(
      s.id,
      s.ratingKey,
      s.title,
      s.title,
      s.live ? 'News Channel' : null,
      s.mediaType,
      2020,
      MEDIA_LENGTH[s.mediaType],
      s.live ? 1 : 0,
      `plex://${s.mediaType}/${s.ratingKey}`,
    );
    // activity_processor writes a track's video decisions as empty strings.
    const video = s.mediaType === 'track' ? '' : s.transcode ? 'transcode' : 'direct play';
    media.run(
      s.id,
      s.ratingKey,
      video,
      'direct play',
      s.transcode ? 'transcode' : 'direct play',
      MEDIA_LENGTH[s.mediaType],
      s.mediaType === 'track' ? 'flac' : 'mkv',
      s.mediaType === 'track' ? 1000 : 20000,
      video,
      'direct play',
      s.transcode ? 8000 : 20000,
    );
  }
  db.close();

  const groups = new Map<number, Session[]>();
  for (const s of list) {
    const key = s.referenceId ? s.referenceId : -s.id;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const plays = [...groups.values()].map((rows): ExpectedTautulliPlay => {
    const last = rows.at(-1)!;
    const first = rows[0]!;
    const played = rows.reduce((n, r) => n + sec(r.stopped) - sec(r.started) - r.pausedSeconds, 0);
    return {
      id: first.id,
      userId: first.userId,
      title: last.title,
      mediaType: last.live
        ? 'LIVE_TV'
        : last.mediaType === 'track'
          ? 'TRACK'
          : last.mediaType === 'movie'
            ? 'MOVIE'
            : 'EPISODE',
      startedAt: sec(first.started) * 1000,
      stoppedAt: sec(last.stopped) * 1000,
      playedMs: played * 1000,
      pausedMs: rows.reduce((n, r) => n + r.pausedSeconds, 0) * 1000,
      ip: last.ip,
      networkLocation: last.location === 'lan' ? 'LAN' : 'WAN',
      videoDecision: last.mediaType === 'track' ? 'NONE' : last.transcode ? 'TRANSCODE' : 'DIRECT_PLAY',
      durationMs: MEDIA_LENGTH[last.mediaType],
      sessions: rows.length,
    };
  });
  return { sessions: list.length, plays: plays.sort((a, b) => a.id - b.id) };
}

/** get_history's rows from the database, as Tautulli's datafactory builds and its API escapes them. */
export function tautulliGetHistory(
  path: string,
  query: URLSearchParams,
): { recordsTotal: number; recordsFiltered: number; data: Array<Record<string, unknown>> } {
  const grouping = query.get('grouping') !== '0';
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db
      .prepare(
        `SELECT session_history.reference_id, session_history.id AS row_id, MAX(started) AS date, MIN(started) AS started, MAX(stopped) AS stopped,
                SUM(CASE WHEN stopped > 0 THEN (stopped - started) ELSE 0 END) - SUM(CASE WHEN paused_counter IS NULL THEN 0 ELSE paused_counter END) AS play_duration,
                SUM(CASE WHEN paused_counter IS NULL THEN 0 ELSE paused_counter END) AS paused_counter,
                session_history.view_offset, session_history.user_id, session_history.user,
                (CASE WHEN users.friendly_name IS NULL OR TRIM(users.friendly_name) = '' THEN users.username ELSE users.friendly_name END) AS friendly_name,
                platform, product, player, ip_address, machine_id, location, secure, relayed, session_history.media_type,
                session_history_metadata.rating_key, session_history_metadata.parent_rating_key, session_history_metadata.grandparent_rating_key,
                session_history_metadata.full_title, session_history_metadata.title, session_history_metadata.parent_title,
                session_history_metadata.grandparent_title, session_history_metadata.original_title, session_history_metadata.year,
                session_history_metadata.media_index, session_history_metadata.parent_media_index, session_history_metadata.live,
                session_history_metadata.guid, session_history_media_info.transcode_decision,
                COUNT(*) AS group_count, GROUP_CONCAT(session_history.id) AS group_ids
         FROM session_history
         JOIN session_history_metadata ON session_history_metadata.id = session_history.id
         JOIN session_history_media_info ON session_history_media_info.id = session_history.id
         LEFT OUTER JOIN users ON session_history.user_id = users.user_id
         GROUP BY ${grouping ? 'session_history.reference_id' : 'session_history.id'}
         ORDER BY started ASC`,
      )
      .all() as Array<Record<string, unknown>>;
    const start = Number(query.get('start') ?? 0);
    const length = Number(query.get('length') ?? 25);
    const escape = (v: unknown) => (typeof v === 'string' ? v.replaceAll('<', '&lt;').replaceAll('>', '&gt;') : v);
    const data = rows.slice(start, start + length).map((r) => {
      const row = {
        ...r,
        id: r.row_id,
        // "Keep for backwards compatibility": played seconds, not the media length.
        duration: r.play_duration,
        state: null,
        session_key: null,
      };
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, escape(v)]));
    });
    return { recordsTotal: rows.length, recordsFiltered: rows.length, data };
  } finally {
    db.close();
  }
}
