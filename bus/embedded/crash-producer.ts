// Child process for the crash test: produces numbered records as fast as it can and reports each
// acknowledged batch on stdout, until it is killed.
import { EmbeddedBus } from './embedded-bus.ts';
import { createLogger } from '../../core/logger.ts';

const dir = process.argv[2]!;
const bus = new EmbeddedBus({ dir, logger: createLogger('crash-producer', 'silent') });
await bus.ensureTopics([{ name: 't', partitions: 3 }]);
const producer = await bus.producer();
for (let n = 0; ; n += 100) {
  await producer.send(
    't',
    Array.from({ length: 100 }, (_, i) => ({
      key: `k${(n + i) % 7}`,
      value: Buffer.from(String(n + i).padStart(500, '0')),
    })),
  );
  process.stdout.write(`${n + 100}\n`);
}
