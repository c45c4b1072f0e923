// Starts the warehouse sink role: bus topics into ClickHouse. Events come placed by their
// producers; the database only places records written before they were.
import type { GeoIp } from '../core/geoip.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export async function startSink(platform: Platform, geo: GeoIp, logger: Logger): Promise<WarehouseSink> {
  const sink = new WarehouseSink({
    bus: platform.bus,
    warehouse: platform.warehouse,
    logger,
    olderRecords: geo,
  });
  await sink.start();
  return sink;
}
