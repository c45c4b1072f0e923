// The broker the benchmarks measure: KAFKA_BROKERS when set, otherwise Apache Kafka started from
// the Maven Central jars (scripts/kafka/broker.sh, needs Java and Maven) for this run only.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

export interface BenchBroker {
  brokers: string[];
  description: string;
  stop(): void;
}

export function benchBroker(): BenchBroker {
  const given = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
  if (given.length > 0) return { brokers: given, description: `Kafka at ${given.join(',')}`, stop: () => undefined };
  const env = {
    ...process.env,
    KAFKA_STATE_DIR: `${repo}.cache/kafka-bench`,
    KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? '19192',
  };
  const started = spawnSync('bash', ['scripts/kafka/broker.sh', 'start'], { cwd: repo, env, encoding: 'utf8' });
  const line = /KAFKA_BROKERS=(\S+)/.exec(started.stdout ?? '');
  if (started.status !== 0 || !line)
    throw new Error(
      `could not start a Kafka broker for the benchmark (set KAFKA_BROKERS, or install Java and Maven):\n${started.stdout}${started.stderr}`,
    );
  return {
    brokers: [line[1]!],
    description: `Apache Kafka (KRaft, local jars) at ${line[1]}`,
    stop: () => void spawnSync('bash', ['scripts/kafka/broker.sh', 'stop'], { cwd: repo, env, stdio: 'ignore' }),
  };
}
