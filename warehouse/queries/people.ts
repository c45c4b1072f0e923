// Accounts with their trust score and profile (violations and their review: violations.ts).
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface UserListEntry {
  accountKey: string;
  serverId: string;
  userId: string;
  userName: string;
  firstSeenAt: string;
  lastSeenAt: string;
  trustScore: number;
  openViolations: number;
}

export interface UserProfile {
  accountKey: string;
  userName: string;
  firstSeenAt: string;
  lastSeenAt: string;
  trustScore: number;
  devices: unknown[];
  locations: unknown[];
  violations: unknown[];
  trustHistory: unknown[];
}

export class PeopleQueries {
  constructor(private readonly w: Warehouse) {}

  /** Every account, lowest trust first. */
  async users(): Promise<UserListEntry[]> {
    const w = this.w;
    const list = await rows<Record<string, string | number | null>>(
      w,
      `SELECT a.account_key AS account_key, a.server_id AS server_id, a.user_id AS user_id, a.user_name AS user_name,
              a.first_seen_at AS first_seen, a.last_seen_at AS last_seen,
              ifNull(t.score, 100) AS trust_score, ifNull(v.open, 0) AS open_violations
       FROM (SELECT account_key, any(server_id) AS server_id, any(user_id) AS user_id, anyLast(user_name) AS user_name, min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at
             FROM ${w.table('accounts')} GROUP BY account_key) AS a
       LEFT JOIN (SELECT account_key, argMax(new_score, changed_at) AS score FROM ${w.table('trust_score_history')} GROUP BY account_key) AS t ON t.account_key = a.account_key
       LEFT JOIN (SELECT account_key, countIf(status = 'OPEN') AS open FROM ${w.table('violations')} FINAL GROUP BY account_key) AS v ON v.account_key = a.account_key
       ORDER BY trust_score, a.account_key
       SETTINGS join_use_nulls = 1`,
      {},
    );
    return list.map((r) => ({
      accountKey: String(r.account_key),
      serverId: String(r.server_id),
      userId: String(r.user_id),
      userName: String(r.user_name),
      firstSeenAt: String(r.first_seen),
      lastSeenAt: String(r.last_seen),
      trustScore: Number(r.trust_score),
      openViolations: Number(r.open_violations),
    }));
  }

  /** Whether the account has been seen playing (one row read, not a profile). */
  async exists(accountKey: string): Promise<boolean> {
    const [row] = await rows<{ n: string }>(
      this.w,
      `SELECT count() AS n FROM (SELECT 1 FROM ${this.w.table('accounts')} WHERE account_key = {account:String} LIMIT 1)`,
      { account: accountKey },
    );
    return Number(row?.n) > 0;
  }

  /** One account's devices, places, violations and trust history; null when unknown. */
  async profile(accountKey: string): Promise<UserProfile | null> {
    const w = this.w;
    const account = { account: accountKey };
    const [user] = await rows<Record<string, string>>(
      w,
      `SELECT account_key, anyLast(user_name) AS user_name, min(first_seen_at) AS first_seen, max(last_seen_at) AS last_seen FROM ${w.table('accounts')} WHERE account_key = {account:String} GROUP BY account_key`,
      account,
    );
    if (!user) return null;
    const [devices, locations, violations, trust] = await Promise.all([
      rows(
        w,
        `SELECT device_id AS deviceId, anyLast(device_name) AS deviceName, anyLast(platform) AS platform, anyLast(product) AS product, toUInt32(count()) AS plays, max(started_at) AS lastSeenAt
          FROM ${w.table('sessions_by_account')} FINAL WHERE account_key = {account:String} GROUP BY device_id ORDER BY max(started_at) DESC LIMIT 100`,
        account,
      ),
      rows(
        w,
        `SELECT client_ip AS ip, anyLast(country_code) AS countryCode, anyLast(city) AS city, anyLast(latitude) AS latitude, anyLast(longitude) AS longitude, toUInt32(count()) AS observations, max(observed_at) AS lastSeenAt
          FROM ${w.table('playback_events')} WHERE account_key = {account:String} GROUP BY client_ip ORDER BY max(observed_at) DESC LIMIT 200`,
        account,
      ),
      rows(
        w,
        `SELECT violation_id AS violationId, rule, severity, summary, status, detected_at AS detectedAt FROM ${w.table('violations')} FINAL WHERE account_key = {account:String} ORDER BY detected_at DESC LIMIT 200`,
        account,
      ),
      rows(
        w,
        `SELECT changed_at AS changedAt, previous_score AS previousScore, new_score AS newScore, reason, rule, note FROM ${w.table('trust_score_history')} FINAL WHERE account_key = {account:String} ORDER BY changed_at`,
        account,
      ),
    ]);
    const history = trust as Array<{ newScore: number }>;
    return {
      accountKey: user.account_key!,
      userName: user.user_name!,
      firstSeenAt: user.first_seen!,
      lastSeenAt: user.last_seen!,
      trustScore: history.at(-1)?.newScore ?? 100,
      devices,
      locations,
      violations,
      trustHistory: trust,
    };
  }
}
