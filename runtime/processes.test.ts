// Scale-out as it runs in production: connectors, two pipelines and the API each in an OS process
// of its own (`npm start <role>`), with KAFKA_BROKERS and CLICKHOUSE_URL and nothing shared but
// the broker and ClickHouse. ClickHouse is the server the tests are given (CLICKHOUSE_URL), or else
// this test process's embedded engine behind the test-only HTTP front. One pipeline is killed
// (SIGKILL) while plays come and go: its partitions move to the other, every playback event on the
// bus is stored once, and the dashboard's live feed goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEVICES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import type { FakeSession } from '../connectors/fakes/fleet.ts';
import { topics } from '../schemas/index.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { newKafkaBus, readTopic, testBrokers, uniqueName } from '../testing/kafka.ts';
import { clickhouseUrlForProcesses, openTestWarehouse } from '../testing/warehouse.ts';
import { productArgs } from './node-flags.ts';

const plex = new FakePlexServer('processes-token', 'Processes Plex');
const prefix = `${uniqueName('processes')}.`;
const secretKey = randomBytes(32).toString('base64');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let clickhouseUrl: string;
let serversFile: string;

interface RoleProcess {
  role: string;
  child: ChildProcess;
  address: string;
  output(): string;
  /** The log line of its start-up garbage collection, kept apart as the output window moves on. */
  startupCollection(): string;
}
const processes: RoleProcess[] = [];

/** `npm start <role>` as a process of its own; resolves once it says where it listens. */
async function startRole(role: 'connectors' | 'pipeline' | 'api'): Promise<RoleProcess> {
  const child = spawn(process.execPath, productArgs(role), {
    env: {
      ...process.env,
      KAFKA_BROKERS: testBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '4',
      // A killed process's partitions move on after Kafka's shortest session timeout.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      CLICKHOUSE_URL: clickhouseUrl,
      CLICKHOUSE_DATABASE: warehouse.database,
      STREAMWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), `sw-process-${role}-`)),
      STREAMWARDEN_SECRET_KEY: secretKey,
      STREAMWARDEN_SERVERS_FILE: role === 'connectors' ? serversFile : '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let address = '';
  let collected = '';
  // Read from what came so far, not from each chunk: a pipe may cut a line in two.
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
    address ||= /"address":"([^"]+)"[^\n]*"msg":"streamwarden started"/.exec(output)?.[1] ?? '';
    collected ||= /^\{.*"msg":"start-up garbage collected".*\}$/m.exec(output)?.[0] ?? '';
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const running: RoleProcess = { role, child, address: '', output: () => output, startupCollection: () => collected };
  processes.push(running);
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the ${role} process exited (${child.exitCode}):\n${output}`);
      return address !== '';
    },
    `the ${role} process to start`,
    120_000,
  );
  running.address = address;
  return running;
}

beforeAll(async () => {
  await plex.start();
  warehouse = await openTestWarehouse();
  clickhouseUrl = await clickhouseUrlForProcesses();
  serversFile = join(mkdtempSync(join(tmpdir(), 'sw-processes-')), 'servers.json');
  writeFileSync(
    serversFile,
    JSON.stringify([
      {
        id: 'plex-processes',
        type: 'plex',
        url: plex.url,
        token: 'processes-token',
        pollIntervalMs: 1000,
        // A play gone from the list is over after 2 s here, not after the minute real servers need.
        stopGraceMs: 2000,
      },
    ]),
  );
}, 120_000);

afterAll(async () => {
  for (const p of processes.reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill('SIGTERM');
    const killLater = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
    await new Promise((resolve) => p.child.once('exit', resolve));
    clearTimeout(killLater);
  }
  await plex.stop();
  await warehouse?.drop();
}, 120_000);

async function rows<T>(query: string): Promise<T[]> {
  const result = await warehouse.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

describe('roles as separate processes (CLICKHOUSE_URL and KAFKA_BROKERS)', () => {
  it(
    'a pipeline killed under load hands its partitions to the other: nothing lost or stored twice, the live feed goes on',
    { timeout: 300_000 },
    async () => {
      // The API migrates the database first; the others find it done.
      const api = await startRole('api');
      const [connectors, first, second] = await Promise.all([
        startRole('connectors'),
        startRole('pipeline'),
        startRole('pipeline'),
      ]);
      for (const [p, role] of [
        [connectors, 'connectors'],
        [first, 'pipeline'],
      ] as const)
        expect(await fetch(`${p.address}/health`).then((r) => r.json())).toMatchObject({ status: 'ok', role });

      const cookie = await setupAndSignIn(api.address);
      const live: Array<{ type: string; session?: { sessionKey: string } }> = [];
      const socket = new WebSocket(`${api.address.replace('http', 'ws')}/api/v1/live`, {
        headers: { cookie, origin: api.address },
      });
      socket.on('message', (data) => live.push(JSON.parse(String(data)) as (typeof live)[number]));
      await waitFor(() => live.length > 0, 'the live snapshot');

      // Plays come and go: a new one every 200 ms, at most 12 at once, each on its own account.
      const played: FakeSession[] = [];
      const playing: FakeSession[] = [];
      const play = () => {
        const n = played.length;
        const session = plex.startSession({
          user: user(`u${n}`, `viewer${n}`),
          item: movie(String(500 + (n % 7)), `Film ${n % 7}`),
          device: DEVICES.tv(`tv-${n}`),
          ip: `81.2.69.${140 + (n % 8)}`,
        });
        played.push(session);
        playing.push(session);
        for (const s of playing) s.progress(30_000);
        if (playing.length > 12) playing.shift()!.stop();
      };
      const load = setInterval(play, 200);
      try {
        const started = (key: string) =>
          live.some((m) => m.type === 'session.started' && m.session?.sessionKey === key);
        await waitFor(() => played.length >= 20 && started(played[19]!.key), 'twenty plays live', 60_000);
        // Plays are being stored.
        await waitFor(
          async () =>
            (await rows<{ n: string }>(`SELECT count() AS n FROM ${warehouse.table('playback_events')}`)).some(
              (r) => Number(r.n) > 0,
            ),
          'plays stored',
          60_000,
        );

        first.child.kill('SIGKILL');
        await new Promise((resolve) => first.child.once('exit', resolve));
        const killedAt = played.length;
        // Plays started after the kill reach the dashboard, and are stored by the one left.
        await waitFor(() => played.length >= killedAt + 40, 'forty more plays', 60_000);
        await waitFor(() => started(played.at(-1)!.key), 'the newest play live', 30_000);
      } finally {
        clearInterval(load);
      }
      for (const s of playing) s.stop();
      socket.close();

      // Every playback event on the bus is in the warehouse once, every play with its stop.
      const bus = newKafkaBus({ topicPrefix: prefix });
      try {
        let onBus = new Set<string>();
        await waitFor(
          async () => {
            onBus = new Set((await readTopic(bus, topics.playbackEvents)).map((e) => e.eventId));
            const stopped = await rows<{ n: string }>(
              `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE stopped_at IS NOT NULL`,
            );
            const stored = await rows<{ n: string }>(
              `SELECT uniqExact(event_id) AS n FROM ${warehouse.table('playback_events')}`,
            );
            return Number(stopped[0]!.n) === played.length && Number(stored[0]!.n) === onBus.size;
          },
          'every play stored and stopped',
          120_000,
        );
        const [counts] = await rows<{ rows: string; events: string }>(
          `SELECT count() AS rows, uniqExact(event_id) AS events FROM ${warehouse.table('playback_events')}`,
        );
        expect(Number(counts!.rows)).toBe(onBus.size);
        expect(Number(counts!.events)).toBe(onBus.size);
        const keys = await rows<{ session_key: string }>(
          `SELECT DISTINCT session_key FROM ${warehouse.table('sessions')} FINAL`,
        );
        expect(new Set(keys.map((k) => k.session_key))).toEqual(new Set(played.map((s) => s.key)));
        // The one pipeline left took every partition of the playback events and went through them.
        const ends = await bus.endOffsets(topics.playbackEvents.name);
        await waitFor(
          async () => {
            const committed = await bus.committedOffsets('pipeline', topics.playbackEvents.name);
            return [...ends].every(([partition, end]) => committed.get(partition) === end);
          },
          "the pipeline's commits at the end of every partition",
          60_000,
        );
      } finally {
        await bus.close();
      }
      // No errors of its own (the Kafka client's connection retries on a busy machine aside).
      const errors = second
        .output()
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line) && !line.includes('"kafkajs":true'));
      expect(errors).toEqual([]);
      expect(second.child.exitCode).toBeNull();
      // Each process collected what start-up left on its heap once start-up had settled (10 s).
      for (const p of [api, connectors, second]) {
        await waitFor(() => p.startupCollection() !== '', `${p.role}: the start-up collection`, 30_000);
        // Bytes, not MiB: with the young generation capped (runtime/node-flags.ts) the connectors'
        // heap held under 1 MiB of garbage by then in one CI run (40 -> 40 MiB).
        const heap = JSON.parse(p.startupCollection()) as { freedBytes: number };
        expect(heap.freedBytes, p.role).toBeGreaterThan(0);
      }
    },
  );
});
