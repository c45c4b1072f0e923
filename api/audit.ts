// The audit trail: every changing route, and the reads that act (each declares its action name,
// auth/plugin.ts), is written
// to the warehouse's audit log with who, what, on what, and how it ended, before the answer is
// sent, so an action the client saw answered is in the log. Secrets in bodies are hidden.
// Refusals nobody signed in for (401 on a private route) and throttled attempts (429) are left
// out: anonymous clients must not be able to grow the log without bound; failed sign-ins are kept
// (their route is rate limited).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.ts';
import type { AuditQueries } from '../warehouse/queries/audit.ts';

const SECRET_KEY = /password|token|secret|^headers$|^urls?$/i;
const DETAIL_CHARS = 4000;

const isPlain = (body: unknown): boolean =>
  body === undefined || body === null || Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype;

/** The body with secret fields hidden, as JSON of bounded size; an uploaded file is only named. */
function describe(body: unknown, error?: string): string {
  if (!isPlain(body)) body = typeof body === 'string' ? '(text)' : '(file)';
  // One pass: the replacer hides secret fields at any depth of the body ("body" and "error" are
  // not secret names).
  const detail = JSON.stringify(
    { ...(body === undefined ? {} : { body: body ?? {} }), ...(error ? { error } : {}) },
    (key, value: unknown) => (key && SECRET_KEY.test(key) && value !== '' && value !== null ? '[hidden]' : value),
  );
  return detail.length > DETAIL_CHARS ? `${detail.slice(0, DETAIL_CHARS)}…` : detail;
}

/** "serverId=plex-home sessionKey=42": the route's parameters, what the action was on. */
const target = (request: FastifyRequest): string =>
  Object.entries((request.params ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');

function errorMessage(payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    return (JSON.parse(payload) as { message?: string }).message;
  } catch {
    return undefined;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Why an action failed when its answer does not say so (a redirect back to the login page). */
    auditFailure: string | null;
    /** Nothing happened worth a line (a sign-in poll still waiting). */
    auditSkip: boolean;
  }
}

export function auditTrail(app: FastifyInstance, audit: AuditQueries, logger: Logger): void {
  app.decorateRequest('auditFailure', null);
  app.decorateRequest('auditSkip', false);
  app.addHook('onSend', async (request, reply, payload) => {
    const config = request.routeOptions.config;
    const action = config.audit;
    // Reads are not logged, but for the few that act (the way back from a sign-in provider).
    if (!action || request.is404 || request.method === 'HEAD' || request.auditSkip) return payload;
    const status = reply.statusCode;
    if (status === 429 || (status === 401 && config.public !== true)) return payload;
    const failed = status >= 400 || request.auditFailure !== null;
    // A sign-in names its user in the body; a signed-in request by its identity.
    const attempted = (request.body as { username?: unknown } | undefined)?.username;
    const entry = {
      at: Date.now(),
      actor: request.identity?.username ?? request.user ?? (typeof attempted === 'string' ? attempted : ''),
      actorRole: request.identity?.role ?? '',
      via: request.identity?.via ?? 'anonymous',
      action,
      target: target(request),
      outcome: failed ? ('failed' as const) : ('ok' as const),
      statusCode: status,
      detail: describe(request.body, failed ? (request.auditFailure ?? errorMessage(payload)) : undefined),
      clientIp: request.ip,
    };
    try {
      await audit.record(entry);
    } catch (err) {
      // The action is done; the log must say loudly that its trace is missing.
      logger.error({ err, audit: { ...entry, detail: undefined } }, 'audit log entry not written');
    }
    return payload;
  });
}
