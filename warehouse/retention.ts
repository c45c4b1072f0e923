// Optional retention of raw playback events. Sessions and rollups are kept for good: they are
// what long-range analytics read, and they are a small fraction of the raw volume.
import type { Logger } from '../core/logger.ts';
import type { Warehouse } from './client.ts';

/** Keeps raw events `days` days (or for ever when undefined); applied on every start. */
export async function applyRawEventRetention(
  warehouse: Warehouse,
  days: number | undefined,
  logger: Logger,
): Promise<void> {
  const table = warehouse.table('playback_events');
  if (days === undefined) {
    const result = await warehouse.client.query({
      query: `SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = 'playback_events'`,
      query_params: { db: warehouse.database },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ create_table_query: string }>();
    if (row && / TTL /.test(row.create_table_query))
      await warehouse.client.command({ query: `ALTER TABLE ${table} REMOVE TTL` });
    return;
  }
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`raw event retention must be a whole number of days, got ${days}`);
  // The interval is a validated integer: DDL takes no query parameters here.
  await warehouse.client.command({
    query: `ALTER TABLE ${table} MODIFY TTL toDateTime(observed_at) + INTERVAL ${days} DAY`,
  });
  logger.info({ days }, 'raw playback events are kept for a limited time');
}
