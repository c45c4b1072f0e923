// One error handler for the whole API: an AppError's kind decides the status, every error reply
// has the same JSON shape, and routes throw instead of building replies. Failures nobody
// anticipated are logged in full and answered without their text, which may name tables,
// files or addresses.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { AppError, type ErrorKind } from '../core/errors.ts';
import type { ErrorBody as ErrorBodySchema } from './contract.ts';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'rate-limited': 429,
  upstream: 502,
  unavailable: 503,
  'insufficient-storage': 507,
};

type ErrorBody = Static<typeof ErrorBodySchema>;

function body(statusCode: number, message: string, code?: string): ErrorBody {
  return { statusCode, ...(code ? { code } : {}), error: STATUS_CODES[statusCode] ?? 'Error', message };
}

export function handleErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      const status = STATUS[err.kind];
      if (err.retryAfterS !== undefined) reply.header('retry-after', String(Math.ceil(err.retryAfterS)));
      if (status >= 500) request.log.warn({ err, url: request.url }, 'request refused');
      return reply.code(status).send(body(status, err.message));
    }
    const declared = (err as { statusCode?: unknown }).statusCode;
    if (typeof declared === 'number' && declared >= 400 && declared < 600) {
      if (declared >= 500) request.log.error({ err, url: request.url }, 'request failed');
      return reply.code(declared).send(body(declared, err.message, err.code));
    }
    request.log.error({ err, url: request.url }, 'request failed');
    return reply.code(500).send(body(500, 'Something went wrong on the server; its log has the details.'));
  });
}
