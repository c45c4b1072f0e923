// The audit log: every admin action and sign-in, written once and never changed, read newest
// first with filters and a cursor.
import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';

export interface AuditEntry {
  auditId: string;
  at: string;
  actor: string;
  actorRole: string;
  via: string;
  action: string;
  target: string;
  outcome: 'ok' | 'failed';
  statusCode: number;
  detail: string;
  clientIp: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'auditId' | 'at'> & { at: number };

export interface AuditFilter {
  from?: number;
  to?: number;
  actor?: string;
  /** An action, or an action family ending in "." (e.g. "auth."). */
  action?: string;
  outcome?: 'ok' | 'failed';
  /** Entries strictly older than this one (its `at` and `auditId`), for the next page. */
  before?: { at: string; auditId: string };
  limit: number;
}

interface StoredEntry {
  id: string;
  at_text: string;
  actor: string;
  actor_role: string;
  via: string;
  action: string;
  target: string;
  outcome: string;
  status_code: number;
  detail: string;
  client_ip: string;
}

export class AuditQueries {
  constructor(private readonly w: Warehouse) {}

  async record(entry: NewAuditEntry): Promise<void> {
    await this.w.client.insert({
      table: this.w.table('audit_log'),
      values: [
        {
          audit_id: randomUUID(),
          at: chTime(entry.at),
          actor: entry.actor,
          actor_role: entry.actorRole,
          via: entry.via,
          action: entry.action,
          target: entry.target,
          outcome: entry.outcome,
          status_code: entry.statusCode,
          detail: entry.detail,
          client_ip: entry.clientIp,
        },
      ],
      format: 'JSONEachRow',
    });
  }

  async list(f: AuditFilter): Promise<AuditEntry[]> {
    const conditions = [
      ...(f.from !== undefined ? ["at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')"] : []),
      ...(f.to !== undefined ? ["at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')"] : []),
      ...(f.actor ? ['actor = {actor:String}'] : []),
      ...(f.action?.endsWith('.')
        ? ['startsWith(action, {action:String})']
        : f.action
          ? ['action = {action:String}']
          : []),
      ...(f.outcome ? ['outcome = {outcome:String}'] : []),
      ...(f.before
        ? ["(at, audit_id) < (parseDateTime64BestEffort({before_at:String}, 3, 'UTC'), toUUID({before_id:String}))"]
        : []),
    ];
    const list = await rows<StoredEntry>(
      this.w,
      `SELECT toString(audit_id) AS id, at AS at_text, actor, actor_role, via, action, target, outcome,
              status_code, detail, client_ip
       FROM ${this.w.table('audit_log')}
       ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY at DESC, audit_id DESC LIMIT {limit:UInt32}`,
      Object.fromEntries(
        Object.entries({
          from: f.from,
          to: f.to,
          actor: f.actor,
          action: f.action,
          outcome: f.outcome,
          before_at: f.before?.at,
          before_id: f.before?.auditId,
          limit: f.limit,
        }).filter(([, v]) => v !== undefined),
      ),
    );
    return list.map((e) => ({
      auditId: e.id,
      at: e.at_text,
      actor: e.actor,
      actorRole: e.actor_role,
      via: e.via,
      action: e.action,
      target: e.target,
      outcome: e.outcome === 'failed' ? 'failed' : 'ok',
      statusCode: Number(e.status_code),
      detail: e.detail,
      clientIp: e.client_ip,
    }));
  }
}
