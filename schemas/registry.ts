// Publishes every released version of every topic schema to a Confluent-compatible schema
// registry (Redpanda's built-in one, or Confluent's), subject `<topic>-value`, so downstream
// consumers can look the contract up. Records stay in Avro single-object encoding: the registry
// documents them, it does not frame them.
import type { Logger } from '../core/logger.ts';
import { allTopics, loadSchemaVersions } from './topics.ts';

export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
}

export async function registerSchemas(
  registryUrl: string,
  logger: Logger,
  fetcher: typeof fetch = fetch,
): Promise<RegisteredSchema[]> {
  const base = registryUrl.replace(/\/+$/, '');
  const registered: RegisteredSchema[] = [];
  for (const topic of allTopics) {
    const subject = `${topic.name}-value`;
    const { released } = loadSchemaVersions(topic.schemaFile);
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
