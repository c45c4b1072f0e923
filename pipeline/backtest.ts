// Rule backtest: runs the detection rules, with the parameters given, over a stored time range of
// playback history and reports what they would have flagged. Nothing is published or stored. The
// places come from the warehouse rows (geolocated when they were stored), so a backtest with the
// live parameters finds what the live processor found.
import type { PlaybackEvent, RuleId, Violation } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { HistoryQueries, type DetectionEventRow } from '../warehouse/queries/history.ts';
import { checkRange } from '../warehouse/queries/filters.ts';
import type { AccountState } from './account-state.ts';
import { Detector } from './detector.ts';
import type { GeoLocation } from '../core/geoip.ts';
import type { NetworkLookup } from '../core/networks.ts';
import { settingsFor, type RuleOverrides, type RuleSettings } from './rules/settings.ts';

export interface BacktestRequest {
  from: number;
  to: number;
  rules: RuleSettings;
  overrides?: Record<string, RuleOverrides>;
  serverIds?: string[];
  /** Most violations listed in the report (all are counted). */
  limit?: number;
}

export interface BacktestReport {
  from: number;
  to: number;
  events: number;
  accounts: number;
  byRule: Partial<Record<RuleId, number>>;
  /** Every violation found, whether listed or not. */
  violationCount: number;
  /** The first `limit` violations, in time order; `truncated` when there were more. */
  violations: Violation[];
  truncated: boolean;
  /** Accounts whose trust score would have ended below 100, lowest first. */
  trust: Array<{ accountKey: string; userName: string; score: number }>;
}

type Row = DetectionEventRow;

const PAGE = 50_000;

function toEvent(r: Row): { event: PlaybackEvent; geo: GeoLocation | null } {
  const observedAt = Number(r.observed_ms);
  const event = {
    eventId: r.event_id,
    eventType: r.event_type,
    observedAt,
    serverId: r.server_id,
    serverType: r.server_type,
    accountKey: r.account_key,
    userId: r.user_id,
    userName: r.user_name,
    sessionKey: r.session_key,
    device: {
      deviceId: r.device_id,
      deviceName: r.device_name,
      player: '',
      product: '',
      platform: '',
      productVersion: null,
    },
    clientIp: r.client_ip,
    networkLocation: r.network_location,
  } as PlaybackEvent;
  const geo = r.country_code
    ? {
        countryCode: r.country_code,
        region: r.region || null,
        city: r.city || null,
        latitude: r.latitude,
        longitude: r.longitude,
        accuracyRadiusKm: null,
      }
    : null;
  return { event, geo };
}

/** `networks` tells hosting and mobile networks from home ones, as the live processor does. */
export async function backtest(
  warehouse: Warehouse,
  request: BacktestRequest,
  networks?: NetworkLookup,
): Promise<BacktestReport> {
  checkRange(request.from, request.to);
  const detectors = new Map<string, Detector>();
  const base = new Detector(request.rules, networks);
  const detector = (account: string) => {
    const overrides = request.overrides?.[account];
    if (!overrides) return base;
    let d = detectors.get(account);
    if (!d) detectors.set(account, (d = new Detector(settingsFor(request.rules, overrides), networks)));
    return d;
  };
  const states = new Map<string, AccountState>();
  const report: BacktestReport = {
    from: request.from,
    to: request.to,
    events: 0,
    accounts: 0,
    byRule: {},
    violationCount: 0,
    violations: [],
    truncated: false,
    trust: [],
  };
  const limit = request.limit ?? 1000;
  const record = (violations: Violation[]) => {
    for (const v of violations) {
      report.byRule[v.rule] = (report.byRule[v.rule] ?? 0) + 1;
      report.violationCount++;
      if (report.violations.length < limit) report.violations.push(v);
      else report.truncated = true;
    }
  };

  // Keyset paging in time order keeps every account's events in order without holding them all.
  const history = new HistoryQueries(warehouse);
  let after: [string, string] = ['0', ''];
  for (;;) {
    const rows = await history.detectionEvents(
      { from: request.from, to: request.to, serverIds: request.serverIds ?? [] },
      after,
      PAGE,
    );
    const stops = await history.playStops(
      rows
        .filter((r) => r.event_type !== 'STOPPED')
        .map((r) => ({ serverId: r.server_id, sessionKey: r.session_key, startedAt: Number(r.play_started_ms) })),
    );
    for (const row of rows) {
      const { event, geo } = toEvent(row);
      let state = states.get(event.accountKey);
      if (!state) states.set(event.accountKey, (state = Detector.stateFor(event)));
      const endsAt = stops.get(`${row.server_id}\u0000${row.session_key}\u0000${row.play_started_ms}`);
      record(detector(event.accountKey).observe(state, event, geo, endsAt).violations);
    }
    report.events += rows.length;
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = [last.observed_ms, last.event_id];
  }
  for (const state of states.values()) record(detector(state.accountKey).checkInactivity(state, request.to).violations);
  report.accounts = states.size;
  report.trust = [...states.values()]
    .filter((s) => s.trust.score < 100)
    .map((s) => ({ accountKey: s.accountKey, userName: s.userName, score: s.trust.score }))
    .sort((a, b) => a.score - b.score || (a.accountKey < b.accountKey ? -1 : 1));
  return report;
}
