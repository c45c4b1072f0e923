// Posters through the API: the browser asks for a play's or an item's poster here, signed in like
// for every other read, and never learns the media server's address or token.
import type { FastifyInstance } from 'fastify';
import { ImageProxy } from '../../connectors/image-proxy.ts';
import { IMAGE_WIDTHS } from '../../connectors/image-refs.ts';
import type { ServerRegistry } from '../../connectors/server-registry.ts';
import { can } from '../auth/plugin.ts';
import { errors } from '../contract.ts';

export async function imageRoutes(
  app: FastifyInstance,
  { registry, clientId }: { registry: ServerRegistry; clientId: string },
): Promise<void> {
  const images = new ImageProxy({ servers: () => registry.list(), clientId });
  app.addHook('onClose', async () => images.close());

  app.get<{ Params: { id: string }; Querystring: { ref: string; width?: number } }>(
    '/api/v1/servers/:id/image',
    {
      ...can('view'),
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } },
        },
        querystring: {
          type: 'object',
          required: ['ref'],
          additionalProperties: false,
          properties: {
            ref: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'The poster reference of a play or library item (the `poster` address carries it)',
            },
            width: {
              type: 'integer',
              minimum: 1,
              maximum: 2000,
              description: `Wanted width in pixels, rounded up to one of ${IMAGE_WIDTHS.join(', ')} (default 160); the height is 1.5 times it`,
            },
          },
        },
        response: {
          200: {
            description: 'The image (JPEG, PNG, WebP, GIF or AVIF, as the server sends it)',
            content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const image = await images.get(request.params.id, request.query.ref, request.query.width ?? 160);
      // References carry the image's version: a cached copy is never stale. Private: behind sign-in.
      return reply
        .type(image.contentType)
        .header('Cache-Control', 'private, max-age=604800, immutable')
        .header('X-Content-Type-Options', 'nosniff')
        .send(image.bytes);
    },
  );
}
