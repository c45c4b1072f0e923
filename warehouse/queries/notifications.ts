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

/** A delivery of an event of streamwarden.events; PENDING while it is held (grouped, quiet hours). */
export interface EventDeliveryRecord extends Omit<DeliveryRecord, 'violationId' | 'status' | 'rule'> {
  eventId: string;
  eventType: string;
  serverId: string;
  occurredAt: number;
  status: 'SENT' | 'FAILED' | 'PENDING';
}

/** An event held for a channel, waiting to be sent. */
export interface PendingEvent {
  eventId: string;
  channelId: string;
  eventType: string;
  serverId: string;
  accountKey: string;
  summary: string;
  occurredAt: number;
  heldSince: number;
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

  async recordEvents(deliveries: EventDeliveryRecord[], at: number): Promise<void> {
    if (deliveries.length === 0) return;
    const updated = chTime(at);
    await this.w.client.insert({
      table: this.w.table('notification_deliveries'),
      values: deliveries.map((d) => ({
        violation_id: d.eventId,
        channel_id: d.channelId,
        channel_name: d.channelName,
        channel_type: d.channelType,
        event_type: d.eventType,
        server_id: d.serverId,
        occurred_at: chTime(d.occurredAt),
        status: d.status,
        attempts: d.attempts,
        last_error: d.error,
        rule: '',
        account_key: d.accountKey,
        summary: d.summary,
        updated_at: updated,
      })),
      format: 'JSONEachRow',
    });
  }

  /**
   * The server state (SERVER_UP, SERVER_DOWN, SERVER_AUTH_FAILED) last told or held for each
   * channel and server, as "channelId/serverId" -> type.
   */
  async lastServerStates(serverIds: string[]): Promise<Map<string, string>> {
    const list = await rows<{ channel_id: string; server_id: string; last_type: string }>(
      this.w,
      `SELECT channel_id, server_id, argMax(event_type, (occurred_at, updated_at)) AS last_type
       FROM ${this.w.table('notification_deliveries')} FINAL
       WHERE server_id IN {servers:Array(String)} AND event_type IN ('SERVER_UP', 'SERVER_DOWN', 'SERVER_AUTH_FAILED') AND status != 'FAILED'
       GROUP BY channel_id, server_id`,
      { servers: serverIds },
    );
    return new Map(list.map((r) => [`${r.channel_id}/${r.server_id}`, r.last_type]));
  }

  /** Every event held for a channel, oldest first. */
  async pendingEvents(): Promise<PendingEvent[]> {
    const list = await rows<{
      event_id: string;
      channel_id: string;
      event_type: string;
      server_id: string;
      account_key: string;
      summary: string;
      occurred_at: string;
      updated_at: string;
    }>(
      this.w,
      `SELECT violation_id AS event_id, channel_id, event_type, server_id, account_key, summary, occurred_at, updated_at
       FROM ${this.w.table('notification_deliveries')} FINAL WHERE status = 'PENDING' ORDER BY occurred_at LIMIT 10000`,
      {},
    );
    return list.map((r) => ({
      eventId: r.event_id,
      channelId: r.channel_id,
      eventType: r.event_type,
      serverId: r.server_id,
      accountKey: r.account_key,
      summary: r.summary,
      occurredAt: Date.parse(r.occurred_at),
      heldSince: Date.parse(r.updated_at),
    }));
  }

  /** The server's name as the dashboard shows it, or its id when it has none (or is gone). */
  async serverName(serverId: string): Promise<string> {
    const [row] = await rows<{ name: string }>(
      this.w,
      `SELECT any(name) AS name FROM ${this.w.table('servers')} FINAL WHERE server_id = {server:String} AND NOT deleted`,
      { server: serverId },
    );
    return row?.name || serverId;
  }

  /** The names accounts were last seen with, by account key (those never seen left out). */
  async accountNames(accountKeys: string[]): Promise<Map<string, string>> {
    if (accountKeys.length === 0) return new Map();
    const list = await rows<{ account_key: string; name: string }>(
      this.w,
      `SELECT account_key, anyLast(user_name) AS name FROM ${this.w.table('accounts')}
       WHERE has({accounts:Array(String)}, account_key) GROUP BY account_key`,
      { accounts: accountKeys },
    );
    return new Map(list.filter((r) => r.name).map((r) => [r.account_key, r.name]));
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
