// Throughput of detection: the processor's per-event work (GeoIP lookup, state, six rules) alone,
// then the whole StreamProcessor consuming Avro records from the embedded bus.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import type { AccountState } from '../pipeline/account-state.ts';
import { Detector } from '../pipeline/detector.ts';
import { GeoIp } from '../pipeline/geoip.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { DEFAULT_RULES } from '../pipeline/rules/settings.ts';
import { createLogger } from '../runtime/logger.ts';
import { allTopics, topics, type PlaybackEvent } from '../schemas/index.ts';
import { generateHistory, rng } from '../testing/history.ts';
import { rate, type Figure } from './report.ts';

/** A history whose plays come from many different public addresses, so GeoIP is really consulted. */
function events(plays: number): PlaybackEvent[] {
  const random = rng(99);
  const history = generateHistory({ seed: 5, plays, accounts: 2000, livePlays: 0, stepMs: 60_000 });
  const addressOf = new Map<string, string>();
  return history.events.map((e) => {
    const key = `${e.serverId}/${e.sessionKey}`;
    if (!addressOf.has(key)) addressOf.set(key, `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`);
    return { ...e, clientIp: addressOf.get(key)!, networkLocation: 'WAN' as const };
  });
}

export async function pipelineBench(plays = Number(process.env.BENCH_PLAYS ?? 20_000)): Promise<Figure[]> {
  const geo = await GeoIp.open({ cacheSize: 1 });
  const list = events(plays);
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
  const processor = new StreamProcessor({ bus, geo: await GeoIp.open(), logger, rules: DEFAULT_RULES, inactivityCheckMs: 0 });
  start = performance.now();
  await processor.start();
  while (processor.stats.events < list.length) await new Promise((r) => setTimeout(r, 20));
  const whole = performance.now() - start;
  await processor.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    { suite: 'pipeline', name: `detection alone: GeoIP + state + 6 rules (${list.length.toLocaleString('en-US')} events, ${violations} violations)`, value: rate(list.length, alone), unit: 'events/s' },
    { suite: 'pipeline', name: 'StreamProcessor over the embedded bus: decode, detect, publish, commit', value: rate(list.length, whole), unit: 'events/s' },
  ];
}
