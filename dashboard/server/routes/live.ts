// The live WebSocket and stopping a stream.
import type {} from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { UnknownServerError } from '../../../connectors/config.ts';
import { ServerRequestError } from '../../../connectors/http.ts';
import type { StreamControl } from '../../../connectors/commands.ts';
import type { LiveHub } from '../live.ts';

export type { StreamControl };

export async function liveRoutes(app: FastifyInstance, { live, control, defaultMessage }: { live?: LiveHub; control?: StreamControl; defaultMessage: () => Promise<string> }): Promise<void> {
  if (live) {
    // Authenticated like every /api route: the hook runs before the upgrade.
    app.get('/api/v1/live', { websocket: true }, (socket) => {
      socket.send(JSON.stringify(live.snapshot()));
      const unsubscribe = live.subscribe((message) => socket.send(JSON.stringify(message)));
      socket.on('close', unsubscribe);
    });
  }

  app.post<{ Params: { serverId: string; sessionKey: string }; Body: { message?: string } }>(
    '/api/v1/sessions/:serverId/:sessionKey/terminate',
    {
      schema: {
        params: { type: 'object', properties: { serverId: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }, sessionKey: { type: 'string', minLength: 1, maxLength: 200 } } },
        body: { type: 'object', additionalProperties: false, properties: { message: { type: 'string', maxLength: 500 } } },
      },
    },
    async (request, reply) => {
      if (!control) return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'Stopping streams is not available: no connectors and no bus in this process.' });
      const message = request.body?.message?.trim() || (await defaultMessage());
      let result;
      try {
        result = await control.terminate(request.params.serverId, request.params.sessionKey, message, request.user ?? 'api');
      } catch (err) {
        if (err instanceof ServerRequestError) return reply.code(502).send({ statusCode: 502, error: 'Bad Gateway', message: `The media server refused: ${err.message}` });
        if (err instanceof UnknownServerError) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No media server "${request.params.serverId}".` });
        throw err;
      }
      request.log.info({ serverId: request.params.serverId, sessionKey: request.params.sessionKey, by: request.user, result }, 'stream stop requested from the API');
      // `requested`: the connectors role in another process carries it out within seconds.
      return reply.code(202).send({ terminated: result === 'done', requested: true, serverId: request.params.serverId, sessionKey: request.params.sessionKey });
    },
  );
}
