import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import type { Bus, ConsumedRecord } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { AvroCodec, loadSchemaVersions, topics } from '../schemas/index.ts';
import { generateHistory } from '../testing/history.ts';
import { samplePlaybackEvent, sampleTrustScoreChange, sampleViolation } from '../testing/fixtures.ts';
import { newKafkaBus, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import type { Warehouse } from './client.ts';
import { migrate } from './migrations.ts';
import { WarehouseSink } from './sink.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
});
afterAll(async () => {
  await warehouse?.drop();
});

async function scalar(w: Warehouse, sql: string): Promise<number> {
  const result = await w.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(Object.values((await result.json<Record<string, string>>())[0]!)[0]);
}

/** The warehouse as a process that dies right after ClickHouse stored its Nth insert of events. */
function dyingAfter(w: Warehouse, inserts: number): Warehouse & { crashed: () => boolean } {
  let done = 0;
  let dead = false;
  const insertCompact: Warehouse['insertCompact'] = async (table, columns, rows, settings) => {
    if (dead) throw new Error('process is dead');
    await w.insertCompact(table, columns, rows, settings);
    if (table === 'playback_events' && ++done >= inserts) {
      dead = true;
      throw new Error('crash after the insert, before the offset commit');
    }
  };
  return { ...w, insertCompact, crashed: () => dead };
}

describe('warehouse sink', () => {
  it('after a crash between insert and commit, the restarted sink replays nothing twice (real Kafka)', async () => {
    const bus: Bus = newKafkaBus();
    const names = {
      playbackEvents: uniqueName('sink-events'),
      serverMetrics: uniqueName('sink-metrics'),
      violations: uniqueName('sink-violations'),
      trustScoreChanges: uniqueName('sink-trust'),
      librarySnapshots: uniqueName('sink-library'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 3 })));
    const history = generateHistory({ seed: 11, plays: 120, livePlays: 0 });
    const producer = await bus.producer();
    for (let i = 0; i < history.events.length; i += 1000)
      await publish(
        producer,
        { ...topics.playbackEvents, name: names.playbackEvents },
        history.events.slice(i, i + 1000),
      );
    const groupId = uniqueName('sink');

    const dying = dyingAfter(warehouse, 3);
    const first = new WarehouseSink({
      bus,
      warehouse: dying,
      logger,
      groupId,
      topicNames: names,
      maxRows: 700,
      maxDelayMs: 50,
    });
    await first.start();
    await waitFor(() => dying.crashed(), 'the crash');
    await first.stop();
    const storedBeforeRestart = await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`);
    expect(storedBeforeRestart).toBeGreaterThan(0);
    expect(storedBeforeRestart).toBeLessThan(history.events.length);

    const second = new WarehouseSink({
      bus,
      warehouse,
      logger,
      groupId,
      topicNames: names,
      maxRows: 700,
      maxDelayMs: 50,
    });
    await second.start();
    await waitFor(
      () => (second.stats.rows.playback_events ?? 0) + storedBeforeRestart >= history.events.length,
      'the rest',
      60_000,
    );
    await second.stop();
    await bus.close();

    expect(second.stats.skippedAsStored).toBeGreaterThan(0);
    // Counted without FINAL: not one row was written twice, so the rollups count every play once.
    expect(await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`)).toBe(
      history.events.length,
    );
    expect(await scalar(warehouse, `SELECT uniqExact(event_id) FROM ${warehouse.table('playback_events')}`)).toBe(
      history.events.length,
    );
    const stops = history.events.filter((e) => e.eventType === 'STOPPED');
    expect(await scalar(warehouse, `SELECT sum(plays) FROM ${warehouse.table('plays_daily')}`)).toBe(stops.length);
    expect(await scalar(warehouse, `SELECT sum(watch_ms) FROM ${warehouse.table('plays_daily')}`)).toBe(
      stops.reduce((n, e) => n + (e.playedMs ?? 0), 0),
    );
    expect(await scalar(warehouse, `SELECT count() FROM ${warehouse.table('sessions')} FINAL`)).toBe(
      history.plays.length,
    );
  });

  it('writes once when an insert lands but its answer is lost and the re-read of what is stored fails too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-sink-reread-'));
    const bus = new EmbeddedBus({ dir, logger, defaultPartitions: 1 });
    const names = {
      playbackEvents: uniqueName('reread-events'),
      serverMetrics: uniqueName('reread-metrics'),
      violations: uniqueName('reread-violations'),
      trustScoreChanges: uniqueName('reread-trust'),
      librarySnapshots: uniqueName('reread-library'),
    };
    await bus.ensureTopics(Object.values(names).map((name) => ({ name, partitions: 1 })));
    const events = generateHistory({ seed: 12, plays: 20, livePlays: 0 }).events;
    await publish(await bus.producer(), { ...topics.playbackEvents, name: names.playbackEvents }, events);
    const before = await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`);
    // The first insert of events is stored but its answer is lost; the warehouse then fails the
    // next read of the stored offsets, as it would while it restarts.
    let answerLost = false;
    let failedReads = 1;
    const flaky: Warehouse = {
      ...warehouse,
      insertCompact: async (table, columns, rows, settings) => {
        await warehouse.insertCompact(table, columns, rows, settings);
        if (table === 'playback_events' && !answerLost) {
          answerLost = true;
          throw new Error('connection reset');
        }
      },
      client: {
        ...warehouse.client,
        query: async (params: Parameters<Warehouse['client']['query']>[0]) => {
          if (String(params.query).includes('sink_offsets') && answerLost && failedReads-- > 0)
            throw new Error('warehouse restarting');
          return warehouse.client.query(params);
        },
      } as Warehouse['client'],
    };
    const groupId = uniqueName('reread');
    const sink = new WarehouseSink({
      bus,
      warehouse: flaky,
      logger,
      topicNames: names,
      maxRows: 10_000,
      maxDelayMs: 20,
      groupId,
    });
    await sink.start();
    await waitFor(
      async () => Number((await bus.committedOffsets(groupId, names.playbackEvents)).get(0) ?? 0) >= events.length,
      'every event committed',
      50_000,
    );
    expect(failedReads).toBeLessThanOrEqual(0);
    await sink.stop();
    await bus.close();
    expect(await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`)).toBe(
      before + events.length,
    );
  });

  it('sends an undecodable record to the dead-letter topic and stores the rest', async () => {
    const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-sink-dlq-')), logger });
    const names = {
      playbackEvents: 'dlq-events',
      serverMetrics: 'dlq-metrics',
      violations: 'dlq-violations',
      trustScoreChanges: 'dlq-trust',
      librarySnapshots: 'dlq-library',
    };
    await bus.ensureTopics([...Object.values(names), topics.deadLetter.name].map((name) => ({ name, partitions: 1 })));
    const producer = await bus.producer();
    const [a, b] = generateHistory({ seed: 3, plays: 1, livePlays: 0 }).events;
    const before = await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`);
    await publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, [a!]);
    await producer.send(names.playbackEvents, [{ key: 'x', value: Buffer.from('{"not":"avro"}') }]);
    await publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, [b!]);
    const sink = new WarehouseSink({ bus, warehouse, logger, groupId: 'dlq-sink', topicNames: names, maxDelayMs: 20 });
    await sink.start();
    const dead: ConsumedRecord[] = [];
    await bus.consume({
      groupId: 'dlq-reader',
      topics: [topics.deadLetter.name],
      handleBatch: async (batch) => void dead.push(...batch.records),
    });
    await waitFor(() => (sink.stats.rows.playback_events ?? 0) === 2 && dead.length === 1, 'rows and the dead letter');
    expect(topics.deadLetter.codec.decode(dead[0]!.value)).toMatchObject({
      sourceTopic: 'dlq-events',
      sourceOffset: '1',
      consumerGroup: 'dlq-sink',
      errorKind: 'UNDECODABLE',
    });
    expect(await scalar(warehouse, `SELECT count() FROM ${warehouse.table('playback_events')}`)).toBe(before + 2);
    await sink.stop();
    await bus.close();
  });

  it('stores the place the producer put on an event without a second lookup; places only records older than that', async () => {
    const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-sink-place-')), logger });
    const names = {
      playbackEvents: 'place-events',
      serverMetrics: 'place-metrics',
      violations: 'place-violations',
      trustScoreChanges: 'place-trust',
      librarySnapshots: 'place-library',
    };
    await bus.ensureTopics([...Object.values(names), topics.deadLetter.name].map((name) => ({ name, partitions: 1 })));
    const producer = await bus.producer();
    const berlin = { countryCode: 'DE', region: 'Berlin', city: 'Berlin', latitude: 52.52, longitude: 13.405 };
    const placed = samplePlaybackEvent({
      sessionKey: 'placed',
      clientIp: '203.0.113.40',
      location: { ...berlin, accuracyRadiusKm: null },
      geoSource: "the connector's database",
    });
    await publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, [placed]);
    // A record as version 2 producers wrote it: no place, no geoSource.
    const { released } = loadSchemaVersions('playback-event');
    const { location: _l, geoSource: _g, ...v2 } = samplePlaybackEvent({ sessionKey: 'older', clientIp: '192.0.2.50' });
    await producer.send(names.playbackEvents, [
      { key: v2.accountKey, value: new AvroCodec(released[1]!).encode(v2 as never) },
    ]);
    const lookedUp: string[] = [];
    const olderRecords = {
      source: 'sink fallback',
      lookup: (ip: string) => {
        lookedUp.push(ip);
        return {
          countryCode: 'JP',
          region: 'Tokyo',
          city: 'Tokyo',
          latitude: 35.68,
          longitude: 139.65,
          accuracyRadiusKm: null,
        };
      },
    };
    const sink = new WarehouseSink({
      bus,
      warehouse,
      logger,
      groupId: 'place-sink',
      topicNames: names,
      maxDelayMs: 20,
      olderRecords,
    });
    await sink.start();
    await waitFor(() => (sink.stats.rows.playback_events ?? 0) === 2, 'both events stored');
    await sink.stop();
    await bus.close();
    const result = await warehouse.client.query({
      query: `SELECT session_key, city, country_code FROM ${warehouse.table('playback_events')} WHERE session_key IN ('placed', 'older') ORDER BY session_key`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { session_key: 'older', city: 'Tokyo', country_code: 'JP' },
      { session_key: 'placed', city: 'Berlin', country_code: 'DE' },
    ]);
    expect(lookedUp).toEqual(['192.0.2.50']);
  });

  it('stores violations and trust changes, once each, with their evidence', async () => {
    const bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-sink-viol-')), logger });
    const names = {
      playbackEvents: 'v-events',
      serverMetrics: 'v-metrics',
      violations: 'v-violations',
      trustScoreChanges: 'v-trust',
      librarySnapshots: 'v-library',
    };
    await bus.ensureTopics([...Object.values(names), topics.deadLetter.name].map((name) => ({ name, partitions: 2 })));
    const producer = await bus.producer();
    const violation = sampleViolation({ violationId: 'viol-sink-1', userName: '<script>alert(1)</script>' });
    await publish(producer, { ...topics.violations, name: names.violations }, [violation, violation]);
    await publish(producer, { ...topics.trustScoreChanges, name: names.trustScoreChanges }, [
      sampleTrustScoreChange({ changeId: 'tc-sink-1', violationId: 'viol-sink-1' }),
    ]);
    const sink = new WarehouseSink({ bus, warehouse, logger, groupId: 'v-sink', topicNames: names, maxDelayMs: 20 });
    await sink.start();
    await waitFor(
      () => (sink.stats.rows.violations ?? 0) === 2 && (sink.stats.rows.trust_score_history ?? 0) === 1,
      'violations and trust changes stored',
    );
    await sink.stop();
    await bus.close();
    const result = await warehouse.client.query({
      query: `SELECT rule, user_name, summary, distance_km, speed_kmh, status, JSONExtractString(evidence_json, 'locations', 2, 'city') AS second_city FROM ${warehouse.table('violations')} FINAL WHERE violation_id = 'viol-sink-1'`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      {
        rule: 'IMPOSSIBLE_TRAVEL',
        user_name: '<script>alert(1)</script>',
        summary: violation.summary,
        distance_km: 5265,
        speed_kmh: 10530,
        status: 'OPEN',
        second_city: 'London',
      },
    ]);
    expect(
      await scalar(
        warehouse,
        `SELECT new_score FROM ${warehouse.table('trust_score_history')} FINAL WHERE change_id = 'tc-sink-1'`,
      ),
    ).toBe(80);
  });
});
