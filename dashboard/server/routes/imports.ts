// Importing Tautulli or Jellystat history from the dashboard: upload a file (or give Tautulli's
// address), then follow the job's progress.
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ImportJobs } from '../../../importers/jobs.ts';

const SERVER_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: "The media server's id in Streamwarden this history belongs to" } as const;
/** Tautulli databases of long-running installs reach a few GB. */
const MAX_UPLOAD = 8 * 1024 ** 3;

export async function importRoutes(app: FastifyInstance, { jobs }: { jobs: ImportJobs }): Promise<void> {
  // Uploads are streamed to a temporary file, never held in memory.
  app.addContentTypeParser('application/octet-stream', { bodyLimit: MAX_UPLOAD }, (_request, payload, done) => done(null, payload));

  app.post<{ Querystring: { kind: 'tautulli-db' | 'jellystat'; serverId: string; serverType?: 'JELLYFIN' | 'EMBY' }; Body: Readable }>(
    '/api/v1/imports/file',
    {
      bodyLimit: MAX_UPLOAD,
      schema: {
        querystring: { type: 'object', required: ['kind', 'serverId'], additionalProperties: false, properties: { kind: { type: 'string', enum: ['tautulli-db', 'jellystat'] }, serverId: SERVER_ID, serverType: { type: 'string', enum: ['JELLYFIN', 'EMBY'] } } },
      },
    },
    async (request, reply) => {
      if (!request.body || typeof (request.body as Readable).pipe !== 'function') {
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'send the file as the body with Content-Type: application/octet-stream' });
      }
      const dir = await mkdtemp(join(tmpdir(), 'sw-import-'));
      const file = join(dir, request.query.kind === 'tautulli-db' ? 'tautulli.db' : 'backup.json');
      await pipeline(request.body, createWriteStream(file));
      const { kind, serverId, serverType } = request.query;
      const job = kind === 'tautulli-db' ? jobs.start({ kind, path: file, serverId }, dir) : jobs.start({ kind, path: file, serverId, serverType }, dir);
      return reply.code(202).send(job);
    },
  );

  app.post<{ Body: { url: string; apiKey: string; serverId: string } }>(
    '/api/v1/imports/tautulli-api',
    {
      schema: {
        body: { type: 'object', required: ['url', 'apiKey', 'serverId'], additionalProperties: false, properties: { url: { type: 'string', pattern: '^https?://', maxLength: 2000 }, apiKey: { type: 'string', minLength: 1, maxLength: 200 }, serverId: SERVER_ID } },
      },
    },
    async (request, reply) => reply.code(202).send(jobs.start({ kind: 'tautulli-api', ...request.body })),
  );

  app.get('/api/v1/imports', async () => ({ jobs: jobs.list() }));

  app.get<{ Params: { id: string } }>('/api/v1/imports/:id', async (request, reply) => {
    const job = jobs.get(request.params.id);
    return job ?? reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such import.' });
  });
}
