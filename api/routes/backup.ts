// A backup downloaded from the dashboard while Streamwarden runs (the owner's), streamed as it is
// written. It never holds the secret key: `npm run backup -- --with-key` can add it, knowingly.
// A failure halfway cuts the download short, and a cut archive is refused by restore.
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/client.ts';
import { writeBackup } from '../../warehouse/backup.ts';
import { can } from '../auth/plugin.ts';

export async function backupRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  app.get<{ Querystring: { history?: boolean } }>(
    '/api/v1/backup',
    {
      ...can('owner', 'backup.download'),
      schema: {
        description:
          'The install as one archive (gzip, JSON lines) for `npm run restore`: configuration, users, rules, servers with their tokens still sealed, and with history=true every play, violation and trust change.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { history: { type: 'boolean', default: true } },
        },
        response: {
          200: {
            description: 'The archive, streamed',
            content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const body = new PassThrough();
      const history = request.query.history !== false;
      writeBackup(warehouse, body, { history }).catch((err: unknown) => {
        request.log.error({ err }, 'backup download failed halfway');
        body.destroy(err as Error);
      });
      const name = `streamwarden-backup-${new Date().toISOString().slice(0, 10)}${history ? '' : '-config'}.jsonl.gz`;
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
