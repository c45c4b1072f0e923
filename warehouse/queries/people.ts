// Accounts with their trust score and profile, and violations: listed, and their review status.
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export type ViolationStatus = 'OPEN' | 'ACKNOWLEDGED' | 'DISMISSED' | 'FALSE_ALARM';

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
              toString(a.first_seen_at) AS first_seen, toString(a.last_seen_at) AS last_seen,
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

  /** One account's devices, places, violations and trust history; null when unknown. */
  async profile(accountKey: string): Promise<UserProfile | null> {
    const w = this.w;
    const account = { account: accountKey };
    const [user] = await rows<Record<string, string>>(
      w,
      `SELECT account_key, anyLast(user_name) AS user_name, toString(min(first_seen_at)) AS first_seen, toString(max(last_seen_at)) AS last_seen FROM ${w.table('accounts')} WHERE account_key = {account:String} GROUP BY account_key`,
      account,
    );
    if (!user) return null;
    const [devices, locations, violations, trust] = await Promise.all([
      rows(
        w,
        `SELECT device_id AS deviceId, anyLast(device_name) AS deviceName, anyLast(platform) AS platform, anyLast(product) AS product, toUInt32(count()) AS plays, toString(max(started_at)) AS lastSeenAt
          FROM ${w.table('sessions')} FINAL WHERE account_key = {account:String} GROUP BY device_id ORDER BY max(started_at) DESC LIMIT 100`,
        account,
      ),
      rows(
        w,
        `SELECT client_ip AS ip, anyLast(country_code) AS countryCode, anyLast(city) AS city, anyLast(latitude) AS latitude, anyLast(longitude) AS longitude, toUInt32(count()) AS observations, toString(max(observed_at)) AS lastSeenAt
          FROM ${w.table('playback_events')} WHERE account_key = {account:String} GROUP BY client_ip ORDER BY max(observed_at) DESC LIMIT 200`,
        account,
      ),
      rows(
        w,
        `SELECT violation_id AS violationId, rule, severity, summary, status, toString(detected_at) AS detectedAt FROM ${w.table('violations')} FINAL WHERE account_key = {account:String} ORDER BY detected_at DESC LIMIT 200`,
        account,
      ),
      rows(
        w,
        `SELECT toString(changed_at) AS changedAt, previous_score AS previousScore, new_score AS newScore, reason, rule, note FROM ${w.table('trust_score_history')} FINAL WHERE account_key = {account:String} ORDER BY changed_at`,
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

  /** Newest violations first, optionally of one review status. */
  async violations(options: { status?: ViolationStatus; limit: number }): Promise<Array<Record<string, unknown>>> {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT violation_id, rule, severity, account_key, server_id, user_name, toString(detected_at) AS detected, summary, session_keys, trust_penalty, status, evidence_json
       FROM ${this.w.table('violations')} FINAL WHERE ({status:String} = '' OR status = {status:String}) ORDER BY detected_at DESC LIMIT {limit:UInt32}`,
      { status: options.status ?? '', limit: options.limit },
    );
    return list.map(({ evidence_json, detected, ...v }) => ({
      ...v,
      detectedAt: detected,
      evidence: JSON.parse(String(evidence_json)) as unknown,
    }));
  }

  /**
   * A violation as its review needs it: account, rule, status, and the points it took off the
   * trust score (its VIOLATION change's delta, 0 when none was recorded); null when unknown.
   */
  async violationForReview(
    id: string,
  ): Promise<{ accountKey: string; rule: string; status: string; pointsTaken: number } | null> {
    const w = this.w;
    const [row] = await rows<{ account_key: string; rule: string; status: string; taken: number | string }>(
      w,
      `SELECT v.account_key, v.rule, v.status,
              ifNull((SELECT -min(delta) FROM ${w.table('trust_score_history')} WHERE violation_id = {id:String} AND reason = 'VIOLATION'), 0) AS taken
       FROM ${w.table('violations')} AS v FINAL WHERE v.violation_id = {id:String}`,
      { id },
    );
    return row
      ? { accountKey: row.account_key, rule: row.rule, status: row.status, pointsTaken: Number(row.taken) }
      : null;
  }

  /** Per rule: violations raised, reviewed (no longer open) and marked false alarms. */
  async reviewCounts(): Promise<Record<string, { raised: number; reviewed: number; falseAlarms: number }>> {
    const list = await rows<{ rule: string; raised: string; reviewed: string; false_alarms: string }>(
      this.w,
      `SELECT rule, count() AS raised, countIf(status != 'OPEN') AS reviewed, countIf(status = 'FALSE_ALARM') AS false_alarms
       FROM ${this.w.table('violations')} FINAL GROUP BY rule ORDER BY rule`,
      {},
    );
    return Object.fromEntries(
      list.map((r) => [
        r.rule,
        { raised: Number(r.raised), reviewed: Number(r.reviewed), falseAlarms: Number(r.false_alarms) },
      ]),
    );
  }

  /** Sets a violation's review status; its status afterwards, or null when there is no such violation. */
  async setViolationStatus(id: string, status: ViolationStatus, note: string): Promise<string | null> {
    const w = this.w;
    // A new version of the row, later updated_at: the Replacing engine keeps it as the current one.
    await w.client.command({
      query: `INSERT INTO ${w.table('violations')} SELECT * REPLACE ({status:String} AS status, {note:String} AS status_note, now64(3) AS updated_at)
              FROM ${w.table('violations')} FINAL WHERE violation_id = {id:String}`,
      query_params: { id, status, note },
    });
    const [row] = await rows<{ status: string }>(
      w,
      `SELECT status FROM ${w.table('violations')} FINAL WHERE violation_id = {id:String}`,
      { id },
    );
    return row?.status ?? null;
  }
}
