// The live WebSocket and stopping a stream.
import type {} from '@fastify/websocket';
import { can } from '../auth/plugin.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { ServerRequestError } from '../../connectors/http.ts';
import type { StreamControl } from '../../connectors/commands.ts';
import type { LiveHub } from '../live.ts';
import { errors, StopRequested } from '../contract.ts';

export type { StreamControl };

/**
 * Whether a WebSocket handshake's Origin may open the live feed. Browsers send cookies with a
 * cross-site WebSocket handshake (SameSite does not cover it), so another site open in the same
 * browser could read the feed; only the app's own origin and configured ones may. Clients that
 * are not browsers send no Origin and authenticate with a token.
 */
export function originAllowed(origin: string | undefined, host: string, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return parsed.host === host || allowed.includes(parsed.origin);
}

/** What a live client may have waiting to be sent before it is closed (a few thousand messages). */
const MAX_UNSENT_BYTES = 8 * 2 ** 20;

export interface LiveRouteOptions {
  live?: LiveHub;
  control?: StreamControl;
  defaultMessage: () => Promise<string>;
  /** Origins besides the app's own that may open the live WebSocket. */
  allowedOrigins?: readonly string[];
}

export async function liveRoutes(
  app: FastifyInstance,
  { live, control, defaultMessage, allowedOrigins = [] }: LiveRouteOptions,
): Promise<void> {
  if (live) {
    // Authenticated like every private route (the hook runs before the upgrade), and from an
    // allowed origin only.
    const checkOrigin = async (request: FastifyRequest) => {
      if (!originAllowed(request.headers.origin, request.host, allowedOrigins))
        throw new AppError(
          'forbidden',
          `Origin ${request.headers.origin} may not open the live feed (STREAMWARDEN_ALLOWED_ORIGINS).`,
        );
    };
    app.get('/api/v1/live', { ...can('view'), websocket: true, preValidation: checkOrigin }, (socket) => {
      socket.send(live.snapshotJson());
      const unsubscribe = live.subscribe((_message, text) => {
        // A client that does not read is closed rather than buffered for without end; the
        // dashboard reconnects and starts again from a snapshot.
        if (socket.bufferedAmount > MAX_UNSENT_BYTES) {
          unsubscribe();
          socket.close(1013, 'not reading the live feed');
          return;
        }
        socket.send(text);
      });
      socket.on('close', unsubscribe);
    });
  }

  app.post<{ Params: { serverId: string; sessionKey: string }; Body: { message?: string } }>(
    '/api/v1/sessions/:serverId/:sessionKey/terminate',
    {
      ...can('manage', 'stream.stop'),
      schema: {
        params: {
          type: 'object',
          properties: {
            serverId: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
            sessionKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { message: { type: 'string', maxLength: 500 } },
        },
        response: { 202: StopRequested, ...errors },
      },
    },
    async (request, reply) => {
      if (!control)
        throw new AppError(
          'unavailable',
          'Stopping streams is not available: no connectors and no bus in this process.',
        );
      const message = request.body?.message?.trim() || (await defaultMessage());
      let result;
      try {
        result = await control.terminate(
          request.params.serverId,
          request.params.sessionKey,
          message,
          request.user ?? 'api',
        );
      } catch (err) {
        // The media server's own words, said to be its own.
        if (err instanceof ServerRequestError)
          throw new AppError('upstream', `The media server refused: ${err.message}`, { cause: err });
        throw err;
      }
      request.log.info(
        { serverId: request.params.serverId, sessionKey: request.params.sessionKey, by: request.user, result },
        'stream stop requested from the API',
      );
      // `requested`: the connectors role in another process carries it out within seconds.
      return reply.code(202).send({
        terminated: result === 'done',
        requested: true,
        serverId: request.params.serverId,
        sessionKey: request.params.sessionKey,
      });
    },
  );
}
