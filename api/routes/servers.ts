// Media servers: list with live status, add, change, remove, and test a connection before saving.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import { UnknownServerError } from '../../connectors/config.ts';
import type { ConnectorStatus } from '../../connectors/server-connector.ts';
import { testConnection, type ServerRegistry } from '../../connectors/server-registry.ts';
import { AppError } from '../../core/errors.ts';
import Type from 'typebox';
import { ConnectionTestResult, errors, SavedServer, ServerList, ServerStatusList } from '../contract.ts';

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
  stopGraceMs: {
    type: 'integer',
    minimum: 0,
    maximum: 3600000,
    description: 'How long a session the server leaves out of its list stays open (default 60 s or two polls)',
  },
  latitude: { type: 'number', minimum: -90, maximum: 90, description: "The server's location, for the map's arcs" },
  longitude: { type: 'number', minimum: -180, maximum: 180 },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: ID } } } as const;

export async function serversRoutes(
  app: FastifyInstance,
  { registry, clientId, serverStatus }: ServersOptions,
): Promise<void> {
  // Live connector status: none when the connectors run in another process.
  app.get(
    '/api/v1/servers/status',
    { ...can('view'), schema: { response: { 200: ServerStatusList, ...errors } } },
    async () => ({ servers: serverStatus?.() ?? [] }),
  );

  app.get('/api/v1/servers', { ...can('view'), schema: { response: { 200: ServerList, ...errors } } }, async () => {
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
      ...can('manage', 'server.add'),
      schema: {
        body: {
          type: 'object',
          required: ['id', 'type', 'url', 'token'],
          additionalProperties: false,
          properties: serverProperties,
        },
        response: { 201: SavedServer, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await registry.save(request.body, request.user ?? 'api', 'add')),
  );

  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/v1/servers/:id',
    {
      ...can('manage', 'server.change'),
      schema: {
        params: idParam,
        body: { type: 'object', additionalProperties: false, properties: serverProperties },
        response: { 200: SavedServer, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (request.body.id !== undefined && request.body.id !== id)
        throw new AppError('invalid', 'the id of a server cannot change; add a new server instead');
      return registry.save({ ...request.body, id }, request.user ?? 'api', 'change');
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/servers/:id',
    {
      ...can('manage', 'server.remove'),
      schema: { params: idParam, response: { 204: Type.Null({ description: 'Removed' }), ...errors } },
    },
    async (request, reply) => {
      await registry.remove(request.params.id, request.user ?? 'api');
      return reply.code(204).send();
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/servers/test',
    {
      ...can('manage', 'server.test'),
      schema: {
        body: {
          type: 'object',
          required: ['type', 'url', 'token'],
          additionalProperties: false,
          properties: { type: serverProperties.type, url: serverProperties.url, token: serverProperties.token },
        },
        response: { 200: ConnectionTestResult, ...errors },
      },
    },
    async (request) => testConnection(request.body, clientId),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/servers/:id/test',
    {
      ...can('manage', 'server.test'),
      schema: { params: idParam, response: { 200: ConnectionTestResult, ...errors } },
    },
    async (request) => {
      const server = (await registry.list()).find((s) => s.id === request.params.id);
      if (!server) throw new UnknownServerError(request.params.id);
      return testConnection({ type: server.type, url: server.url, token: server.token }, clientId);
    },
  );
}
