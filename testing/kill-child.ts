// Child process for the kill test: runs a StreamProcessor on Kafka until it is killed.
import { KafkaBus } from '../bus/kafka.ts';
import { createLogger } from '../core/logger.ts';
import { GeoIp } from '../core/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { DEFAULT_RULES, settingsFor } from '../pipeline/rules/settings.ts';

const [brokers, groupId, namesJson] = process.argv.slice(2);
const logger = createLogger('kill-child', 'silent');
const bus = new KafkaBus({ brokers: brokers!.split(','), logger, sessionTimeoutMs: 6000 });
const rules = settingsFor(DEFAULT_RULES, JSON.parse(process.env.RULES ?? '{}'));
const processor = new StreamProcessor({
  bus,
  geo: await GeoIp.open(),
  logger,
  rules,
  groupId,
  topicNames: JSON.parse(namesJson!),
  inactivityCheckMs: 0,
  checkpointIntervalMs: Number(process.env.CHECKPOINT_MS ?? 60_000),
});
await processor.start();
setInterval(() => process.stdout.write(`${processor.stats.events} ${processor.stats.checkpointsWritten}\n`), 20);
