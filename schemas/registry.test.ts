import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { registerSchemas } from './registry.ts';
import { allTopics, loadSchemaVersions } from './topics.ts';

// A registry speaking the Confluent REST API's register call: same schema, same id; an id per
// distinct schema; 422 for a body that is not an Avro schema.
const subjects = new Map<string, string[]>();
const ids = new Map<string, number>();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const match = /^\/subjects\/([^/]+)\/versions$/.exec(req.url ?? '');
      const body = JSON.parse(text) as { schema: string; schemaType: string };
      res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      let schema: { type?: string };
      try {
        schema = JSON.parse(body.schema) as { type?: string };
      } catch {
        schema = {};
      }
      if (req.method !== 'POST' || !match || body.schemaType !== 'AVRO' || schema.type !== 'record') {
        res.statusCode = 422;
        return res.end(JSON.stringify({ error_code: 42201, message: 'Invalid schema' }));
      }
      const subject = decodeURIComponent(match[1]!);
      const versions = subjects.get(subject) ?? [];
      if (!versions.includes(body.schema)) versions.push(body.schema);
      subjects.set(subject, versions);
      if (!ids.has(body.schema)) ids.set(body.schema, ids.size + 1);
      res.end(JSON.stringify({ id: ids.get(body.schema) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('schema registry', () => {
  it('registers every released version of every topic schema under <topic>-value, idempotently', async () => {
    const first = await registerSchemas(url, createLogger('test'));
    const expected = allTopics.reduce((n, t) => n + loadSchemaVersions(t.schemaFile).released.length, 0);
    expect(first).toHaveLength(expected);
    expect([...subjects.keys()].sort()).toEqual(allTopics.map((t) => `${t.name}-value`).sort());
    expect(subjects.get('streamwarden.playback-events-value')).toHaveLength(
      loadSchemaVersions('playback-event').released.length,
    );
    const again = await registerSchemas(url, createLogger('test'));
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
  });

  it('says which subject the registry refused', async () => {
    await expect(registerSchemas(`${url}nowhere/`, createLogger('test'))).rejects.toThrow(
      /refused streamwarden\.\S+-value version 1: 422/,
    );
  });
});
