// Vitest global setup: gives every integration test a real Kafka broker and tells it where
// ClickHouse is. Broker, in order: KAFKA_BROKERS; Redpanda in Docker through testcontainers when a
// Docker engine answers; otherwise Apache Kafka (KRaft) started from the Maven Central jars by
// scripts/kafka/broker.sh. ClickHouse: CLICKHOUSE_URL, otherwise chdb embedded in each test process.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaSource: string;
    clickhouseUrl: string;
  }
}

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));

function say(message: string): void {
  console.warn(`[test harness] ${message}`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose successor is free too (client listener and KRaft controller). */
async function freePortPair(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await canBind(port)) && (await canBind(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports found for the Kafka broker');
}

async function dockerEngineAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startRedpanda(): Promise<{ brokers: string; stop: () => Promise<void> }> {
  const { RedpandaContainer } = await import('@testcontainers/redpanda');
  const container = await new RedpandaContainer('docker.redpanda.com/redpandadata/redpanda:v24.2.4').start();
  return {
    brokers: container.getBootstrapServers().replace(/^PLAINTEXT:\/\//, ''),
    stop: async () => void (await container.stop()),
  };
}

async function startLocalKafka(): Promise<{ brokers: string; stop: () => Promise<void> }> {
  const port = await freePortPair();
  const stateDir = await mkdtemp(join(tmpdir(), 'streamwarden-kafka-'));
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_STATE_DIR: stateDir };
  const script = join(repo, 'scripts/kafka/broker.sh');
  const { stdout, stderr } = await run('bash', [script, 'start'], {
    env,
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  process.stderr.write(stderr);
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(stdout)?.[1];
  if (!brokers) throw new Error(`broker.sh did not report its address:\n${stdout}\n${stderr}`);
  return {
    brokers,
    stop: async () => {
      await run('bash', [script, 'stop'], { env }).catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop = async () => undefined as void;
  let brokers = process.env.KAFKA_BROKERS?.trim() ?? '';
  let source = 'KAFKA_BROKERS';
  if (!brokers && (await dockerEngineAnswers())) {
    try {
      ({ brokers, stop } = await startRedpanda());
      source = 'Redpanda container (testcontainers)';
    } catch (err) {
      say(`Docker engine found but Redpanda did not start (${(err as Error).message}); using the local Kafka jars`);
    }
  }
  if (!brokers) {
    ({ brokers, stop } = await startLocalKafka());
    source = 'local Apache Kafka (KRaft) from Maven Central jars';
  }
  say(`Kafka broker for integration tests: ${brokers} (${source})`);
  const clickhouseUrl = process.env.CLICKHOUSE_URL?.trim() ?? '';
  say(`ClickHouse for integration tests: ${clickhouseUrl || 'embedded chdb (one engine per test process)'}`);
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaSource', source);
  project.provide('clickhouseUrl', clickhouseUrl);
  return stop;
}
