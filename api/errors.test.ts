import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, type ErrorKind } from '../core/errors.ts';
import { UnknownServerError } from '../connectors/config.ts';
import { VersionConflictError } from '../warehouse/config-documents.ts';
import { handleErrors } from './errors.ts';

const app = Fastify();
handleErrors(app);
const thrown: Record<string, () => Error> = {
  'unknown-server': () => new UnknownServerError('nas'),
  'version-conflict': () => new VersionConflictError('rules', 3, 2),
  busy: () => new AppError('unavailable', 'busy now', { retryAfterS: 4.2 }),
  unexpected: () => new Error('Code: 60. DB::Exception: Table streamwarden.secret_table does not exist'),
};
app.get<{ Params: { name: string } }>('/throw/:name', async (request) => {
  throw thrown[request.params.name]!();
});
app.get<{ Params: { kind: ErrorKind } }>('/kind/:kind', async (request) => {
  throw new AppError(request.params.kind, `a ${request.params.kind} failure`);
});
app.get('/validated', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, () => ({
  ok: true,
}));

beforeAll(() => app.ready());
afterAll(() => app.close());

describe('one error vocabulary', () => {
  it('maps every kind to its status with one JSON shape', async () => {
    const expected: Record<ErrorKind, number> = {
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
    for (const [kind, status] of Object.entries(expected)) {
      const response = await app.inject(`/kind/${kind}`);
      expect(response.statusCode, kind).toBe(status);
      expect(response.json()).toEqual({ statusCode: status, error: expect.any(String), message: `a ${kind} failure` });
    }
  });

  it('gives the errors of every floor their status by kind, not by class', async () => {
    expect((await app.inject('/throw/unknown-server')).statusCode).toBe(404);
    const conflict = await app.inject('/throw/version-conflict');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().message).toMatch(/changed by someone else/);
    const busy = await app.inject('/throw/busy');
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
  });

  it("keeps Fastify's own refusals with their code", async () => {
    const response = await app.inject('/validated?n=x');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request' });
  });

  it('answers an unexpected failure with 500 without its text, which may name tables or files', async () => {
    const response = await app.inject('/throw/unexpected');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: expect.stringMatching(/log has the details/),
    });
    expect(response.body).not.toContain('secret_table');
  });
});
