// Adding Plex servers by signing in to plex.tv instead of hunting for a token: the same PIN flow as
// sign-in with Plex, after which plex.tv lists the servers the account reaches, how to reach each
// and the token each takes. The browser sees the servers and their addresses, never a token: the
// PIN travels sealed (sealed-transaction.ts) and the token is read again from plex.tv on adding.
import type { FastifyInstance } from 'fastify';
import { PlexTv, type PlexServerResource } from '../../connectors/plex-tv.ts';
import type { ServerRegistry } from '../../connectors/server-registry.ts';
import { AppError } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import { can } from '../auth/plugin.ts';
import { openTransaction, sealTransaction } from '../auth/sealed-transaction.ts';
import { errors, PlexPin, PlexServersFound, SavedServer } from '../contract.ts';

const TRANSACTION_MS = 30 * 60_000;
const ID = '^[a-z0-9][a-z0-9_-]{0,63}$';

export interface PlexServersOptions {
  registry: ServerRegistry;
  secrets: SecretBox;
  plexTv: { baseUrl?: string; appUrl?: string };
  clientId: string;
}

const transactionBody = {
  type: 'object',
  required: ['transaction'],
  properties: { transaction: { type: 'string', minLength: 1, maxLength: 2000 } },
} as const;

export async function plexServerRoutes(app: FastifyInstance, options: PlexServersOptions): Promise<void> {
  const plexTv = new PlexTv({ ...options.plexTv, clientId: options.clientId });

  const pinOf = (sealed: string): number => {
    const opened = openTransaction<{ pinId: number; purpose: string }>(options.secrets, sealed);
    if (typeof opened?.value.pinId !== 'number' || opened.value.purpose !== 'servers')
      throw new AppError('unauthorized', 'This Plex sign-in was not started here: start again.');
    if (opened.ageMs > TRANSACTION_MS)
      throw new AppError('not-found', 'This Plex PIN expired: start the sign-in again.');
    return opened.value.pinId;
  };
  const serversOf = async (sealed: string): Promise<PlexServerResource[] | null> => {
    const token = await plexTv.pinToken(pinOf(sealed));
    return token ? plexTv.servers(token) : null;
  };

  app.post(
    '/api/v1/servers/plex/pin',
    { ...can('manage', 'server.plex-pin'), schema: { response: { 201: PlexPin, ...errors } } },
    async (_request, reply) => {
      const pin = await plexTv.createPin();
      return reply.code(201).send({
        code: pin.code,
        authUrl: plexTv.authUrl(pin.code),
        expiresAt: pin.expiresAt,
        transaction: sealTransaction(options.secrets, { pinId: pin.id, purpose: 'servers' }),
      });
    },
  );

  // Polled while the person approves the PIN in the Plex app.
  app.post<{ Body: { transaction: string } }>(
    '/api/v1/servers/plex/found',
    {
      ...can('manage', 'server.plex-found'),
      schema: { body: transactionBody, response: { 200: PlexServersFound, ...errors } },
    },
    async (request) => {
      const servers = await serversOf(request.body.transaction);
      if (!servers) {
        // Each poll while waiting is no event worth an audit line; the approval is.
        request.auditSkip = true;
        return { status: 'waiting' };
      }
      return {
        status: 'approved',
        servers: servers.map(({ accessToken: _token, ...server }) => server),
      };
    },
  );

  app.post<{ Body: { transaction: string; machineId: string; uri: string; id: string; name?: string } }>(
    '/api/v1/servers/plex/add',
    {
      ...can('manage', 'server.add'),
      schema: {
        body: {
          type: 'object',
          required: ['transaction', 'machineId', 'uri', 'id'],
          additionalProperties: false,
          properties: {
            ...transactionBody.properties,
            machineId: { type: 'string', minLength: 1, maxLength: 200 },
            uri: { type: 'string', minLength: 1, maxLength: 2000 },
            id: { type: 'string', pattern: ID },
            name: { type: 'string', maxLength: 200 },
          },
        },
        response: { 201: SavedServer, ...errors },
      },
    },
    async (request, reply) => {
      const { transaction, machineId, uri, id, name } = request.body;
      const servers = await serversOf(transaction);
      if (!servers) throw new AppError('conflict', 'The Plex PIN is not approved yet.');
      const server = servers.find((s) => s.machineId === machineId);
      if (!server) throw new AppError('not-found', `This Plex account reaches no server "${machineId}".`);
      // Only an address plex.tv gives for that server: the token goes nowhere else.
      if (!server.connections.some((c) => c.uri === uri))
        throw new AppError('invalid', `"${uri}" is not one of the addresses plex.tv lists for ${server.name}.`);
      if (!server.accessToken) throw new AppError('upstream', `plex.tv gave no token for ${server.name}.`);
      const saved = await options.registry.save(
        { id, name: name || server.name, type: 'plex', url: uri, token: server.accessToken, enabled: true },
        request.user ?? 'api',
        'add',
      );
      return reply.code(201).send(saved);
    },
  );
}
