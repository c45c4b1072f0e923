// Starts the warehouse sink role: bus topics into ClickHouse, client addresses geolocated.
import type { GeoIp } from '../core/geoip.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export async function startSink(platform: Platform, geo: GeoIp, logger: Logger): Promise<WarehouseSink> {
  const sink = new WarehouseSink({
    bus: platform.bus,
    warehouse: platform.warehouse,
    logger,
    geolocate: (ip) => geo.lookup(ip),
  });
  await sink.start();
  return sink;
}
