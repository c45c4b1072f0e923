// The shared infrastructure every role of Streamwarden runs on: the bus with its topics and the
// warehouse with its migrations applied. Embedded (one process, ./data) unless KAFKA_BROKERS and
// CLICKHOUSE_URL point elsewhere.
import { join } from 'node:path';
import { createBus, type Bus } from '../bus/index.ts';
import { useSchemaRegistry } from '../schemas/registry.ts';
import { allTopics } from '../schemas/topics.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { applyRawEventRetention } from '../warehouse/retention.ts';
import type { Config } from './config.ts';
import { preparePrivateDataDir } from './data-dir.ts';
import type { Logger } from '../core/logger.ts';

export interface Platform {
  bus: Bus;
  warehouse: Warehouse;
  close(): Promise<void>;
}

export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  preparePrivateDataDir(config.dataDir, logger);
  const warehouse = await openWarehouse(
    { ...config.clickhouse, embeddedPath: join(config.dataDir, 'clickhouse') },
    logger,
  );
  let bus: Bus | undefined;
  try {
    await migrate(warehouse, logger);
    await applyRawEventRetention(warehouse, config.rawEventsTtlDays, logger);
    bus = createBus(
      {
        kafkaBrokers: config.kafka.brokers,
        kafkaClientId: config.kafka.clientId,
        dataDir: config.dataDir,
        partitions: config.kafka.partitions,
        kafkaTopicPrefix: config.kafka.topicPrefix,
        kafkaSessionTimeoutMs: config.kafka.sessionTimeoutMs,
      },
      logger,
    );
    await bus.ensureTopics(allTopics.map((t) => ({ name: t.name, cleanupPolicy: t.cleanupPolicy })));
    // With a registry, records are framed with its ids: nothing is produced before it answers.
    if (config.schemaRegistryUrl)
      await useSchemaRegistry(config.schemaRegistryUrl, logger, { topicPrefix: config.kafka.topicPrefix });
  } catch (err) {
    // The start-up error is the one to report; closing is best effort.
    await bus?.close().catch(() => undefined);
    await warehouse.close().catch(() => undefined);
    throw err;
  }
  const openBus = bus;
  return {
    bus: openBus,
    warehouse,
    close: async () => {
      await openBus.close();
      await warehouse.close();
    },
  };
}
