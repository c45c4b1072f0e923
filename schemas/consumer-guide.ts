// docs/consumers.md, written from the topic list and the Avro schemas themselves, so that the guide
// a downstream team reads cannot drift from what is on the topics: `npm run docs:consumers`
// rewrites it and schemas/consumer-guide.test.ts fails when it is stale.
import { allTopics, loadSchemaVersions, type TopicSpec } from './topics.ts';

/** What each topic is for and who writes it. */
const ABOUT: Record<string, string> = {
  'streamwarden.playback-events':
    'Every change of every play on every media server (started, progress, paused, resumed, stopped), as the connectors saw it, with its place. Written by the connectors and by history imports.',
  'streamwarden.person-plays':
    "The events of accounts linked to one person, copied and keyed by the person so that one consumer sees all of a person's accounts. Internal to the processor; read it only if you need that grouping.",
  'streamwarden.server-metrics': "Each media server's status and load, one sample a poll. Written by the connectors.",
  'streamwarden.violations':
    'Findings of the detection rules, one record per finding (the same id when a replay finds it again). Written by the processor.',
  'streamwarden.trust-score-changes':
    "Every change of an account's trust score and why (a finding, a false alarm, an adjustment, recovery). Written by the processor.",
  'streamwarden.events':
    "What an operator may want to hear about beside findings: each play's start, stop, pause, resume and first transcode, and each media server going down, coming back or refusing its credentials. Written by the processor; the same id when a replay finds it again.",
  'streamwarden.library-snapshots': "Pages of a media server's library, a complete snapshot per library and sync.",
  'streamwarden.stream-commands': 'Requests to stop a stream, from the API to the connectors. Internal.',
  'streamwarden.auth-revocations': 'Signed-out sessions and deleted tokens, for every API process. Internal.',
  'streamwarden.dead-letter':
    'Records a consumer could not decode or validate, kept with where they came from and why, instead of dropped.',
};

/** How a topic's key is made, for the guide. */
const KEYS: Record<string, string> = {
  'streamwarden.playback-events': '`accountKey` (server_id:user_id)',
  'streamwarden.person-plays': '`personId`, or `accountKey` for an account of no person',
  'streamwarden.server-metrics': '`serverId`',
  'streamwarden.violations': '`accountKey`',
  'streamwarden.trust-score-changes': '`accountKey`',
  'streamwarden.events': "`accountKey`, or `serverId` for a server's events",
  'streamwarden.library-snapshots': '`serverId:libraryId`',
  'streamwarden.stream-commands': '`serverId`',
  'streamwarden.auth-revocations': 'the credential id',
  'streamwarden.dead-letter': "the original record's key",
};

type Schema =
  | string
  | {
      type: unknown;
      name?: string;
      fields?: Field[];
      items?: unknown;
      values?: unknown;
      symbols?: string[];
      logicalType?: string;
    };
interface Field {
  name: string;
  type: Schema | Schema[];
  doc?: string;
  default?: unknown;
}

/** A type as a reader of the guide says it: "optional string", "array of string", "enum (A, B)". */
function typeName(type: Schema | Schema[]): string {
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null');
    return `${others.length < type.length ? 'optional ' : ''}${others.map((t) => typeName(t)).join(' or ')}`;
  }
  if (typeof type === 'string') return type;
  if (type.logicalType === 'timestamp-millis') return 'timestamp (ms since the epoch)';
  if (type.type === 'record') return `record ${type.name}`;
  if (type.type === 'enum') return `enum (${(type.symbols ?? []).join(', ')})`;
  if (type.type === 'array') return `array of ${typeName(type.items as Schema)}`;
  if (type.type === 'map') return `map of ${typeName(type.values as Schema)}`;
  return typeName(type.type as Schema);
}

/** Every field, nested records flattened with dotted names (arrays of records with `[]`). */
function fieldRows(fields: Field[], prefix = ''): string[] {
  return fields.flatMap((f) => {
    const name = `${prefix}${f.name}`;
    const row = `| \`${name}\` | ${typeName(f.type).replaceAll('|', '\\|')} | ${(f.doc ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ')} |`;
    const inner = (Array.isArray(f.type) ? f.type : [f.type]).flatMap((t) => {
      if (typeof t === 'object' && t.type === 'record' && t.fields) return fieldRows(t.fields, `${name}.`);
      if (typeof t === 'object' && t.type === 'array' && typeof t.items === 'object' && t.items !== null) {
        const items = t.items as Schema;
        if (typeof items === 'object' && items.type === 'record' && items.fields)
          return fieldRows(items.fields, `${name}[].`);
      }
      return [];
    });
    return [row, ...inner];
  });
}

function schemaSection(file: string, topicNames: string[]): string {
  const { current, released } = loadSchemaVersions(file);
  const schema = current as { name: string; doc?: string; fields: Field[] };
  return [
    `### ${schema.name} (\`schemas/${file}.avsc\`, version ${released.length})`,
    '',
    `On ${topicNames.map((t) => `\`${t}\``).join(', ')}. ${schema.doc ?? ''}`.trim(),
    '',
    '| Field | Type | Meaning |',
    '| --- | --- | --- |',
    ...fieldRows(schema.fields),
    '',
  ].join('\n');
}

export function renderConsumerGuide(): string {
  const bySchema = new Map<string, TopicSpec<unknown>[]>();
  for (const t of allTopics) bySchema.set(t.schemaFile, [...(bySchema.get(t.schemaFile) ?? []), t]);
  return [
    '# Reading Streamwarden from Kafka',
    '',
    '<!-- Written by `npm run docs:consumers` from schemas/topics.ts and schemas/*.avsc; edit those, not this file. -->',
    '',
    "For teams that consume Streamwarden's topics without its dashboard. Every value is Avro. With a",
    'schema registry (`SCHEMA_REGISTRY_URL`), records are in the **Confluent wire format** (a zero byte, the',
    '4-byte registry id of the writer schema, the Avro body), registered under `<topic>-value`: Kafka',
    "Connect's AvroConverter, ksqlDB, Flink and Spark registry formats, Redpanda Console, the",
    "`confluent-kafka` clients' `AvroDeserializer` and ClickHouse's `AvroConfluent` format read them as",
    "they are. Without a registry they are in Avro's **single-object encoding** (`C3 01`, the 8-byte",
    'CRC-64-AVRO fingerprint of the writer schema, the body); the schemas are in `schemas/history/`.',
    'Keys are UTF-8 strings.',
    '',
    '## The compatibility promise',
    '',
    'A schema changes only compatibly: fields are added with defaults, enum symbols only where the enum',
    'has a default (a reader on an older version sees a newer rule as `UNKNOWN`). Every released version',
    'stays readable by the current one, and a test fails otherwise. Consumers first, producers after:',
    'deploy a consumer that knows the new version before the producers that write it.',
    '',
    '## Topics',
    '',
    'Records with the same key go to the same partition, in order; there is no order across keys. Topics',
    "use the broker's default retention (7 days on Kafka and Redpanda unless you change it), except the",
    'compacted ones, which keep the latest record per key. Partitions: `KAFKA_PARTITIONS` (default 12).',
    'With `KAFKA_TOPIC_PREFIX` set, every topic below (and its schema registry subject) carries that',
    'prefix on the broker: `KAFKA_TOPIC_PREFIX=tv.` makes `streamwarden.playback-events` `tv.streamwarden.playback-events`.',
    '',
    '| Topic | Key | Cleanup | What it carries |',
    '| --- | --- | --- | --- |',
    ...allTopics.map((t) => `| \`${t.name}\` | ${KEYS[t.name] ?? '-'} | ${t.cleanupPolicy} | ${ABOUT[t.name] ?? ''} |`),
    '',
    '## Examples, each run by a test',
    '',
    "- **Python** with `confluent-kafka` and the registry's `AvroDeserializer`:",
    '  [`testing/python/read_topics.py`](../testing/python/read_topics.py), run against the real broker by',
    '  `schemas/downstream-consumers.test.ts`:',
    '',
    '  ```sh',
    '  pip install confluent-kafka fastavro requests attrs cachetools httpx authlib',
    '  python read_topics.py localhost:19092 http://localhost:18081 my-team 100 streamwarden.violations',
    '  ```',
    '',
    '- **ClickHouse** reading records through the registry with the `AvroConfluent` format',
    '  (`schemas/registry.test.ts`), e.g. from a file of records:',
    '',
    '  ```sql',
    "  SELECT sessionKey, serverId, accountKey FROM file('records.bin', 'AvroConfluent', 'sessionKey String, serverId String, accountKey String')",
    "  SETTINGS format_avro_schema_registry_url = 'http://localhost:18081'",
    '  ```',
    '',
    '- **ClickHouse, your own warehouse**: a Kafka engine table reads the topic through the registry and',
    '  a materialized view keeps what it reads (`schemas/clickhouse-kafka-engine.test.ts`):',
    '',
    '  ```sql',
    '  CREATE TABLE plays_queue (eventId String, eventType String, observedAt DateTime64(3), accountKey String, sessionKey String)',
    "  ENGINE = Kafka SETTINGS kafka_broker_list = 'localhost:19092', kafka_topic_list = 'streamwarden.playback-events',",
    "    kafka_group_name = 'my-warehouse', kafka_format = 'AvroConfluent',",
    "    format_avro_schema_registry_url = 'http://localhost:18081';",
    '  CREATE TABLE my_plays (eventId String, eventType String, observedAt DateTime64(3), accountKey String, sessionKey String)',
    '  ENGINE = MergeTree ORDER BY (accountKey, observedAt);',
    '  CREATE MATERIALIZED VIEW my_plays_mv TO my_plays AS SELECT * FROM plays_queue;',
    '  ```',
    '',
    '  Columns are chosen by name from the record; add any field of the schema below.',
    '',
    '- **Java** with the Apache Kafka client and Apache Avro only (both on Maven Central):',
    '  [`testing/java/ReadTopics.java`](../testing/java/ReadTopics.java) strips the 5-byte frame, asks the',
    '  registry for the writer schema of the id once (`GET /schemas/ids/{id}`) and decodes with a',
    '  `GenericDatumReader`; run against the real broker by `schemas/downstream-consumers.test.ts`, with the',
    '  libraries of [`testing/java/pom.xml`](../testing/java/pom.xml):',
    '',
    '  ```sh',
    '  mvn -q -f pom.xml dependency:build-classpath -Dmdep.outputFile=cp.txt',
    '  java -cp "$(cat cp.txt)" ReadTopics.java localhost:19092 http://localhost:18081 my-team 100 streamwarden.violations',
    '  ```',
    '',
    "  Teams that have Confluent's Maven repository can use its deserializer instead, with the same",
    '  registry and no code of their own (not run by the tests here: that repository is not Maven Central):',
    '',
    '  ```properties',
    '  key.deserializer=org.apache.kafka.common.serialization.StringDeserializer',
    '  value.deserializer=io.confluent.kafka.serializers.KafkaAvroDeserializer',
    '  schema.registry.url=http://localhost:18081',
    '  specific.avro.reader=false',
    '  ```',
    '',
    'For SQL over what Streamwarden stores, rather than the topics, see the public views in',
    '[`warehouse/README.md`](../warehouse/README.md#public-views).',
    '',
    '## Schemas',
    '',
    ...[...bySchema].map(([file, specs]) =>
      schemaSection(
        file,
        specs.map((s) => s.name),
      ),
    ),
  ].join('\n');
}
