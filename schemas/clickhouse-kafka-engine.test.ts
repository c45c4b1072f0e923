// The guide's ClickHouse example for teams that keep their own warehouse: a Kafka engine table in
// the AvroConfluent format reads a registry-framed topic straight from the real broker, and a
// materialized view stores what it reads. (docs/consumers.md, "Examples".)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { startStandInRegistry, type StandInRegistry } from '../testing/schema-registry.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { useSchemaRegistry } from './registry.ts';
import { topics } from './topics.ts';

let registry: StandInRegistry;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
const bus = newKafkaBus();

beforeAll(async () => {
  registry = await startStandInRegistry();
  await useSchemaRegistry(registry.url, createLogger('test'));
  warehouse = await openTestWarehouse();
});
afterAll(async () => {
  await bus.close();
  await warehouse?.drop();
  await registry?.close();
});

describe('ClickHouse Kafka engine', () => {
  it('reads the framed playback events into a table of its own', { timeout: 120_000 }, async () => {
    const topic = uniqueName('streamwarden.playback-events');
    await bus.ensureTopics([{ name: topic }]);
    const events = ['ck-1', 'ck-2', 'ck-3'].map((sessionKey) => samplePlaybackEvent({ sessionKey }));
    const producer = await bus.producer();
    await producer.send(
      topic,
      events.map((e) => ({ key: e.accountKey, value: topics.playbackEvents.codec.encode(e) })),
    );
    await producer.close();

    const db = warehouse.database;
    const command = (query: string) => warehouse.client.command({ query });
    await command(`CREATE TABLE ${db}.plays_queue (eventId String, eventType String, observedAt DateTime64(3), accountKey String, sessionKey String)
      ENGINE = Kafka SETTINGS kafka_broker_list = '${testBrokers().join(',')}', kafka_topic_list = '${topic}',
        kafka_group_name = '${uniqueName('clickhouse')}', kafka_format = 'AvroConfluent',
        format_avro_schema_registry_url = '${registry.url.replace(/\/$/, '')}'`);
    await command(`CREATE TABLE ${db}.my_plays (eventId String, eventType String, observedAt DateTime64(3), accountKey String, sessionKey String)
      ENGINE = MergeTree ORDER BY (accountKey, observedAt)`);
    await command(`CREATE MATERIALIZED VIEW ${db}.my_plays_mv TO ${db}.my_plays AS SELECT * FROM ${db}.plays_queue`);

    const stored = async () =>
      (
        await (
          await warehouse.client.query({
            query: `SELECT sessionKey, eventType, accountKey FROM ${db}.my_plays ORDER BY sessionKey`,
            format: 'JSONEachRow',
          })
        ).json()
      ).length;
    const deadline = Date.now() + 60_000;
    while ((await stored()) < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const rows = await (
      await warehouse.client.query({
        query: `SELECT sessionKey, eventType, accountKey FROM ${db}.my_plays ORDER BY sessionKey`,
        format: 'JSONEachRow',
      })
    ).json();
    expect(rows).toEqual(
      events.map((e) => ({ sessionKey: e.sessionKey, eventType: 'STARTED', accountKey: e.accountKey })),
    );
    await command(`DROP TABLE ${db}.my_plays_mv`);
    await command(`DROP TABLE ${db}.plays_queue`);
  });
});
