// A real OpenID Connect provider (oidc-provider, the certified implementation) on 127.0.0.1 for
// sign-in tests, with a browser stand-in that walks its login and consent pages the way a person
// would: following redirects, keeping cookies, submitting the forms.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  preferred_username: string;
  email?: string;
  groups: string[];
}

export class TestOidcProvider {
  readonly issuer: string;
  /** Where the provider itself listens (its issuer, unless it is served behind a front). */
  readonly url: string;
  private constructor(
    private readonly server: Server,
    private readonly accounts: Record<string, TestAccount>,
    issuer: string | undefined,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.issuer = issuer ?? this.url;
  }

  /** `issuer`: the address of a front that forwards to this provider, when a test puts one before it. */
  static async start(accounts: Record<string, TestAccount>, issuer?: string): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TestOidcProvider(server, accounts, issuer);
  }

  /** Registers the clients (Streamwarden's callback is known only once its API listens). */
  serve(...clients: Array<{ clientId: string; clientSecret: string; redirectUri: string }>): void {
    const provider = new Provider(this.issuer, {
      clients: clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        token_endpoint_auth_method: 'client_secret_post',
      })),
      claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'email', 'groups'],
      findAccount: (_ctx, id) => {
        const account = this.accounts[id];
        return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
      },
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ['streamwarden-oidc-test'] },
    });
    // Behind a front, the addresses it gives are the front's (X-Forwarded-Host).
    provider.proxy = this.issuer !== this.url;
    this.server.on('request', provider.callback());
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Walks a sign-in from `start` as a browser would, signing in at the provider as `login`, until a
 * page outside the provider answers; that last answer (not followed) and the cookies kept.
 */
export async function walkSignIn(
  start: string,
  login: string,
  jar = new Map<string, string>(),
): Promise<{ location: string; status: number; jar: Map<string, string> }> {
  let url = start;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name!.trim());
      else jar.set(name!.trim(), value.join('='));
    }
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url).href;
      // Back at the product (the callback answered): stop, so the caller sees where it led.
      if (new URL(url).pathname.endsWith('/callback')) return { location: next, status: response.status, jar };
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) return { location: url, status: response.status, jar };
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    method = 'POST';
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt }).toString();
  }
  throw new Error(`the sign-in did not finish in 20 steps (last at ${url})`);
}
