// Sign-in with an OpenID Connect provider (Authelia, Authentik, Keycloak, Google...): the
// authorization code flow with PKCE, state and nonce, through openid-client (discovery, token
// exchange, ID token checks of issuer, audience, signature and nonce). What the flow must remember
// between the redirect out and the way back travels in a sealed cookie (sealed-transaction.ts).
import * as oidc from 'openid-client';
import { AppError } from '../../core/errors.ts';
import { ROLES, type Role } from '../../core/roles.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import type { ExternalAccount } from './store.ts';
import { openTransaction, sealTransaction } from './sealed-transaction.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** Shown on the button: "Sign in with <name>". */
  name: string;
  scopes: string;
  /** The claim holding the user's groups or roles (e.g. groups, roles). */
  roleClaim: string;
  /** Claim values that make each role; the highest role matched wins. */
  roleValues: Record<Role, string[]>;
  /** The role of a user none of whose values match; absent: such users are refused. */
  defaultRole?: Role;
  /** Password sign-in is off (`npm run admin` still resets passwords). */
  only: boolean;
  /** Where the dashboard is reached (https://streams.example.org), for the redirect URI. */
  publicUrl?: string;
}

/** The provider vouched for someone this install does not let in; names them for the audit log. */
export class SignInRefused extends AppError {
  constructor(
    readonly username: string,
    message: string,
  ) {
    super('forbidden', message);
  }
}

export const OIDC_CALLBACK = '/api/v1/auth/oidc/callback';
const TRANSACTION_MS = 10 * 60_000;

interface Transaction {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

export class OidcSignIn {
  private configuration?: Promise<oidc.Configuration>;

  constructor(
    readonly settings: OidcSettings,
    private readonly secrets: SecretBox,
  ) {}

  /** The provider's address to send the browser to, and the sealed transaction to set as a cookie. */
  async start(origin: string): Promise<{ url: string; transaction: string }> {
    const config = await this.config();
    const transaction: Transaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      redirectUri: `${this.settings.publicUrl ?? origin}${OIDC_CALLBACK}`,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: transaction.redirectUri,
      scope: this.settings.scopes,
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, transaction: sealTransaction(this.secrets, transaction) };
  }

  /** Checks the provider's answer against the transaction; who it vouches for. */
  async finish(query: string, sealed: string | undefined): Promise<ExternalAccount> {
    const transaction = this.open(sealed);
    const config = await this.config();
    const callback = new URL(transaction.redirectUri);
    callback.search = query;
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new AppError('unauthorized', `The OIDC provider's answer was refused: ${describe(err)}`, { cause: err });
    }
    let claims: Record<string, unknown> = { ...tokens.claims()! };
    if (!(this.settings.roleClaim in claims) && tokens.access_token) {
      // Some providers (Authelia by default) put groups in userinfo only.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
      claims = { ...info, ...claims };
    }
    const sub = String(claims.sub);
    const username = pickName(claims);
    return {
      source: 'oidc',
      externalId: `${config.serverMetadata().issuer}|${sub}`,
      username,
      role: this.roleOf(claims, username),
    };
  }

  private roleOf(claims: Record<string, unknown>, username: string): Role {
    const raw = claims[this.settings.roleClaim];
    const values = new Set((Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String));
    const matched = [...ROLES].reverse().find((role) => this.settings.roleValues[role].some((v) => values.has(v)));
    const role = matched ?? this.settings.defaultRole;
    if (!role)
      throw new SignInRefused(
        username,
        `${username} signed in, but their "${this.settings.roleClaim}" (${[...values].join(', ') || 'none'}) gives no role here.`,
      );
    return role;
  }

  private open(sealed: string | undefined): Transaction {
    const opened = openTransaction<Transaction>(this.secrets, sealed);
    const t = opened?.value;
    if (!t?.state || !t.nonce || !t.verifier || !t.redirectUri)
      throw new AppError('unauthorized', 'This sign-in was not started here, or its cookie was lost: start again.');
    if (opened!.ageMs > TRANSACTION_MS)
      throw new AppError('unauthorized', 'This sign-in took longer than 10 minutes: start again.');
    return t as Transaction;
  }

  /** Discovery, once; tried again on the next sign-in when the provider was unreachable. */
  private async config(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    this.configuration ??= oidc
      .discovery(
        new URL(issuer),
        clientId,
        clientSecret,
        clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(),
        // A provider on plain HTTP is the operator's choice (a LAN, a test); HTTPS otherwise.
        new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw new AppError('upstream', `Cannot use the OIDC provider at ${issuer}: ${describe(err)}`, { cause: err });
      });
    return this.configuration;
  }
}

/** The user name: preferred_username, else the e-mail, else the subject; no spaces, 64 characters. */
function pickName(claims: Record<string, unknown>): string {
  const name = [claims.preferred_username, claims.email, claims.sub].find((v) => typeof v === 'string' && v.trim());
  return String(name).trim().replace(/\s+/g, '_').slice(0, 64);
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string }; error_description?: string };
  return [e.message, e.error_description, e.cause?.message].filter(Boolean).join(': ') || String(err);
}
