import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { waitFor } from './bus-contract.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import type { History } from './history.ts';
import { openTestWarehouse } from './warehouse.ts';

/** Migrates the warehouse and stores a generated history through the real sink. */
export async function loadHistory(
  warehouse: Warehouse,
  history: History,
): Promise<{ sink: WarehouseSink; close(): Promise<void> }> {
  const logger = createLogger('test');
  await migrate(warehouse, logger);
  const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-history-')), logger, defaultPartitions: 4 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  const producer = await bus.producer();
  for (let i = 0; i < history.events.length; i += 2000)
    await publish(producer, topics.playbackEvents, history.events.slice(i, i + 2000));
  await publish(producer, topics.serverMetrics, history.metrics);
  const sink = new WarehouseSink({
    bus,
    warehouse,
    logger,
    maxDelayMs: 100,
    maxRows: 5000,
  });
  await sink.start();
  await waitFor(
    () =>
      (sink.stats.rows.playback_events ?? 0) === history.events.length &&
      (sink.stats.rows.server_metrics ?? 0) === history.metrics.length,
    'the sink to store the history',
    60_000,
  );
  return {
    sink,
    close: async () => {
      await sink.stop();
      await bus.close();
    },
  };
}

export type TestWarehouse = Awaited<ReturnType<typeof openTestWarehouse>>;

/**
 * A test file's warehouse holding `history`: opened and loaded before the file's tests, handed to
 * `opened`, and dropped after them.
 */
export function warehouseWithHistory(history: History, opened: (warehouse: TestWarehouse) => void): void {
  let warehouse: TestWarehouse | undefined;
  let loaded: Awaited<ReturnType<typeof loadHistory>> | undefined;
  beforeAll(async () => {
    warehouse = await openTestWarehouse();
    opened(warehouse);
    loaded = await loadHistory(warehouse, history);
  }, 120_000);
  afterAll(async () => {
    await loaded?.close();
    await warehouse?.drop();
  });
}
