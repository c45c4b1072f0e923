// `npm start` stopped with SIGTERM while plays are being reported: every playback event that
// reached the bus is in the warehouse once, and the sink's committed offsets are at the end of
// the log, so nothing is lost and a restart re-stores nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { DEVICES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { topics } from '../schemas/index.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { createLogger } from '../core/logger.ts';
import { productArgs } from './node-flags.ts';

const plex = new FakePlexServer('shutdown-token');
afterAll(() => plex.stop());

describe('graceful shutdown', () => {
  it('stores everything that reached the bus before exiting, and commits it', async () => {
    await plex.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'sw-shutdown-'));
    const servers = join(dataDir, 'servers.json');
    writeFileSync(
      servers,
      JSON.stringify([{ id: 'plex-home', type: 'plex', url: plex.url, token: 'shutdown-token', pollIntervalMs: 1000 }]),
    );
    const sessions = Array.from({ length: 5 }, (_, i) =>
      plex.startSession({
        user: user(String(i + 1), `viewer${i + 1}`),
        item: movie(String(100 + i), `Film ${i}`),
        device: DEVICES.tv(`tv-${i}`),
        ip: '81.2.69.142',
      }),
    );
    const product = spawn(process.execPath, productArgs(), {
      env: {
        ...process.env,
        STREAMWARDEN_DATA_DIR: dataDir,
        STREAMWARDEN_SERVERS_FILE: servers,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: '',
        CLICKHOUSE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    product.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    product.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const polls = () => plex.requests.filter((r) => r.path === '/status/sessions').length;
    await waitFor(() => polls() >= 1, 'the connector to watch the server', 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    // Plays move on and one stops right before the signal: those events are the newest ones.
    for (const s of sessions) s.progress(60_000);
    sessions[0]!.stop();
    const seen = polls();
    await waitFor(() => polls() > seen, 'one more poll', 10_000);
    product.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => product.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/"level":(50|60)/);

    const logger = createLogger('test');
    const bus = new EmbeddedBus({ dir: join(dataDir, 'bus'), logger });
    const onBus = new Set<string>();
    for (const partition of (await bus.endOffsets(topics.playbackEvents.name)).keys()) {
      for await (const batch of bus.readPartition(topics.playbackEvents.name, partition))
        for (const r of batch) onBus.add(topics.playbackEvents.codec.decode(r.value).eventId);
    }
    const committed = await bus.committedOffsets('warehouse-sink', topics.playbackEvents.name);
    for (const [partition, end] of await bus.endOffsets(topics.playbackEvents.name))
      expect(committed.get(partition) ?? '0', `partition ${partition}`).toBe(end);
    await bus.close();

    const warehouse = await openWarehouse({ embeddedPath: join(dataDir, 'clickhouse') }, logger);
    const result = await warehouse.client.query({
      query: `SELECT event_id, count() AS n FROM ${warehouse.table('playback_events')} GROUP BY event_id`,
      format: 'JSONEachRow',
    });
    const stored = await result.json<{ event_id: string; n: string }>();
    await warehouse.close();
    expect(onBus.size).toBeGreaterThanOrEqual(sessions.length + 1);
    expect(new Set(stored.map((r) => r.event_id))).toEqual(onBus);
    expect(stored.every((r) => Number(r.n) === 1)).toBe(true);
  }, 180_000);
});
