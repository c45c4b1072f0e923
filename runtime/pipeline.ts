// Starts the stream processor role: detection rules over the playback events.
import type { GeoIp } from '../pipeline/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { loadRuleConfig } from '../pipeline/rules/rules-file.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startProcessor(config: Config, platform: Platform, geo: GeoIp, logger: Logger): Promise<StreamProcessor> {
  const { rules, accounts } = loadRuleConfig(config.rulesFile);
  const processor = new StreamProcessor({ bus: platform.bus, geo, logger, rules, overrides: (accountKey) => accounts[accountKey] });
  await processor.start();
  return processor;
}
