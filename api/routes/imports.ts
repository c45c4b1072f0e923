// Importing Tautulli or Jellystat history from the dashboard: upload a file (or give Tautulli's
// address), then follow the job's progress.
import { createWriteStream } from 'node:fs';
import { can } from '../auth/plugin.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { ImportJobs } from '../../importers/jobs.ts';
import { freeUploadBytes, newUploadDir } from '../../importers/upload-files.ts';
import { errors, Import, Imports } from '../contract.ts';
import { checkTimeZone } from '../../core/time-zone.ts';

const SERVER_ID = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: "The media server's id in Streamwarden this history belongs to",
} as const;
/**
 * Tautulli databases of long-running installs reach a few GB. Uploads are streamed to disk and
 * every importer reads its file as a stream, so the limit is about disk, not memory.
 */
const MAX_UPLOAD = 8 * 1024 ** 3;
const TOO_LARGE = `uploads are limited to ${MAX_UPLOAD / 1024 ** 3} GiB; import a larger history with the command line (npm run import), which reads the file where it is`;

export async function importRoutes(app: FastifyInstance, { jobs }: { jobs: ImportJobs }): Promise<void> {
  // Uploads are streamed to a temporary file, never held in memory.
  app.addContentTypeParser('application/octet-stream', { bodyLimit: MAX_UPLOAD }, (_request, payload, done) =>
    done(null, payload),
  );
  app.addHook('onError', async (request, _reply, error) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') error.message = TOO_LARGE;
  });

  app.post<{
    Querystring: {
      kind: 'tautulli-db' | 'jellystat' | 'playback-reporting';
      serverId: string;
      serverType?: 'JELLYFIN' | 'EMBY';
      timeZone?: string;
      name?: string;
    };
    Body: Readable;
  }>(
    '/api/v1/imports/file',
    {
      ...can('manage', 'import.start'),
      bodyLimit: MAX_UPLOAD,
      schema: {
        querystring: {
          type: 'object',
          required: ['kind', 'serverId'],
          additionalProperties: false,
          properties: {
            kind: {
              type: 'string',
              enum: ['tautulli-db', 'jellystat', 'playback-reporting'],
              description:
                "tautulli.db; a Jellystat backup; the Jellyfin Playback Reporting plugin's playback_reporting.db",
            },
            serverId: SERVER_ID,
            serverType: { type: 'string', enum: ['JELLYFIN', 'EMBY'] },
            timeZone: {
              type: 'string',
              maxLength: 64,
              description:
                "playback-reporting: the Jellyfin server's time zone (IANA), in which the plugin wrote its times (default UTC)",
            },
            name: { type: 'string', maxLength: 255, description: "The file's own name, used in messages about it" },
          },
        },
        response: { 202: Import, ...errors },
      },
    },
    async (request, reply) => {
      if (!request.body || typeof (request.body as Readable).pipe !== 'function')
        throw new AppError('invalid', 'send the file as the body with Content-Type: application/octet-stream');
      // A wrong zone refused before the upload is read, not after as a failed import.
      if (request.query.timeZone) checkTimeZone(request.query.timeZone);
      const length = Number(request.headers['content-length']);
      if (length > MAX_UPLOAD) throw new AppError('too-large', TOO_LARGE);
      const free = await freeUploadBytes();
      if (Number.isFinite(length) && free !== undefined && length > free) {
        const mib = (bytes: number) => Math.round(bytes / 1024 ** 2);
        throw new AppError(
          'insufficient-storage',
          `not enough free disk space for this upload (${mib(length)} MiB, ${mib(free)} MiB free)`,
        );
      }
      const dir = await newUploadDir();
      const file = join(
        dir,
        { 'tautulli-db': 'tautulli.db', jellystat: 'backup.json', 'playback-reporting': 'playback_reporting.db' }[
          request.query.kind
        ],
      );
      try {
        await pipeline(request.body, createWriteStream(file, { mode: 0o600 }));
      } catch (err) {
        // An interrupted or refused upload leaves nothing behind.
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      const { kind, serverId, serverType } = request.query;
      // Control characters would let a file name forge lines in logs and messages.
      const name = [...(request.query.name ?? '')].filter((c) => c >= ' ').join('') || 'the uploaded file';
      const job =
        kind === 'tautulli-db'
          ? jobs.start({ kind, path: file, name, serverId }, dir)
          : kind === 'playback-reporting'
            ? jobs.start({ kind, path: file, name, serverId, timeZone: request.query.timeZone ?? 'UTC' }, dir)
            : jobs.start({ kind, path: file, name, serverId, serverType }, dir);
      return reply.code(202).send(job);
    },
  );

  app.post<{ Body: { url: string; apiKey: string; serverId: string } }>(
    '/api/v1/imports/tautulli-api',
    {
      ...can('manage', 'import.start'),
      schema: {
        body: {
          type: 'object',
          required: ['url', 'apiKey', 'serverId'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', pattern: '^https?://', maxLength: 2000 },
            apiKey: { type: 'string', minLength: 1, maxLength: 200 },
            serverId: SERVER_ID,
          },
        },
        response: { 202: Import, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(jobs.start({ kind: 'tautulli-api', ...request.body })),
  );

  app.get('/api/v1/imports', { ...can('manage'), schema: { response: { 200: Imports, ...errors } } }, async () => ({
    jobs: jobs.list(),
  }));

  app.get<{ Params: { id: string } }>(
    '/api/v1/imports/:id',
    { ...can('manage'), schema: { response: { 200: Import, ...errors } } },
    async (request) => {
      const job = jobs.get(request.params.id);
      if (!job) throw new AppError('not-found', 'No such import.');
      return job;
    },
  );
}
