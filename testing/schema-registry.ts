// A stand-in for a Confluent-compatible schema registry, for tests where no real one runs: the
// register call (same schema, same id; an id per distinct schema; 422 for a body that is no Avro
// record schema) and the schema of an id, as producers and consumers (confluent-kafka, ClickHouse's
// AvroConfluent format) call them. Anything else answers 404 and is listed in `unknown`.
import { createServer } from 'node:http';

export interface StandInRegistry {
  url: string;
  subjects: Map<string, string[]>;
  /** Compatibility level set per subject (PUT /config/{subject}). */
  compatibility: Map<string, string>;
  unknown: string[];
  close(): Promise<void>;
}

export async function startStandInRegistry(): Promise<StandInRegistry> {
  const subjects = new Map<string, string[]>();
  const ids = new Map<string, number>();
  const unknown: string[] = [];
  const compatibility = new Map<string, string>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      const byId = /^\/schemas\/ids\/(\d+)$/.exec(path);
      if (req.method === 'GET' && byId) {
        const schema = [...ids].find(([, id]) => id === Number(byId[1]))?.[0];
        res.statusCode = schema ? 200 : 404;
        return res.end(JSON.stringify(schema ? { schema } : { error_code: 40403, message: 'Schema not found' }));
      }
      const config = /^\/config\/([^/]+)$/.exec(path);
      if (req.method === 'PUT' && config) {
        const level = (JSON.parse(text || '{}') as { compatibility?: string }).compatibility ?? '';
        compatibility.set(decodeURIComponent(config[1]!), level);
        return res.end(JSON.stringify({ compatibility: level }));
      }
      const match = /^\/subjects\/([^/]+)\/versions$/.exec(path);
      if (req.method !== 'POST' || !match) {
        unknown.push(`${req.method} ${req.url}`);
        res.statusCode = 404;
        return res.end(JSON.stringify({ error_code: 404, message: 'HTTP 404 Not Found' }));
      }
      let body: { schema?: string; schemaType?: string };
      let schema: { type?: string };
      try {
        body = JSON.parse(text) as typeof body;
        schema = JSON.parse(body.schema ?? '') as { type?: string };
      } catch {
        body = {};
        schema = {};
      }
      if (body.schemaType !== 'AVRO' || schema.type !== 'record') {
        res.statusCode = 422;
        return res.end(JSON.stringify({ error_code: 42201, message: 'Invalid schema' }));
      }
      const subject = decodeURIComponent(match[1]!);
      const versions = subjects.get(subject) ?? [];
      if (!versions.includes(body.schema!)) versions.push(body.schema!);
      subjects.set(subject, versions);
      if (!ids.has(body.schema!)) ids.set(body.schema!, ids.size + 1);
      res.end(JSON.stringify({ id: ids.get(body.schema!) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    subjects,
    compatibility,
    unknown,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
