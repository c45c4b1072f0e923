// Sign-in through someone else: an OIDC provider or a Plex account, with the ways to sign in
// listed for the login page. The way back from the provider is a browser navigation, so its outcome is a redirect:
// into the dashboard, or to the login page with the reason.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { OIDC_CALLBACK, SignInRefused, type OidcSignIn } from '../auth/oidc.ts';
import { signedIn } from '../auth/session-cookie.ts';
import type { AuthStore, ExternalAccount } from '../auth/store.ts';
import type { PlexSignIn } from '../auth/plex-sign-in.ts';
import { errors, SignInCheck, SignInMethods, SignInPin } from '../contract.ts';

const TRANSACTION_COOKIE = 'sw_oidc';
const PLEX_COOKIE = 'sw_plex';
const PLEX_PATH = '/api/v1/auth/plex';

export interface ExternalSignInOptions {
  store: AuthStore;
  oidc?: OidcSignIn;
  plex?: PlexSignIn;
  secureCookies: boolean;
}

export async function externalSignInRoutes(
  app: FastifyInstance,
  { store, oidc, plex, secureCookies }: ExternalSignInOptions,
): Promise<void> {
  app.get(
    '/api/v1/auth/methods',
    { config: { public: true }, schema: { response: { 200: SignInMethods, ...errors } } },
    async () => ({
      password: !oidc?.settings.only,
      oidc: oidc ? { name: oidc.settings.name } : null,
      plex: plex ? await plex.available() : false,
    }),
  );

  if (plex) plexRoutes(app, { store, plex, secureCookies });

  if (!oidc) return;
  oidcRoutes(app, { store, oidc, secureCookies });
}

function oidcRoutes(
  app: FastifyInstance,
  { store, oidc, secureCookies }: Required<Omit<ExternalSignInOptions, 'plex'>>,
): void {
  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  app.get('/api/v1/auth/oidc/start', { config: { public: true } }, async (request, reply) => {
    try {
      const { url, transaction } = await oidc.start(origin(request));
      // Lax, not Strict: the way back is a top-level navigation from the provider's site.
      reply.setCookie(TRANSACTION_COOKIE, transaction, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: OIDC_CALLBACK,
        maxAge: 600,
      });
      return reply.redirect(url);
    } catch (err) {
      return backToLogin(reply, err);
    }
  });

  app.get(OIDC_CALLBACK, { config: { public: true, audit: 'auth.login-oidc' } }, async (request, reply) => {
    reply.clearCookie(TRANSACTION_COOKIE, { path: OIDC_CALLBACK });
    const query = request.url.slice(request.url.indexOf('?') + 1);
    let account: ExternalAccount | undefined;
    try {
      const params = new URLSearchParams(query);
      if (params.has('error'))
        throw new AppError(
          'unauthorized',
          `The OIDC provider refused: ${params.get('error_description') ?? params.get('error')}`,
        );
      account = await oidc.finish(query, request.cookies[TRANSACTION_COOKIE]);
      request.user = account.username;
      await store.signInExternal(account);
      await signedIn(store, request, reply, account.username, secureCookies);
      return reply.redirect('/');
    } catch (err) {
      request.user ??= account?.username ?? (err instanceof SignInRefused ? err.username : null);
      request.auditFailure = (err as Error).message;
      return backToLogin(reply, err);
    }
  });
}

function plexRoutes(
  app: FastifyInstance,
  { store, plex, secureCookies }: Required<Omit<ExternalSignInOptions, 'oidc'>>,
): void {
  app.post(
    `${PLEX_PATH}/pin`,
    {
      config: { public: true, audit: 'auth.plex-pin', rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: { response: { 201: SignInPin, ...errors } },
    },
    async (_request, reply) => {
      const { transaction, ...pin } = await plex.start();
      reply.setCookie(PLEX_COOKIE, transaction, {
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        path: PLEX_PATH,
        maxAge: 1800,
      });
      return reply.code(201).send(pin);
    },
  );

  // Polled every few seconds while the person approves the PIN in the Plex app.
  app.post(
    `${PLEX_PATH}/check`,
    {
      config: { public: true, audit: 'auth.login-plex', rateLimit: { max: 120, timeWindow: 60_000 } },
      schema: { response: { 200: SignInCheck, ...errors } },
    },
    async (request, reply) => {
      const user = await plex.check(request.cookies[PLEX_COOKIE], store);
      if (!user) {
        request.auditSkip = true;
        return { status: 'waiting' };
      }
      request.user = user.username;
      reply.clearCookie(PLEX_COOKIE, { path: PLEX_PATH });
      await signedIn(store, request, reply, user.username, secureCookies);
      return { status: 'signed-in', username: user.username };
    },
  );
}

function backToLogin(reply: FastifyReply, err: unknown): FastifyReply {
  const message = err instanceof AppError ? err.message : 'The sign-in failed; the server log has the details.';
  if (!(err instanceof AppError)) reply.log.error({ err }, 'outside sign-in failed');
  return reply.redirect(`/login?error=${encodeURIComponent(message)}`);
}
