// Serves the built dashboard from the API's port: hashed assets cached for good, index.html for
// every other page path so client-side routes survive a reload; unknown /api paths stay JSON 404s.
// The app's files are public (the data they show comes from private routes).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import { publicRoutes } from './auth/plugin.ts';

export const DEFAULT_DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard', 'app', 'build');
const NOT_PAGES = /^\/(api|api-docs|health|metrics)(\/|$)/;

export async function serveDashboard(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  await publicRoutes(app, async (scope) => {
    if (built) {
      await scope.register(fastifyStatic, {
        root: dir,
        wildcard: false,
        index: false,
        setHeaders: (res, path) => {
          res.header(
            'cache-control',
            path.includes('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        },
      });
    }
    scope.setNotFoundHandler(async (request, reply) => {
      const path = request.url.split('?')[0]!;
      if (request.method !== 'GET' || NOT_PAGES.test(path)) {
        throw new AppError('not-found', `No route ${request.method} ${path}.`);
      }
      if (!built)
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The dashboard is not built: run `npm run build` (npm start does it for you).');
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  });
}
