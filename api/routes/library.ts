// Library analytics from the library snapshots.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { LibraryQueries } from '../../warehouse/queries/index.ts';
import { commaList } from './range.ts';
import { withItemPoster } from '../poster.ts';
import { Distribution, errors, HeldItems, Libraries, MostWatched, NeverWatched } from '../contract.ts';

const query = {
  type: 'object',
  properties: {
    servers: { type: 'string', pattern: '^[a-z0-9_,-]*$', description: 'Comma-separated server ids' },
    by: { type: 'string', enum: ['resolution', 'videoCodec', 'audioCodec', 'container'] },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

interface LibraryQuery {
  servers?: string;
  by?: 'resolution' | 'videoCodec' | 'audioCodec' | 'container';
  limit?: number;
}

export async function libraryRoutes(app: FastifyInstance, { warehouse }: { warehouse: Warehouse }): Promise<void> {
  const library = new LibraryQueries(warehouse);
  const servers = (q: LibraryQuery) => commaList(q.servers) ?? [];
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/libraries',
    { ...can('view'), schema: { querystring: query, response: { 200: Libraries, ...errors } } },
    async (r) => ({ libraries: await library.libraries(servers(r.query)) }),
  );
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/distribution',
    { ...can('view'), schema: { querystring: query, response: { 200: Distribution, ...errors } } },
    async (r) => ({
      by: r.query.by ?? 'resolution',
      data: await library.distribution(r.query.by ?? 'resolution', servers(r.query)),
    }),
  );
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/most-watched',
    { ...can('view'), schema: { querystring: query, response: { 200: MostWatched, ...errors } } },
    async (r) => ({ items: (await library.mostWatched(r.query.limit ?? 20, servers(r.query))).map(withItemPoster) }),
  );
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/never-watched',
    { ...can('view'), schema: { querystring: query, response: { 200: NeverWatched, ...errors } } },
    async (r) => ({ items: (await library.neverWatched(r.query.limit ?? 100, servers(r.query))).map(withItemPoster) }),
  );
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/duplicates',
    {
      ...can('view'),
      schema: {
        querystring: query,
        description: 'Items held more than once on one server (the same outside id, or title, year and episode)',
        response: { 200: HeldItems, ...errors },
      },
    },
    async (r) => ({ items: (await library.duplicates(servers(r.query))).map(withItemPoster) }),
  );
  app.get<{ Querystring: LibraryQuery }>(
    '/api/v1/library/on-several-servers',
    {
      ...can('view'),
      schema: {
        querystring: query,
        description: 'Items held on more than one server: the same film or episode, not a duplicate',
        response: { 200: HeldItems, ...errors },
      },
    },
    async (r) => ({ items: (await library.onSeveralServers(servers(r.query))).map(withItemPoster) }),
  );
}
