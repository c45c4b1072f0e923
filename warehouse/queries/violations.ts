// Violations: listed with filters, and their review (acknowledged, dismissed, false alarm,
// reopened), one at a time or in bulk, with per-rule review counts.
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export type ViolationStatus = 'OPEN' | 'ACKNOWLEDGED' | 'DISMISSED' | 'FALSE_ALARM';

/** What a list or a bulk action covers; every field optional. */
export interface ViolationFilter {
  status?: ViolationStatus;
  rule?: string;
  severity?: string;
  serverId?: string;
  /** Findings over this person's accounts together (pipeline/person-stage.ts). */
  personId?: string;
  /** Detected within [from, to), ms since the epoch. */
  from?: number;
  to?: number;
}

export interface ViolationForReview {
  violationId: string;
  accountKey: string;
  rule: string;
  status: string;
  /** Points it took off the trust score (its VIOLATION change's delta; 0 when none was recorded). */
  pointsTaken: number;
}

const filterSql = `({status:String} = '' OR status = {status:String})
  AND ({rule:String} = '' OR rule = {rule:String})
  AND ({severity:String} = '' OR severity = {severity:String})
  AND ({server:String} = '' OR server_id = {server:String})
  AND ({person:String} = '' OR person_id = {person:String})
  AND detected_at >= fromUnixTimestamp64Milli({from:Int64})
  AND ({to:Int64} = 0 OR detected_at < fromUnixTimestamp64Milli({to:Int64}))`;

const filterParams = (f: ViolationFilter) => ({
  status: f.status ?? '',
  rule: f.rule ?? '',
  severity: f.severity ?? '',
  server: f.serverId ?? '',
  person: f.personId ?? '',
  from: f.from ?? 0,
  to: f.to ?? 0,
});

export class ViolationQueries {
  constructor(private readonly w: Warehouse) {}

  /**
   * Newest first (ties by id), with the filter; `before` (a row's detectedAt and violation_id)
   * starts after that row, for reading every page of a long list.
   */
  async list(
    filter: ViolationFilter,
    limit: number,
    before?: { detectedAt: string; violationId: string },
  ): Promise<Array<Record<string, unknown>>> {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT violation_id, rule, severity, account_key, server_id, user_name, person_id, detected_at AS detected, summary, session_keys, trust_penalty, status, evidence_json
       FROM ${this.w.table('violations')} FINAL WHERE ${filterSql}
         ${before ? 'AND (detected_at < parseDateTime64BestEffort({before_at:String}, 3) OR (detected_at = parseDateTime64BestEffort({before_at:String}, 3) AND violation_id > {before_id:String}))' : ''}
       ORDER BY detected_at DESC, violation_id LIMIT {limit:UInt32}`,
      {
        ...filterParams(filter),
        limit,
        ...(before ? { before_at: before.detectedAt, before_id: before.violationId } : {}),
      },
    );
    return list.map(({ evidence_json, detected, ...v }) => ({
      ...v,
      detectedAt: detected,
      evidence: JSON.parse(String(evidence_json)) as unknown,
    }));
  }

  /** The ids the filter covers, newest first, at most `limit` (a bulk action's reach). */
  async ids(filter: ViolationFilter, limit: number): Promise<string[]> {
    const list = await rows<{ violation_id: string }>(
      this.w,
      `SELECT violation_id FROM ${this.w.table('violations')} FINAL WHERE ${filterSql} ORDER BY detected_at DESC LIMIT {limit:UInt32}`,
      { ...filterParams(filter), limit },
    );
    return list.map((r) => r.violation_id);
  }

  /** Which of these ids are stored already. */
  async stored(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const list = await rows<{ violation_id: string }>(
      this.w,
      `SELECT DISTINCT violation_id FROM ${this.w.table('violations')} WHERE violation_id IN {ids:Array(String)}`,
      { ids: [...ids] },
    );
    return new Set(list.map((r) => r.violation_id));
  }

  /** The violations as their review needs them (unknown ids are left out). */
  async forReview(ids: readonly string[]): Promise<ViolationForReview[]> {
    if (ids.length === 0) return [];
    const w = this.w;
    const list = await rows<{ violation_id: string; account_key: string; rule: string; status: string; taken: string }>(
      w,
      `SELECT v.violation_id, v.account_key, v.rule, v.status, ifNull(t.taken, 0) AS taken
       FROM (SELECT violation_id, account_key, rule, status FROM ${w.table('violations')} FINAL WHERE violation_id IN {ids:Array(String)}) AS v
       LEFT JOIN (SELECT violation_id, -min(delta) AS taken FROM ${w.table('trust_score_history')}
                  WHERE violation_id IN {ids:Array(String)} AND reason = 'VIOLATION' GROUP BY violation_id) AS t
       ON t.violation_id = v.violation_id`,
      { ids },
    );
    return list.map((r) => ({
      violationId: r.violation_id,
      accountKey: r.account_key,
      rule: r.rule,
      status: r.status,
      pointsTaken: Number(r.taken),
    }));
  }

  /** Sets the review status of these violations (a new version of each row; the engine keeps the latest). */
  async setStatus(ids: readonly string[], status: ViolationStatus, note: string): Promise<void> {
    if (ids.length === 0) return;
    const w = this.w;
    await w.client.command({
      query: `INSERT INTO ${w.table('violations')} SELECT * REPLACE ({status:String} AS status, {note:String} AS status_note, now64(3) AS updated_at)
              FROM ${w.table('violations')} FINAL WHERE violation_id IN {ids:Array(String)}`,
      query_params: { ids, status, note },
    });
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
}
