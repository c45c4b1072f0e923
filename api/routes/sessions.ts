// Live and past sessions: what plays now, the paged history, one play with its timeline, and where plays came from.
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance } from 'fastify';
import fresh from 'fresh';
import { can } from '../auth/plugin.ts';
import { AppError } from '../../core/errors.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DELIVERIES, HISTORY_FILTERS, SessionQueries, type HistoryFilter } from '../../warehouse/queries/index.ts';
import { ActiveSessions, errors, MapPlaces, SessionDetail, SessionPage } from '../contract.ts';
import { filters, rangeSchema, type RangeQuery } from './range.ts';
import { withNetwork } from '../network-view.ts';
import { withPoster } from '../poster.ts';
import type { LiveHub } from '../live.ts';

/** What narrows the history, here and in its export: the range, a search and the panels' columns. */
export type HistoryQuery = RangeQuery & HistoryFilter & { search?: string };

export const historyQueryProperties = {
  ...rangeSchema.properties,
  search: { type: 'string', maxLength: 200 },
  ...Object.fromEntries(
    Object.keys(HISTORY_FILTERS).map((name) => [
      name,
      { type: 'string', maxLength: 200, description: 'Only plays with exactly this value' },
    ]),
  ),
  delivery: {
    type: 'string',
    enum: [...DELIVERIES],
    description: 'Only plays transcoded (video or audio), remuxed, or played as they are',
  },
  titleKey: {
    type: 'string',
    maxLength: 600,
    description: 'Only plays of this title: the `titleKey` of a row of analytics/top-titles',
  },
};

export function historyFilterOf(query: HistoryQuery): HistoryFilter {
  return Object.fromEntries(
    [...Object.keys(HISTORY_FILTERS), 'delivery', 'titleKey'].flatMap((name) => {
      const value = query[name as keyof HistoryQuery];
      return value === undefined ? [] : [[name, value]];
    }),
  ) as HistoryFilter;
}

export async function sessionRoutes(
  app: FastifyInstance,
  { warehouse, live }: { warehouse: Warehouse; live?: LiveHub },
): Promise<void> {
  const sessions = new SessionQueries(warehouse);

  // From the live state when this process keeps one (no query per request, its JSON made once per
  // change of a play: api/live-hub.test.ts proves it the warehouse's answer), else the warehouse.
  app.get<{ Querystring: Pick<RangeQuery, 'servers'> }>(
    '/api/v1/sessions/active',
    {
      ...can('view'),
      schema: {
        description:
          'While plays change, the list is made at most every 0.5 s and kept for everyone who asks. ' +
          'It is sent gzipped to clients that accept gzip, with an ETag: asked with If-None-Match, an unchanged list answers 304.',
        querystring: { type: 'object', properties: { servers: rangeSchema.properties.servers } },
        response: {
          200: ActiveSessions,
          304: { description: 'The list is the one of the ETag sent', type: 'null' },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { serverIds } = filters({ servers: request.query.servers });
      if (live) {
        const answer = live.activeAnswer(serverIds);
        reply
          .header('etag', answer.etag)
          .header('cache-control', 'private, no-cache')
          .header('vary', 'accept-encoding')
          .type('application/json; charset=utf-8');
        // RFC 9110's If-None-Match: a list, "*", weak tags; and a reload's no-cache asks anew.
        if (fresh(request.headers, { etag: answer.etag })) return reply.code(304).send();
        if (answer.gzipped && negotiate(request.headers['accept-encoding'] ?? '', ['gzip', 'identity']) === 'gzip')
          return reply.header('content-encoding', 'gzip').send(answer.gzipped);
        return reply.send(answer.json);
      }
      return { sessions: (await sessions.active(Date.now(), serverIds)).map((s) => withPoster(withNetwork(s))) };
    },
  );

  app.get<{ Querystring: HistoryQuery & { cursor?: string; limit?: number } }>(
    '/api/v1/sessions/history',
    {
      ...can('view'),
      schema: {
        querystring: {
          ...rangeSchema,
          properties: {
            ...historyQueryProperties,
            cursor: { type: 'string', maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
        response: { 200: SessionPage, ...errors },
      },
    },
    async (request) => {
      const { search, cursor, limit } = request.query;
      const page = await sessions.history(filters(request.query), {
        search,
        cursor,
        limit,
        filter: historyFilterOf(request.query),
      });
      return { ...page, sessions: page.sessions.map((s) => withPoster(withNetwork(s))) };
    },
  );

  app.get<{ Params: { serverId: string; sessionKey: string } }>(
    '/api/v1/sessions/:serverId/:sessionKey',
    {
      ...can('view'),
      schema: {
        params: {
          type: 'object',
          properties: {
            serverId: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
            sessionKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: { 200: SessionDetail, ...errors },
      },
    },
    async (request) => {
      const { serverId, sessionKey } = request.params;
      const session = await sessions.one(serverId, sessionKey);
      if (!session) throw new AppError('not-found', `No play "${sessionKey}" on server "${serverId}".`);
      const timeline = (await sessions.timeline(serverId, sessionKey)).map((e) => ({
        ...e,
        at: Number(e.at),
        positionMs: Number(e.positionMs),
        bandwidthKbps: e.bandwidthKbps === null ? null : Number(e.bandwidthKbps),
      }));
      return { session: withPoster(withNetwork(session)), timeline };
    },
  );

  app.get<{ Querystring: RangeQuery & { limit?: number } }>(
    '/api/v1/map/places',
    {
      ...can('view'),
      schema: {
        querystring: {
          ...rangeSchema,
          properties: { ...rangeSchema.properties, limit: { type: 'integer', minimum: 1, maximum: 20000 } },
        },
        response: { 200: MapPlaces, ...errors },
      },
    },
    async (request) => {
      const f = filters(request.query);
      return { from: f.from, to: f.to, places: await sessions.places(f, request.query.limit) };
    },
  );
}
