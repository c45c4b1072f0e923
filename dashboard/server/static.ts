// Serves the built dashboard from the API's port: hashed assets cached for good, index.html for
// every other page path so client-side routes survive a reload; unknown /api paths stay JSON 404s.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'app', 'build');
const NOT_PAGES = /^\/(api|api-docs|health|metrics)(\/|$)/;

export async function serveDashboard(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      wildcard: false,
      index: false,
      setHeaders: (res, path) => {
        res.header('cache-control', path.includes('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.addHook('onSend', async (request, reply) => {
    if (NOT_PAGES.test(request.url)) return;
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (request.method !== 'GET' || NOT_PAGES.test(path)) {
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${path}.` });
    }
    if (!built) return reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` (npm start does it for you).');
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
