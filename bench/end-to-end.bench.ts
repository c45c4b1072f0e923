// End to end through the real Kafka broker: playback events in, the stream processor (GeoIP, six
// rules, trust) and the warehouse sink (ClickHouse) out. Throughput with the whole load at once;
// detection latency (event produced -> its violation consumed) at a steady rate; memory of the
// process carrying processor and sink.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBus } from '../bus/kafka.ts';
import { consumeTopic, publish } from '../bus/typed.ts';
import { GeoIp } from '../core/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { createLogger } from '../core/logger.ts';
import { topics, type PlaybackEvent } from '../schemas/index.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { sampleEngineMemory, type EnginePeaks } from './engine-memory.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import { benchBroker } from './kafka-broker.ts';
import { benchEvents } from './load.ts';
import { type Figure, percentile, rate } from './report.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function endToEndBench(plays = Number(process.env.BENCH_E2E_PLAYS ?? 5_000)): Promise<Figure[]> {
  const logger = createLogger('bench', 'warn');
  const broker = benchBroker();
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-e2e-'));
  const bus = new KafkaBus({ brokers: broker.brokers, clientId: 'streamwarden-bench', logger, defaultPartitions: 6 });
  const stamp = Date.now();
  const names = {
    playbackEvents: `bench-e2e-${stamp}-events`,
    violations: `bench-e2e-${stamp}-violations`,
    trustScoreChanges: `bench-e2e-${stamp}-trust`,
    serverMetrics: `bench-e2e-${stamp}-metrics`,
    librarySnapshots: `bench-e2e-${stamp}-library`,
  };
  const warehouse = await openWarehouse({ embeddedPath: join(dir, 'clickhouse'), database: 'bench' }, logger);
  let peakRss = 0;
  let peakHeap = 0;
  const memory = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 100);
  let stopEngineSampling: (() => Promise<EnginePeaks>) | undefined;
  let enginePeaks: EnginePeaks | undefined;
  try {
    await migrate(warehouse, logger);
    stopEngineSampling = await sampleEngineMemory(warehouse);
    await bus.ensureTopics([...Object.values(names), topics.deadLetter.name].map((name) => ({ name, partitions: 6 })));
    const geo = await GeoIp.open();
    const processor = new StreamProcessor({
      bus,
      geo,
      logger,
      rules: DEFAULT_RULES,
      inactivityCheckMs: 0,
      groupId: `bench-e2e-${stamp}-pipeline`,
      topicNames: names,
    });
    const sink = new WarehouseSink({
      bus,
      warehouse,
      logger,
      olderRecords: geo,
      groupId: `bench-e2e-${stamp}-sink`,
      topicNames: names,
    });
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const violationsConsumer = await consumeTopic(bus, {
      groupId: `bench-e2e-${stamp}-latency`,
      spec: { ...topics.violations, name: names.violations },
      deadLetters: await bus.producer(),
      logger,
      handle: async (records) => {
        const now = performance.now();
        for (const { value } of records) {
          const sent = sentAt.get(`${value.accountKey}|${value.detectedAt}`);
          if (sent !== undefined) latencies.push(now - sent);
        }
      },
    });
    await Promise.all([processor.start(), sink.start(), violationsConsumer.ready]);
    const producer = await bus.producer();
    const spec = { ...topics.playbackEvents, name: names.playbackEvents };

    // Throughput: everything at once, until the warehouse holds every event. The load is made and
    // sent by a process of its own, as the connectors role does: made here, its 244,000 events and
    // their encoding were ~300-500 MiB of this process's peak.
    const sender = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./e2e-producer.ts', import.meta.url).pathname,
        broker.brokers.join(','),
        names.playbackEvents,
        String(plays),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = createInterface({ input: sender.stdout! });
    const lines = said[Symbol.asyncIterator]();
    const ready = /^READY (\d+)$/.exec(String((await lines.next()).value));
    if (!ready) throw new Error('the producer process did not start');
    const load = { length: Number(ready[1]) };
    const stored = () => sink.stats.rows.playback_events ?? 0;
    let start = performance.now();
    const done = /^DONE ([\d.]+)$/.exec(String((await lines.next()).value));
    if (!done) throw new Error('the producer process did not finish');
    const produced = Number(done[1]);
    while (processor.stats.events < load.length || stored() < load.length) await sleep(20);
    const endToEnd = performance.now() - start;

    // Latency: a fresh set of accounts at a steady 2,000 events/s, each batch timed as it is sent.
    const paced = benchEvents(Math.max(2000, Math.round(plays / 4)), 11, 1500).map((e) => ({
      ...e,
      accountKey: `lat-${e.accountKey}`,
    }));
    const perTick = 200;
    start = performance.now();
    for (let i = 0; i < paced.length; i += perTick) {
      const batch: PlaybackEvent[] = paced.slice(i, i + perTick);
      const now = performance.now();
      for (const e of batch) sentAt.set(`${e.accountKey}|${e.observedAt}`, now);
      await publish(producer, spec, batch);
      const due = start + ((i + perTick) / 2000) * 1000;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    const total = load.length + paced.length;
    const until = Date.now() + 60_000;
    while ((processor.stats.events < total || stored() < total) && Date.now() < until) await sleep(50);
    await sleep(1000);
    latencies.sort((a, b) => a - b);

    await violationsConsumer.stop();
    await processor.stop();
    await sink.stop();
    const note = `${load.length.toLocaleString('en-US')} events, ${broker.description}, ClickHouse embedded`;
    enginePeaks = await stopEngineSampling();
    return [
      {
        suite: 'end to end',
        name: 'produce to Kafka (batches of 5000)',
        value: rate(load.length, produced),
        unit: 'events/s',
        note,
      },
      {
        suite: 'end to end',
        name: 'Kafka -> processor + warehouse sink, all stored',
        value: rate(load.length, endToEnd),
        unit: 'events/s',
        note,
      },
      {
        suite: 'end to end',
        name: `detection latency p50 (${latencies.length} violations at 2,000 events/s)`,
        value: Math.round(percentile(latencies, 50)),
        unit: 'ms',
      },
      { suite: 'end to end', name: 'detection latency p99', value: Math.round(percentile(latencies, 99)), unit: 'ms' },
      {
        suite: 'end to end',
        name: 'peak resident memory (processor + sink + embedded ClickHouse)',
        value: Math.round(peakRss / 2 ** 20),
        unit: 'MiB',
        note: `the engine's tracked memory ${Math.round((enginePeaks?.peak ?? 0) / 2 ** 20)} MiB at its peak, merges ${Math.round((enginePeaks?.merges ?? 0) / 2 ** 20)} MiB at theirs`,
      },
      { suite: 'end to end', name: 'peak JS heap', value: Math.round(peakHeap / 2 ** 20), unit: 'MiB' },
    ];
  } finally {
    clearInterval(memory);
    await stopEngineSampling?.();
    await bus.close();
    await warehouse.close();
    broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
