// Throughput of detection: the processor's per-event work (GeoIP lookup, state, the rules) alone,
// then the whole StreamProcessor consuming Avro records from the embedded bus.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import type { AccountState } from '../pipeline/account-state.ts';
import { Detector } from '../pipeline/detector.ts';
import { GeoIp } from '../core/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { RULES } from '../pipeline/rules/registry.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics } from '../schemas/index.ts';
import { benchEvents } from './load.ts';
import { rate, type Figure } from './report.ts';

export async function pipelineBench(plays = Number(process.env.BENCH_PLAYS ?? 20_000)): Promise<Figure[]> {
  const geo = await GeoIp.open({ cacheSize: 1 });
  const list = benchEvents(plays);
  const detector = new Detector(DEFAULT_RULES);
  const states = new Map<string, AccountState>();
  let start = performance.now();
  let violations = 0;
  for (const event of list) {
    let state = states.get(event.accountKey);
    if (!state) states.set(event.accountKey, (state = Detector.stateFor(event)));
    violations += detector.observe(state, event, geo.lookup(event.clientIp)).violations.length;
  }
  const alone = performance.now() - start;

  const logger = createLogger('bench', 'warn');
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-pipeline-'));
  const bus = new EmbeddedBus({ dir, logger, defaultPartitions: 6 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  const producer = await bus.producer();
  for (let i = 0; i < list.length; i += 5000) await publish(producer, topics.playbackEvents, list.slice(i, i + 5000));
  const processor = new StreamProcessor({
    bus,
    geo: await GeoIp.open(),
    logger,
    rules: DEFAULT_RULES,
    inactivityCheckMs: 0,
  });
  start = performance.now();
  await processor.start();
  while (processor.stats.events < list.length) await new Promise((r) => setTimeout(r, 20));
  const whole = performance.now() - start;
  await processor.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      suite: 'pipeline',
      name: `detection alone: GeoIP + state + ${RULES.length} rules (${list.length.toLocaleString('en-US')} events, ${violations} violations)`,
      value: rate(list.length, alone),
      unit: 'events/s',
    },
    {
      suite: 'pipeline',
      name: 'StreamProcessor over the embedded bus: decode, detect, publish, commit',
      value: rate(list.length, whole),
      unit: 'events/s',
    },
  ];
}
