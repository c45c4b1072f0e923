// Restart time of the stream processor as the retained history grows: the previous release's way
// (replay every retained event of the partitions) beside checkpoints (restore the newest one,
// replay what follows it), for 1 day and for 30 days of history, in the same run.
//
// The operator: 5,000 accounts, each playing about once a day (reports every 10 minutes), on the
// embedded bus and on Kafka (KAFKA_BROKERS, or a broker started from the jars), 6 partitions. After the history, one more minute of a 5,000-stream evening
// (a report per stream every 10 s: 30,000 events) is processed after the last checkpoint, as a
// crash between two checkpoints leaves it, so the restored processor has that minute to replay.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { KafkaBus } from '../bus/kafka.ts';
import type { Bus } from '../bus/types.ts';
import { publish } from '../bus/typed.ts';
import { GeoIp } from '../core/geoip.ts';
import { createLogger } from '../core/logger.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { allTopics, topics, type PlaybackEvent } from '../schemas/index.ts';
import { benchEvents } from './load.ts';
import type { Figure } from './report.ts';
import { benchBroker, type BenchBroker } from './kafka-broker.ts';

const DAY = 86_400_000;
const ACCOUNTS = Number(process.env.BENCH_RECOVERY_ACCOUNTS ?? 5_000);

export async function recoveryBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const geo = await GeoIp.open();
  let broker: BenchBroker | undefined;
  try {
    for (const kind of (process.env.BENCH_RECOVERY_BUSES ?? 'embedded,kafka').split(','))
      for (const days of (process.env.BENCH_RECOVERY_DAYS ?? '1,30').split(',').map(Number)) {
        if (kind === 'kafka') broker ??= benchBroker();
        figures.push(...(await recoveryAfter(days, geo, broker)));
      }
  } finally {
    broker?.stop();
  }
  return figures;
}

async function recoveryAfter(days: number, geo: GeoIp, broker: BenchBroker | undefined): Promise<Figure[]> {
  const logger = createLogger('bench', 'warn');
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-recovery-'));
  // On Kafka, topics of this run's own (the broker may be shared), a week's retention from their events' time.
  const stamp = `bench-recovery-${Date.now()}`;
  const names = broker
    ? {
        playbackEvents: `${stamp}-events`,
        violations: `${stamp}-violations`,
        trustScoreChanges: `${stamp}-trust`,
        personPlays: `${stamp}-person`,
      }
    : {
        playbackEvents: topics.playbackEvents.name,
        violations: topics.violations.name,
        trustScoreChanges: topics.trustScoreChanges.name,
        personPlays: topics.personPlays.name,
      };
  const bus: Bus = broker
    ? new KafkaBus({ brokers: broker.brokers, clientId: 'streamwarden-bench', logger, defaultPartitions: 6 })
    : new EmbeddedBus({ dir, logger, defaultPartitions: 6, retentionMs: 400 * DAY });
  await bus.ensureTopics(
    broker
      ? Object.values(names).map((name) => ({ name, partitions: 6, retentionMs: 400 * DAY }))
      : allTopics.map((t) => ({ name: t.name })),
  );
  const eventsTopic = { ...topics.playbackEvents, name: names.playbackEvents };
  const producer = await bus.producer();
  const start = Date.now() - days * DAY - 3_600_000;
  let events = 0;
  for (let day = 0; day < days; day++) {
    // A day at a time, so the history never sits in memory whole.
    const list = benchEvents(ACCOUNTS, day + 1, ACCOUNTS, { from: start + day * DAY, days: 1, stepMs: 600_000 });
    for (let i = 0; i < list.length; i += 5_000) await publish(producer, eventsTopic, list.slice(i, i + 5_000));
    events += list.length;
  }
  const make = (checkpointIntervalMs: number) =>
    new StreamProcessor({
      bus,
      geo,
      logger,
      rules: DEFAULT_RULES,
      inactivityCheckMs: 0,
      checkpointIntervalMs,
      topicNames: names,
    });
  const processed = async (p: StreamProcessor) => {
    while (!(await p.drain(1_000)));
  };

  // The live processor: the history, a checkpoint, then a minute of a busy evening and a crash.
  const live = make(3_600_000);
  await live.start();
  await processed(live);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const writing = performance.now();
  await live.checkpoint();
  const checkpointMs = performance.now() - writing;
  loop.disable();
  const checkpointBytes = broker ? undefined : sizeOf(join(dir, 'topics', `${names.playbackEvents}.state.pipeline`));
  const evening = eveningMinute(start + days * DAY);
  for (let i = 0; i < evening.length; i += 5_000) await publish(producer, eventsTopic, evening.slice(i, i + 5_000));
  await processed(live);
  await live.stop({ checkpoint: false });

  const timed = async (checkpointIntervalMs: number) => {
    const p = make(checkpointIntervalMs);
    const began = performance.now();
    await p.start();
    await p.restored();
    const ms = performance.now() - began;
    const { replayed } = p.stats;
    await p.stop({ checkpoint: false });
    return { ms, replayed };
  };
  const replay = await timed(0);
  const restore = await timed(3_600_000);
  await bus.close();
  rmSync(dir, { recursive: true, force: true });

  await producer.close();
  const retained = `${broker ? 'Kafka' : 'embedded bus'}, ${days} day${days === 1 ? '' : 's'} retained (${(events + evening.length).toLocaleString('en-US')} events)`;
  return [
    {
      suite: 'recovery',
      name: `restart, replaying the history (previous release), ${retained}: ${replay.replayed.toLocaleString('en-US')} replayed`,
      value: Math.round(replay.ms),
      unit: 'ms',
    },
    {
      suite: 'recovery',
      name: `restart from checkpoints, ${retained}: ${restore.replayed.toLocaleString('en-US')} replayed`,
      value: Math.round(restore.ms),
      unit: 'ms',
    },
    {
      suite: 'recovery',
      name: `writing a checkpoint of every partition, ${retained}`,
      value: Math.round(checkpointMs),
      unit: 'ms',
    },
    {
      suite: 'recovery',
      name: `the longest the event loop waited meanwhile, ${retained}`,
      value: Math.round(loop.max / 1e6),
      unit: 'ms',
    },
    ...(checkpointBytes === undefined
      ? []
      : [
          {
            suite: 'recovery',
            name: `one checkpoint of every partition's state, ${retained}, on disk`,
            value: Math.round(checkpointBytes / 1024),
            unit: 'KiB',
          },
        ]),
  ];
}

/** 5,000 streams reporting every 10 s for a minute: 30,000 progress events. */
function eveningMinute(at: number): PlaybackEvent[] {
  const base = benchEvents(ACCOUNTS, 99, ACCOUNTS, { from: at - DAY, days: 1, stepMs: 600_000 }).filter(
    (e) => e.eventType === 'PROGRESS',
  );
  const out: PlaybackEvent[] = [];
  for (let tick = 0; tick < 6; tick++)
    for (let i = 0; i < 5_000; i++) {
      const e = base[i % base.length]!;
      out.push({
        ...e,
        eventId: `evening-${tick}-${i}`,
        sessionKey: `evening-${i}`,
        accountKey: `${e.serverId}:evening-${i % ACCOUNTS}`,
        observedAt: at + tick * 10_000,
      });
    }
  return out;
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((n, entry) => n + sizeOf(join(path, entry)), 0);
}
