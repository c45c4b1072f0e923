// The ledger of automation firings (one per rule and play, across restarts), and the counters
// automation conditions read: what an account watched today.
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';
import { ACTIVE_WITHIN_MS } from './sessions.ts';

export interface Firing {
  ruleId: string;
  target: string;
  ruleName: string;
  eventId: string;
  eventType: string;
  serverId: string;
  accountKey: string;
  status: 'FIRED' | 'DRY_RUN' | 'FAILED';
  actions: string;
  detail: string;
  occurredAt: number;
}

/** A stored play, as an automation backtest replays it. */
export interface HistoryPlay {
  server_id: string;
  session_key: string;
  account_key: string;
  user_name: string;
  started_at: string;
  stopped_at: string | null;
  played_ms: string;
  title: string;
  grandparent_title: string;
  media_type: string;
  library_id: string;
  device_id: string;
  device_name: string;
  player: string;
  product: string;
  platform: string;
  client_ip: string;
  network_location: string;
  country_code: string;
  city: string;
  video_decision: string;
  is_transcode: boolean;
  transcode_reasons: string[];
  bitrate_kbps: number | null;
  bandwidth_kbps: number | null;
  source_video_resolution: string;
  stream_video_resolution: string;
  source_video_codec: string;
  stream_video_codec: string;
}

export class AutomationQueries {
  constructor(private readonly w: Warehouse) {}

  /** "ruleId/target" of the firings recorded for these targets. */
  async fired(targets: string[]): Promise<Set<string>> {
    if (targets.length === 0) return new Set();
    const list = await rows<{ rule_id: string; target: string }>(
      this.w,
      `SELECT rule_id, target FROM ${this.w.table('automation_firings')} FINAL WHERE target IN {targets:Array(String)}`,
      { targets },
    );
    return new Set(list.map((r) => `${r.rule_id}/${r.target}`));
  }

  async record(firings: Firing[], at: number): Promise<void> {
    if (firings.length === 0) return;
    await this.w.client.insert({
      table: this.w.table('automation_firings'),
      values: firings.map((f) => ({
        rule_id: f.ruleId,
        target: f.target,
        rule_name: f.ruleName,
        event_id: f.eventId,
        event_type: f.eventType,
        server_id: f.serverId,
        account_key: f.accountKey,
        status: f.status,
        actions: f.actions,
        detail: f.detail,
        occurred_at: chTime(f.occurredAt),
        fired_at: chTime(at),
      })),
      format: 'JSONEachRow',
    });
  }

  /** Newest firings first. */
  async list(limit: number): Promise<Array<Omit<Firing, 'occurredAt'> & { occurredAt: string; firedAt: string }>> {
    return rows(
      this.w,
      `SELECT rule_id AS ruleId, target, rule_name AS ruleName, event_id AS eventId, event_type AS eventType,
              server_id AS serverId, account_key AS accountKey, status, actions, detail,
              occurred_at AS occurredAt, fired_at AS firedAt
       FROM ${this.w.table('automation_firings')} FINAL ORDER BY fired_at DESC LIMIT {limit:UInt32}`,
      { limit },
    );
  }

  /** The plays started in [from, to), oldest first, at most `limit` (one more tells there were more). */
  async historyPlays(from: number, to: number, limit: number): Promise<HistoryPlay[]> {
    return rows<HistoryPlay>(
      this.w,
      `SELECT server_id, session_key, account_key, user_name, started_at, stopped_at, played_ms, title, grandparent_title,
              media_type, library_id, device_id, device_name, player, product, platform, client_ip, network_location,
              country_code, city, video_decision, is_transcode, transcode_reasons, bitrate_kbps, bandwidth_kbps,
              source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec
       FROM ${this.w.table('sessions')} FINAL
       WHERE started_at >= fromUnixTimestamp64Milli({from:Int64}) AND started_at < fromUnixTimestamp64Milli({to:Int64})
       ORDER BY started_at, server_id, session_key LIMIT {limit:UInt32}`,
      { from, to, limit: limit + 1 },
    );
  }

  /** server:session of the accounts' plays going on at `now` that had begun by `at`. */
  async activeStreams(accountKeys: string[], at: number, now: number): Promise<string[]> {
    if (accountKeys.length === 0) return [];
    const list = await rows<{ stream: string }>(
      this.w,
      `SELECT concat(server_id, ':', session_key) AS stream FROM ${this.w.table('sessions_by_account')} FINAL
       WHERE account_key IN {accounts:Array(String)} AND isNull(stopped_at)
         AND last_seen_at >= fromUnixTimestamp64Milli({since:Int64}) AND started_at <= fromUnixTimestamp64Milli({at:Int64})`,
      { accounts: accountKeys, since: now - ACTIVE_WITHIN_MS, at },
    );
    return list.map((r) => r.stream);
  }

  /** Minutes played and plays started by the accounts from `from` up to `before`, this play left out. */
  async watched(
    accountKeys: string[],
    from: number,
    before: number,
    play: { serverId: string; sessionKey: string },
  ): Promise<{ minutes: number; plays: number }> {
    const [row] = await rows<{ ms: string; plays: string }>(
      this.w,
      `SELECT sum(played_ms) AS ms, count() AS plays FROM ${this.w.table('sessions_by_account')} FINAL
       WHERE account_key IN {accounts:Array(String)} AND (server_id, session_key) != ({server:String}, {session:String})
         AND started_at >= fromUnixTimestamp64Milli({from:Int64}) AND started_at < fromUnixTimestamp64Milli({before:Int64})`,
      { accounts: accountKeys, server: play.serverId, session: play.sessionKey, from, before },
    );
    return { minutes: Number(row?.ms ?? 0) / 60_000, plays: Number(row?.plays ?? 0) };
  }
}
