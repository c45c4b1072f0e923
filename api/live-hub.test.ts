// The live state the API keeps from the bus answers GET sessions/active and the overview's figures
// of now: it must give, field for field, what the warehouse gives once the sink has written the same
// events, and forget plays that stopped or went stale by the warehouse's rule.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { GeoIp, placeAddress } from '../core/geoip.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics, type PlaybackEvent } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { SessionQueries } from '../warehouse/queries/index.ts';
import { nowFigures } from '../warehouse/queries/sessions.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import { LiveHub } from './live.ts';
import { sessionFromRow, viewOf } from './live-view.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let sink: WarehouseSink;
let hub: LiveHub;
let geo: GeoIp;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-live-hub-')), logger, defaultPartitions: 2 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  geo = await GeoIp.open();
  sink = new WarehouseSink({ bus, warehouse, logger, maxDelayMs: 100 });
  await sink.start();
  hub = new LiveHub({ bus, warehouse, logger });
  await hub.start();
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
  await bus?.close();
  await warehouse?.drop();
});

/** An event as a connector makes it: placed by its address. */
function placed(overrides: Partial<PlaybackEvent>): PlaybackEvent {
  const e = samplePlaybackEvent(overrides);
  return { ...e, ...placeAddress(geo, e) };
}

describe('the live state behind sessions/active and the overview', () => {
  it('lists what the warehouse lists once the sink has written the same events, field for field', async () => {
    const now = Date.now();
    const events = [
      placed({ sessionKey: 'a', observedAt: now - 60_000, playStartedAt: now - 60_000, clientIp: '81.2.69.142' }),
      placed({
        sessionKey: 'a',
        eventType: 'PROGRESS',
        observedAt: now - 30_000,
        playStartedAt: now - 60_000,
        clientIp: '81.2.69.142',
        positionMs: 30_000,
        playedMs: 30_000,
        playState: 'PAUSED',
        pausedMs: 4_000,
      }),
      placed({
        sessionKey: 'b',
        serverId: 'jf',
        serverType: 'JELLYFIN',
        accountKey: 'jf:7',
        observedAt: now - 20_000,
        playStartedAt: now - 20_000,
        clientIp: '2.125.160.216',
        networkLocation: 'WAN',
        quality: {
          ...samplePlaybackEvent().quality,
          isTranscode: false,
          videoDecision: 'DIRECT_PLAY',
          bandwidthKbps: 5000,
        },
      }),
      placed({
        sessionKey: 'lan',
        observedAt: now - 10_000,
        playStartedAt: now - 10_000,
        networkLocation: 'LAN',
        clientIp: '192.168.1.20',
      }),
      // Stopped: no longer listed.
      placed({ sessionKey: 'c', observedAt: now - 50_000, playStartedAt: now - 50_000 }),
      placed({ sessionKey: 'c', eventType: 'STOPPED', observedAt: now - 5_000, playStartedAt: now - 50_000 }),
      // Last seen six minutes ago with no stop: stale by the warehouse's rule.
      placed({ sessionKey: 'stale', observedAt: now - 360_000, playStartedAt: now - 400_000 }),
    ];
    await publish(await bus.producer(), topics.playbackEvents, events);
    const queries = new SessionQueries(warehouse);
    await waitFor(async () => (await queries.active()).length === 3, 'the sink wrote the plays', 20_000);
    await waitFor(() => hub.active().length === 3, 'the hub read the plays', 20_000);

    const fromWarehouse = (await queries.active()).map(sessionFromRow);
    expect(hub.active()).toEqual(fromWarehouse);
    // The text sessions/active sends is that list's JSON, as the contract's serializer would write it.
    expect(JSON.parse(hub.activeAnswer().json.toString('utf8'))).toEqual({ sessions: fromWarehouse });
    expect(JSON.parse(hub.activeAnswer(['nowhere']).json.toString('utf8'))).toEqual({ sessions: [] });
    expect(hub.active().map((s) => s.sessionKey)).toEqual(['lan', 'b', 'a']);
    expect(hub.active()[2]).toMatchObject({ state: 'PAUSED', pausedMs: 4_000, playedMs: 30_000, countryCode: 'GB' });
    expect(hub.active(['jf']).map((s) => s.sessionKey)).toEqual(['b']);
    expect(nowFigures(hub.active())).toEqual(nowFigures(await queries.active()));
    expect(hub.figures()).toEqual(nowFigures(hub.active()));
    expect(hub.figures(['jf'])).toEqual({ streamsNow: 1, transcodesNow: 0, bandwidthNowKbps: 5000 });
    expect(nowFigures(hub.active())).toEqual({ streamsNow: 3, transcodesNow: 2, bandwidthNowKbps: 8800 * 2 + 5000 });

    // The feed's snapshot shows the same plays, as the feed gives them.
    const snapshot = JSON.parse(hub.snapshotJson()) as { sessions: Array<{ sessionKey: string }> };
    expect(snapshot).toEqual({ type: 'snapshot', sessions: hub.active().map(viewOf), servers: [] });
    expect(snapshot.sessions.map((s) => s.sessionKey)).toEqual(['lan', 'b', 'a']);
  });

  it('lets a play go stale five minutes after it was last seen, and starts from the warehouse', async () => {
    // A new process (another API, a restart) begins with the warehouse's plays going on.
    const fresh = new LiveHub({ bus, warehouse, logger });
    await fresh.start();
    try {
      expect(fresh.active()).toHaveLength(3);
      expect(fresh.active()).toEqual(hub.active());
    } finally {
      await fresh.stop();
    }
    const later = Date.now() + 6 * 60_000;
    expect(hub.active([], later)).toEqual([]);
    expect(hub.size).toBe(0);
  });
});
