// Starts the warehouse sink role: bus topics into ClickHouse, client addresses geolocated.
import { GeoIp } from '../pipeline/geoip.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startSink(config: Config, platform: Platform, logger: Logger): Promise<WarehouseSink> {
  const geo = await GeoIp.open({ databasePath: config.geoipDatabase });
  logger.info({ geoip: geo.source }, 'geolocation database loaded');
  const sink = new WarehouseSink({ bus: platform.bus, warehouse: platform.warehouse, logger, geolocate: (ip) => geo.lookup(ip) });
  await sink.start();
  return sink;
}
