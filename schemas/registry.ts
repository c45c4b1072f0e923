// Publishes every released version of every topic schema to a Confluent-compatible schema
// registry (Redpanda's built-in one, or Confluent's), subject `<topic>-value` (TopicNameStrategy),
// and from then on frames records in the Confluent wire format (zero byte, 4-byte registry id,
// Avro body) that Kafka Connect, ksqlDB, ClickHouse's AvroConfluent format and the confluent-kafka
// clients read. Records written before, in the single-object encoding, are still read.
import type { Logger } from '../core/logger.ts';
import { allTopics, loadSchemaVersions } from './topics.ts';

/** Our evolution rule in the registry's words: a new version reads every earlier one. */
const COMPATIBILITY = 'BACKWARD_TRANSITIVE';

export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
}

/** A topic's value subject (TopicNameStrategy), named as the broker knows the topic. */
const subjectOf = (topic: string, topicPrefix: string): string => `${topicPrefix}${topic}-value`;

export async function registerSchemas(
  registryUrl: string,
  logger: Logger,
  fetcher: typeof fetch = fetch,
  topicPrefix = '',
): Promise<RegisteredSchema[]> {
  const base = registryUrl.replace(/\/+$/, '');
  const registered: RegisteredSchema[] = [];
  for (const topic of allTopics) {
    // Named after the topic as the broker knows it, which is what consumers' deserializers look up.
    const subject = subjectOf(topic.name, topicPrefix);
    const { released } = loadSchemaVersions(topic.schemaFile);
    // The registry holds producers to our evolution rule: every version readable by the next ones.
    const config = await fetcher(`${base}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: COMPATIBILITY }),
    });
    if (!config.ok) {
      const body = (await config.json().catch(() => ({}))) as { message?: string };
      throw new Error(
        `schema registry ${base} refused compatibility ${COMPATIBILITY} for ${subject}: ${config.status} ${body.message ?? ''}`.trim(),
      );
    }
    for (const [index, schema] of released.entries()) {
      // Registering a schema the subject already has returns its id without a new version.
      const response = await fetcher(`${base}/subjects/${encodeURIComponent(subject)}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schemaType: 'AVRO', schema: JSON.stringify(schema) }),
      });
      const body = (await response.json().catch(() => ({}))) as { id?: number; message?: string };
      if (!response.ok || typeof body.id !== 'number') {
        throw new Error(
          `schema registry ${base} refused ${subject} version ${index + 1}: ${response.status} ${body.message ?? ''}`.trim(),
        );
      }
      registered.push({ subject, version: index + 1, id: body.id });
    }
  }
  logger.info(
    { registry: base, subjects: new Set(registered.map((r) => r.subject)).size, schemas: registered.length },
    'topic schemas registered',
  );
  return registered;
}

/** A registry that cannot be reached (as opposed to one that refused a schema). */
class RegistryUnreachable extends Error {}

/**
 * Registers the schemas, waiting for a registry that is down (with back-off, at most `attempts`
 * tries), then frames every topic's records with their registry ids. A refusal (an incompatible
 * change) stops the start-up with the registry's message: producers never fall back to unframed
 * records silently.
 */
export async function useSchemaRegistry(
  registryUrl: string,
  logger: Logger,
  options: {
    attempts?: number;
    fetcher?: typeof fetch;
    sleep?: (ms: number) => Promise<void>;
    /** KAFKA_TOPIC_PREFIX: subjects follow the topics' names on the broker. */
    topicPrefix?: string;
  } = {},
): Promise<RegisteredSchema[]> {
  const fetcher = options.fetcher ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const reaching: typeof fetch = (input, init) =>
    fetcher(input, init).catch((err: unknown) => {
      throw new RegistryUnreachable((err as Error).cause ? String((err as Error).cause) : (err as Error).message);
    });
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      const prefix = options.topicPrefix ?? '';
      const registered = await registerSchemas(registryUrl, logger, reaching, prefix);
      for (const topic of allTopics) {
        const { released } = loadSchemaVersions(topic.schemaFile);
        const mine = registered.filter((r) => r.subject === subjectOf(topic.name, prefix));
        const ids = new Map(mine.map((r) => [r.id, released[r.version - 1]!] as const));
        topic.codec.useRegistry(mine.at(-1)!.id, ids);
      }
      return registered;
    } catch (err) {
      if (!(err instanceof RegistryUnreachable) || attempt >= attempts) throw err;
      const waitMs = Math.min(30_000, 1000 * 2 ** (attempt - 1));
      logger.warn(
        { registry: registryUrl, attempt, waitMs, err: err.message },
        'schema registry unreachable; trying again',
      );
      await sleep(waitMs);
    }
  }
}
