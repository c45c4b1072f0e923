import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { KafkaBus } from '../bus/kafka.ts';
import type { Bus } from '../bus/types.ts';
import { topics } from '../schemas/topics.ts';
import { createLogger } from '../core/logger.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { rate, type Figure } from './report.ts';

/** Produces `count` encoded playback events over 500 accounts and consumes them back in one group. */
async function throughput(bus: Bus, label: string, count: number): Promise<Figure[]> {
  const topic = `bench-${Date.now()}`;
  await bus.ensureTopics([{ name: topic, partitions: 6 }]);
  const records = Array.from({ length: 5000 }, (_, i) => {
    const event = samplePlaybackEvent({ accountKey: `plex:${i % 500}`, sessionKey: `s${i}` });
    return { key: event.accountKey, value: topics.playbackEvents.codec.encode(event) };
  });
  const producer = await bus.producer();
  let start = performance.now();
  for (let sent = 0; sent < count; sent += 1000) {
    const from = sent % records.length;
    await producer.send(topic, records.slice(from, from + 1000));
  }
  const produceMs = performance.now() - start;

  let received = 0;
  start = performance.now();
  const consumer = await bus.consume({
    groupId: `bench-${Date.now()}`,
    topics: [topic],
    handleBatch: async (batch) => {
      for (const r of batch.records) topics.playbackEvents.codec.decode(r.value);
      received += batch.records.length;
    },
  });
  while (received < count) await new Promise((r) => setTimeout(r, 20));
  const consumeMs = performance.now() - start;
  await consumer.stop();
  return [
    { suite: label, name: 'produce (batches of 1000, acks=all)', value: rate(count, produceMs), unit: 'records/s' },
    { suite: label, name: 'consume + decode + commit', value: rate(count, consumeMs), unit: 'records/s' },
  ];
}

export async function busBench(count = 100_000): Promise<Figure[]> {
  const logger = createLogger('bench', 'warn');
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-bus-'));
  const embedded = new EmbeddedBus({ dir, logger });
  const figures = await throughput(embedded, 'embedded bus', count);
  await embedded.close();
  rmSync(dir, { recursive: true, force: true });
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
  if (brokers.length > 0) {
    const kafka = new KafkaBus({ brokers, logger });
    figures.push(...(await throughput(kafka, `kafka ${brokers.join(',')}`, count)));
    await kafka.close();
  } else {
    figures.push({ suite: 'kafka', name: 'skipped: set KAFKA_BROKERS to measure a broker', value: 0, unit: '' });
  }
  return figures;
}
