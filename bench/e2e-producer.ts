// Child process of the end-to-end suite: makes the load and sends it to Kafka, as connectors do
// from a process of their own, so that the suite's memory figure is the processor's, the sink's
// and the engine's, not the 244,000 generated events'. Says READY once the events are made, then
// DONE with the milliseconds the sending took.
import { KafkaBus } from '../bus/kafka.ts';
import { publish } from '../bus/typed.ts';
import { createLogger } from '../core/logger.ts';
import { topics } from '../schemas/index.ts';
import { benchEvents } from './load.ts';

const [brokers, topic, plays] = process.argv.slice(2);
const bus = new KafkaBus({
  brokers: brokers!.split(','),
  clientId: 'streamwarden-bench-producer',
  logger: createLogger('bench', 'warn'),
});
const producer = await bus.producer();
const events = benchEvents(Number(plays));
process.stdout.write(`READY ${events.length}\n`);
const start = performance.now();
const spec = { ...topics.playbackEvents, name: topic! };
for (let i = 0; i < events.length; i += 5000) await publish(producer, spec, events.slice(i, i + 5000));
process.stdout.write(`DONE ${performance.now() - start}\n`);
await bus.close();
