// Numbers in query strings and bodies are finite and bounded to safe integers unless a route says
// tighter: Ajv's coercion turns "1e309" into Infinity, which then passes `integer` and even
// `maximum`, and integers past 2^53 lose precision on their way to ClickHouse; either was a 500.
import type { FastifyInstance, RouteOptions } from 'fastify';

type Schema = {
  type?: unknown;
  minimum?: number;
  maximum?: number;
  'x-finite'?: boolean;
  properties?: Record<string, Schema>;
  items?: Schema;
};

interface AjvLike {
  addKeyword(definition: {
    keyword: string;
    schemaType: string;
    validate: (schema: boolean, data: unknown) => boolean;
    error: { message: string };
  }): unknown;
}

/**
 * Ajv plugin (Fastify's `ajv.plugins`): the `x-finite` keyword, an x- name so that the OpenAPI
 * document stays valid. Untyped on purpose: Ajv skips its typed number keywords for a non-finite
 * value, so a typed keyword would never see Infinity.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Fastify types the plugin over Ajv's own class
export function finiteKeyword(ajv: any): any {
  (ajv as AjvLike).addKeyword({
    keyword: 'x-finite',
    schemaType: 'boolean',
    validate: (schema, data) => !schema || typeof data !== 'number' || Number.isFinite(data),
    error: { message: 'must be a finite number' },
  });
  return ajv;
}

function bound(schema: Schema | undefined): void {
  if (!schema || typeof schema !== 'object') return;
  const types = [schema.type].flat();
  if (types.includes('integer') || types.includes('number')) {
    schema['x-finite'] = true;
    schema.minimum ??= -Number.MAX_SAFE_INTEGER;
    schema.maximum ??= Number.MAX_SAFE_INTEGER;
  }
  for (const child of Object.values(schema.properties ?? {})) bound(child);
  bound(schema.items);
}

/** Bounds the numbers of every route registered after it. */
export function boundNumbers(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Record<string, Schema> | undefined;
    for (const part of ['querystring', 'params', 'body', 'headers'] as const) bound(schema?.[part]);
  });
}
