// Filters every analytic takes, turned into parameterised WHERE clauses (values never enter the
// SQL text). Time ranges are inclusive of `from`, exclusive of `to`, in ms since the epoch.
import { AppError } from '../../core/errors.ts';
import { checkTimeZone } from '../../core/time-zone.ts';
import type { Warehouse } from '../client.ts';

export interface Filters {
  from: number;
  to: number;
  /** Only these servers (all when empty or absent). */
  serverIds?: string[];
  /** Only these accounts (server_id:user_id), where the table has accounts. */
  accountKeys?: string[];
  /** IANA zone whose calendar days the results are grouped by (UTC when absent). */
  timeZone?: string;
}

export type Params = Record<string, unknown>;

/** The one check of a time range, for every caller: the API, the queries and backtests. */
export function checkRange(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from)
    throw new AppError('invalid', '"from" must be before "to"');
}

export function filterParams(f: Filters): Params {
  checkRange(f.from, f.to);
  const accounts = f.accountKeys ?? [];
  // An account key starts with its server's id: filtering on it too lets ClickHouse use the sort keys.
  const accountServers = [...new Set(accounts.map((a) => a.slice(0, Math.max(0, a.indexOf(':')))))];
  return {
    from: Math.floor(f.from),
    to: Math.floor(f.to),
    last: Math.floor(f.to) - 1,
    servers: f.serverIds ?? [],
    accounts,
    account_servers: accountServers,
    tz: checkTimeZone(f.timeZone ?? 'UTC'),
  };
}

/**
 * Conditions on a rollup's time column (15-minute, hour or minute buckets, or exact times) plus the server and account
 * filters that are set: only those, as IN lists, so ClickHouse can use the tables' sort keys.
 */
export function where(
  timeColumn: string,
  bucket: '15m' | 'hour' | 'minute' | 'time',
  f: Filters,
  opts: { accounts?: boolean } = {},
): string {
  const bound = (param: string) => {
    const t = `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;
    if (bucket === '15m') return `toStartOfFifteenMinutes(${t})`;
    if (bucket === 'hour') return `toStartOfHour(${t})`;
    if (bucket === 'minute') return `toStartOfMinute(${t})`;
    return t;
  };
  // A bucket overlaps the range when it holds its last millisecond or an earlier one.
  const upper = bucket === 'time' ? `${timeColumn} < ${bound('to')}` : `${timeColumn} <= ${bound('last')}`;
  const clauses = [`${timeColumn} >= ${bound('from')}`, upper];
  if (f.serverIds?.length) clauses.push('server_id IN {servers:Array(String)}');
  if (opts.accounts && f.accountKeys?.length)
    clauses.push('server_id IN {account_servers:Array(String)}', 'account_key IN {accounts:Array(String)}');
  return clauses.join(' AND ');
}

const PERIOD_MS = 15 * 60_000;
const monthStart = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), 1);
const nextMonth = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() + 1, 1);

/**
 * The 15-minute periods a range touches (as where(…, '15m') takes them: from the period holding
 * `from` to the one holding its last millisecond), split into the whole calendar months (UTC)
 * among them and the periods before and after those: [from, monthsFrom), [monthsFrom, monthsTo),
 * [monthsTo, to). With no whole month among them, monthsFrom = monthsTo = to.
 */
export function monthSplit(f: Pick<Filters, 'from' | 'to'>): {
  from: number;
  monthsFrom: number;
  monthsTo: number;
  to: number;
} {
  checkRange(f.from, f.to);
  const from = Math.floor(Math.floor(f.from) / PERIOD_MS) * PERIOD_MS;
  const to = Math.floor((Math.floor(f.to) - 1) / PERIOD_MS) * PERIOD_MS + PERIOD_MS;
  const monthsFrom = monthStart(from) === from ? from : nextMonth(from);
  const monthsTo = monthStart(to);
  return monthsFrom < monthsTo ? { from, monthsFrom, monthsTo, to } : { from, monthsFrom: to, monthsTo: to, to };
}

/**
 * A 15-minute rollup's rows over the filters' range and servers (and accounts, for rollups that
 * have them), as a subquery of `columns`: the
 * whole months among them from its monthly companion (the same rows summed by month), the rest
 * from the rollup itself. The same sums, from far fewer rows over a long range.
 */
export function byMonths(
  columns: string,
  fine: string,
  monthly: string,
  f: Filters,
  opts: { accounts?: boolean } = {},
): { sql: string; params: Params } {
  const split = monthSplit(f);
  let servers = f.serverIds?.length ? ' AND server_id IN {servers:Array(String)}' : '';
  if (opts.accounts && f.accountKeys?.length)
    servers += ' AND server_id IN {account_servers:Array(String)} AND account_key IN {accounts:Array(String)}';
  const between = (from: string, to: string) =>
    `(period_start >= fromUnixTimestamp64Milli({${from}:Int64}, 'UTC') AND period_start < fromUnixTimestamp64Milli({${to}:Int64}, 'UTC'))`;
  return {
    sql: `SELECT ${columns} FROM ${monthly} WHERE ${between('m_from', 'm_to')}${servers}
      UNION ALL
      SELECT ${columns} FROM ${fine} WHERE (${between('p_from', 'm_from')} OR ${between('m_to', 'p_to')})${servers}`,
    params: {
      ...filterParams(f),
      p_from: split.from,
      m_from: split.monthsFrom,
      m_to: split.monthsTo,
      p_to: split.to,
    },
  };
}

export async function rows<T>(warehouse: Warehouse, query: string, params: Params): Promise<T[]> {
  const result = await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
