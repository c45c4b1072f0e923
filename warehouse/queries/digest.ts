// The figures of a scheduled digest over a period: plays and watch time, top titles and users,
// devices and places accounts used for the first time, findings by rule, recently added titles.
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface DigestFigures {
  plays: number;
  watchHours: number;
  accounts: number;
  topTitles: Array<{ title: string; plays: number }>;
  topUsers: Array<{ user: string; plays: number; hours: number }>;
  newDevices: Array<{ user: string; device: string }>;
  newPlaces: Array<{ user: string; place: string }>;
  findings: Array<{ rule: string; count: number }>;
  recentlyAdded: Array<{
    title: string;
    items: number;
    mediaType: string;
    year: number | null;
    /** The newest item's poster that has one: its server and reference, for the image proxy. */
    poster: { serverId: string; imageRef: string } | null;
  }>;
}

export class DigestQueries {
  constructor(private readonly w: Warehouse) {}

  async figures(from: number, to: number): Promise<DigestFigures> {
    const t = (name: string) => this.w.table(name);
    const range = { from, to };
    const inRange =
      'started_at >= fromUnixTimestamp64Milli({from:Int64}) AND started_at < fromUnixTimestamp64Milli({to:Int64})';
    // Accounts that played before the period: only their firsts are news.
    const known = `account_key IN (SELECT account_key FROM ${t('sessions')} WHERE started_at < fromUnixTimestamp64Milli({from:Int64}))`;
    const [totals, topTitles, topUsers, newDevices, newPlaces, findings, recentlyAdded] = await Promise.all([
      rows<{ plays: string; ms: string; accounts: string }>(
        this.w,
        `SELECT count() AS plays, sum(played_ms) AS ms, uniq(account_key) AS accounts FROM ${t('sessions')} FINAL WHERE ${inRange}`,
        range,
      ),
      rows<{ title: string; plays: string }>(
        this.w,
        `SELECT if(grandparent_title != '', grandparent_title, title) AS title, count() AS plays FROM ${t('sessions')} FINAL
         WHERE ${inRange} GROUP BY title ORDER BY plays DESC, title LIMIT 5`,
        range,
      ),
      rows<{ user: string; plays: string; ms: string }>(
        this.w,
        `SELECT any(user_name) AS user, count() AS plays, sum(played_ms) AS ms FROM ${t('sessions')} FINAL
         WHERE ${inRange} GROUP BY account_key ORDER BY plays DESC, user LIMIT 5`,
        range,
      ),
      rows<{ user: string; device: string }>(
        this.w,
        `SELECT any(user_name) AS user, any(device_name) AS device FROM ${t('sessions')} FINAL WHERE ${known}
         GROUP BY account_key, device_id
         HAVING min(started_at) >= fromUnixTimestamp64Milli({from:Int64}) AND min(started_at) < fromUnixTimestamp64Milli({to:Int64})
         ORDER BY user LIMIT 20`,
        range,
      ),
      rows<{ user: string; place: string }>(
        this.w,
        `SELECT any(user_name) AS user, concat(any(city), if(any(city) = '', '', ', '), country_code) AS place FROM ${t('sessions')} FINAL
         WHERE ${known} AND country_code != ''
         GROUP BY account_key, country_code, city
         HAVING min(started_at) >= fromUnixTimestamp64Milli({from:Int64}) AND min(started_at) < fromUnixTimestamp64Milli({to:Int64})
         ORDER BY user LIMIT 20`,
        range,
      ),
      rows<{ rule: string; count: string }>(
        this.w,
        `SELECT rule, count() AS count FROM ${t('violations')} FINAL
         WHERE detected_at >= fromUnixTimestamp64Milli({from:Int64}) AND detected_at < fromUnixTimestamp64Milli({to:Int64})
         GROUP BY rule ORDER BY count DESC`,
        range,
      ),
      rows<{ title: string; items: string; media_type: string; year: number | null; poster: [string, string] }>(
        this.w,
        `SELECT if(grandparent_title != '', grandparent_title, title) AS title, count() AS items, any(media_type) AS media_type, any(year) AS year,
                argMaxIf((server_id, image_ref), added_at, image_ref != '') AS poster
         FROM ${t('library_items')} FINAL
         WHERE NOT removed AND added_at >= fromUnixTimestamp64Milli({from:Int64}) AND added_at < fromUnixTimestamp64Milli({to:Int64})
         GROUP BY title ORDER BY max(added_at) DESC LIMIT 12`,
        range,
      ),
    ]);
    const total = totals[0];
    return {
      plays: Number(total?.plays ?? 0),
      watchHours: Math.round(Number(total?.ms ?? 0) / 360_000) / 10,
      accounts: Number(total?.accounts ?? 0),
      topTitles: topTitles.map((r) => ({ title: r.title, plays: Number(r.plays) })),
      topUsers: topUsers.map((r) => ({
        user: r.user,
        plays: Number(r.plays),
        hours: Math.round(Number(r.ms) / 360_000) / 10,
      })),
      newDevices,
      newPlaces,
      findings: findings.map((r) => ({ rule: r.rule, count: Number(r.count) })),
      recentlyAdded: recentlyAdded.map((r) => ({
        title: r.title,
        items: Number(r.items),
        mediaType: r.media_type,
        year: r.year,
        poster: r.poster?.[1] ? { serverId: r.poster[0], imageRef: r.poster[1] } : null,
      })),
    };
  }
}
