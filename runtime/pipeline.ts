// Starts the stream processor role: detection rules over the playback events.
import type { GeoIp } from '../pipeline/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import type { RuleConfig } from '../pipeline/rules/rules-file.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startProcessor(platform: Platform, geo: GeoIp, { rules, accounts }: RuleConfig, logger: Logger): Promise<StreamProcessor> {
  const processor = new StreamProcessor({ bus: platform.bus, geo, logger, rules, overrides: (accountKey) => accounts[accountKey] });
  await processor.start();
  return processor;
}
