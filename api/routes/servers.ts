// Media servers: list with live status, add, change, remove, and test a connection before saving.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ServerConfigError, UnknownServerError } from '../../connectors/config.ts';
import type { ConnectorStatus } from '../../connectors/server-connector.ts';
import {
  ReadOnlyServersError,
  ServerExistsError,
  testConnection,
  type ServerRegistry,
} from '../../connectors/server-registry.ts';

export interface ServersOptions {
  registry: ServerRegistry;
  clientId: string;
  serverStatus?: () => ConnectorStatus[];
}

const ID = '^[a-z0-9][a-z0-9_-]{0,63}$';
const serverProperties = {
  id: {
    type: 'string',
    pattern: ID,
    description: 'Stable id used in account keys: lowercase letters, digits, - and _',
  },
  name: { type: 'string', maxLength: 200 },
  type: { type: 'string', enum: ['plex', 'jellyfin', 'emby'] },
  url: { type: 'string', maxLength: 2000, description: 'e.g. http://192.168.1.10:32400' },
  token: { type: 'string', minLength: 1, maxLength: 500, description: 'X-Plex-Token or API key; never returned' },
  enabled: { type: 'boolean' },
  pollIntervalMs: { type: 'integer', minimum: 1000, maximum: 600000 },
  latitude: { type: 'number', minimum: -90, maximum: 90, description: "The server's location, for the map's arcs" },
  longitude: { type: 'number', minimum: -180, maximum: 180 },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: ID } } } as const;

function refuse(reply: FastifyReply, err: unknown) {
  if (err instanceof ReadOnlyServersError || err instanceof ServerExistsError)
    return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: err.message });
  if (err instanceof UnknownServerError)
    return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: err.message });
  if (err instanceof ServerConfigError)
    return reply
      .code(400)
      .send({ statusCode: 400, error: 'Bad Request', message: err.message.replace(/^server, server 1/, 'server') });
  throw err;
}

export async function serversRoutes(
  app: FastifyInstance,
  { registry, clientId, serverStatus }: ServersOptions,
): Promise<void> {
  // Live connector status: none when the connectors run in another process.
  app.get('/api/v1/servers/status', async () => ({ servers: serverStatus?.() ?? [] }));

  app.get('/api/v1/servers', async () => {
    const status = new Map((serverStatus?.() ?? []).map((s) => [s.serverId, s]));
    const servers = await registry.listPublic();
    return {
      readOnlySource: registry.readOnlySource ?? null,
      servers: servers.map((s) => ({ ...s, status: status.get(s.id) ?? null })),
    };
  });

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/servers',
    {
      schema: {
        body: {
          type: 'object',
          required: ['id', 'type', 'url', 'token'],
          additionalProperties: false,
          properties: serverProperties,
        },
      },
    },
    async (request, reply) => {
      try {
        return reply.code(201).send(await registry.save(request.body, request.user ?? 'api', 'add'));
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/v1/servers/:id',
    {
      schema: { params: idParam, body: { type: 'object', additionalProperties: false, properties: serverProperties } },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.id !== undefined && request.body.id !== id)
        return reply.code(400).send({
          statusCode: 400,
          error: 'Bad Request',
          message: 'the id of a server cannot change; add a new server instead',
        });
      try {
        return await registry.save({ ...request.body, id }, request.user ?? 'api', 'change');
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/servers/:id',
    { schema: { params: idParam } },
    async (request, reply) => {
      try {
        await registry.remove(request.params.id, request.user ?? 'api');
        return reply.code(204).send();
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/servers/test',
    {
      schema: {
        body: {
          type: 'object',
          required: ['type', 'url', 'token'],
          additionalProperties: false,
          properties: { type: serverProperties.type, url: serverProperties.url, token: serverProperties.token },
        },
      },
    },
    async (request, reply) => {
      try {
        return await testConnection(request.body, clientId);
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/servers/:id/test',
    { schema: { params: idParam } },
    async (request, reply) => {
      const server = (await registry.list()).find((s) => s.id === request.params.id);
      if (!server) return refuse(reply, new UnknownServerError(request.params.id));
      return testConnection({ type: server.type, url: server.url, token: server.token }, clientId);
    },
  );
}
