// Starts the warehouse sink role: bus topics into ClickHouse.
import { WarehouseSink } from '../warehouse/sink.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startSink(platform: Platform, logger: Logger): Promise<WarehouseSink> {
  const sink = new WarehouseSink({ bus: platform.bus, warehouse: platform.warehouse, logger });
  await sink.start();
  return sink;
}
