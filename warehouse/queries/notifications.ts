// The delivery ledger of alerts: one row per violation and channel (or rule action), so nothing
// is sent twice, also across restarts; and what the dashboard lists of it.
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';

export interface DeliveryRecord {
  violationId: string;
  channelId: string;
  channelName: string;
  channelType: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  error: string;
  rule: string;
  accountKey: string;
  summary: string;
}

export class NotificationQueries {
  constructor(private readonly w: Warehouse) {}

  /** "violationId/channelId" of every delivery recorded for these violations. */
  async delivered(violationIds: string[]): Promise<Set<string>> {
    const list = await rows<{ violation_id: string; channel_id: string }>(
      this.w,
      `SELECT violation_id, channel_id FROM ${this.w.table('notification_deliveries')} FINAL WHERE violation_id IN {ids:Array(String)}`,
      { ids: violationIds },
    );
    return new Set(list.map((r) => `${r.violation_id}/${r.channel_id}`));
  }

  async record(deliveries: DeliveryRecord[], at: number): Promise<void> {
    const updated = chTime(at);
    await this.w.client.insert({
      table: this.w.table('notification_deliveries'),
      values: deliveries.map((d) => ({
        violation_id: d.violationId,
        channel_id: d.channelId,
        channel_name: d.channelName,
        channel_type: d.channelType,
        status: d.status,
        attempts: d.attempts,
        last_error: d.error,
        rule: d.rule,
        account_key: d.accountKey,
        summary: d.summary,
        updated_at: updated,
      })),
      format: 'JSONEachRow',
    });
  }

  /** Titles of the plays of a server's sessions and the server's name, for an alert's text. */
  async alertContext(serverId: string, sessionKeys: string[]): Promise<{ titles?: string[]; serverName?: string }> {
    const w = this.w;
    const [row] = await rows<{ titles: string[]; server_name: string }>(
      w,
      `SELECT
         (SELECT groupArray(if(grandparent_title = '', title, concat(grandparent_title, ' · ', title))) FROM ${w.table('sessions')} FINAL WHERE server_id = {server:String} AND has({keys:Array(String)}, session_key)) AS titles,
         (SELECT any(name) FROM ${w.table('servers')} FINAL WHERE server_id = {server:String} AND NOT deleted) AS server_name`,
      { server: serverId, keys: sessionKeys },
    );
    return { titles: row?.titles, serverName: row?.server_name || undefined };
  }

  /** Newest deliveries first, optionally of one status. */
  async deliveries(options: { status?: 'SENT' | 'FAILED'; limit: number }): Promise<unknown[]> {
    return rows(
      this.w,
      `SELECT violation_id AS violationId, channel_id AS channelId, channel_name AS channelName, channel_type AS channelType, status, attempts, last_error AS error, rule, account_key AS accountKey, summary, updated_at AS at
       FROM ${this.w.table('notification_deliveries')} FINAL WHERE ({status:String} = '' OR status = {status:String})
       ORDER BY updated_at DESC LIMIT {limit:UInt32}`,
      { status: options.status ?? '', limit: options.limit },
    );
  }
}
