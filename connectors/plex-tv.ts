// plex.tv, Plex's account service, for signing in with a Plex account: the PIN flow (ask plex.tv
// for a PIN, the person approves it in the Plex app, poll until it carries their token), then who
// the token belongs to and which servers they own (JSON endpoints of API v2, as the Plex web app
// and python-plexapi use them); and whom a server owner shares with, with their e-mail (the XML
// users list, which has no JSON form), for suggesting which accounts are one person.
import { XMLParser } from 'fast-xml-parser';
import { AppError } from '../core/errors.ts';

export interface PlexPin {
  id: number;
  code: string;
  expiresAt: string;
}

export interface PlexAccount {
  id: number;
  uuid: string;
  username: string;
  email: string;
  title: string;
}

export interface PlexTvOptions {
  /** https://plex.tv, or a stand-in in tests. */
  baseUrl?: string;
  /** Where people approve a PIN: https://app.plex.tv/auth. */
  appUrl?: string;
  /** This install's X-Plex-Client-Identifier; a PIN is only readable with the one that made it. */
  clientId: string;
  product?: string;
  timeoutMs?: number;
}

export interface PlexServerResource {
  machineId: string;
  name: string;
  owned: boolean;
  /** The token this server takes from this account (never sent to a browser). */
  accessToken: string;
  connections: Array<{ uri: string; local: boolean; relay: boolean }>;
}

/** Someone the account shares its servers with. Plex Home users have no username or e-mail. */
export interface PlexFriend {
  id: number;
  username: string;
  title: string;
  email: string;
  /** Machine identifiers of the account's servers shared with them. */
  servers: string[];
}

const users = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name) => name === 'User' || name === 'Server',
});

class PlexPinExpired extends AppError {
  constructor() {
    super('not-found', 'This Plex PIN expired or was not found: start the sign-in again.');
  }
}

export class PlexTv {
  private readonly baseUrl: string;
  private readonly appUrl: string;
  private readonly product: string;

  constructor(private readonly options: PlexTvOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://plex.tv').replace(/\/$/, '');
    this.appUrl = options.appUrl ?? 'https://app.plex.tv/auth';
    this.product = options.product ?? 'Streamwarden';
  }

  /** A new strong PIN (valid 30 minutes at plex.tv). */
  async createPin(): Promise<PlexPin> {
    const pin = await this.call<{ id?: unknown; code?: unknown; expiresAt?: unknown }>(
      'POST',
      '/api/v2/pins?strong=true',
    );
    if (typeof pin.id !== 'number' || typeof pin.code !== 'string')
      throw new AppError('upstream', 'plex.tv answered a PIN without its id or code.');
    return { id: pin.id, code: pin.code, expiresAt: String(pin.expiresAt ?? '') };
  }

  /** Where the person approves the PIN, in the Plex web app. */
  authUrl(code: string): string {
    const params = new URLSearchParams({
      clientID: this.options.clientId,
      code,
      'context[device][product]': this.product,
    });
    return `${this.appUrl}#?${params.toString()}`;
  }

  /** The PIN's token once approved; null while it waits. */
  async pinToken(id: number): Promise<string | null> {
    const pin = await this.call<{ authToken?: unknown }>('GET', `/api/v2/pins/${id}`, undefined, true);
    return typeof pin.authToken === 'string' && pin.authToken ? pin.authToken : null;
  }

  async account(token: string): Promise<PlexAccount> {
    const user = await this.call<Record<string, unknown>>('GET', '/api/v2/user', token);
    if (typeof user.id !== 'number') throw new AppError('upstream', 'plex.tv answered an account without its id.');
    return {
      id: user.id,
      uuid: String(user.uuid ?? ''),
      username: String(user.username ?? ''),
      email: String(user.email ?? ''),
      title: String(user.title ?? ''),
    };
  }

  /**
   * The people the account shares its servers with, with their e-mail where plex.tv gives it
   * (GET /api/users: plex.tv serves this list only as XML).
   */
  async friends(token: string): Promise<PlexFriend[]> {
    const text = await (await this.send('GET', '/api/users', token, 'application/xml')).text();
    let doc: { MediaContainer?: { User?: Array<Record<string, unknown>> } };
    try {
      doc = users.parse(text) as typeof doc;
    } catch (err) {
      throw new AppError('upstream', 'plex.tv answered its users list with something that is not XML.', { cause: err });
    }
    if (!doc.MediaContainer)
      throw new AppError('upstream', 'plex.tv answered its users list in a form not known here.');
    return (doc.MediaContainer.User ?? []).flatMap((u) => {
      const id = Number(u.id);
      if (!Number.isSafeInteger(id)) return [];
      const servers = (u.Server as Array<Record<string, unknown>> | undefined) ?? [];
      return [
        {
          id,
          username: String(u.username ?? ''),
          title: String(u.title ?? ''),
          email: String(u.email ?? ''),
          servers: servers.map((s) => String(s.machineIdentifier ?? '')).filter(Boolean),
        },
      ];
    });
  }

  /** Machine identifiers of the servers this account owns. */
  async ownedServers(token: string): Promise<string[]> {
    return (await this.servers(token)).filter((s) => s.owned).map((s) => s.machineId);
  }

  /**
   * The Plex servers the account can reach (its own and those shared with it): how to reach each
   * (its connections, local ones first) and the token it takes (plex.tv's resources, API v2).
   */
  async servers(token: string): Promise<PlexServerResource[]> {
    const resources = await this.call<unknown>('GET', '/api/v2/resources?includeHttps=1', token);
    if (!Array.isArray(resources))
      throw new AppError('upstream', 'plex.tv answered its resources in a form not known here.');
    return resources
      .filter((r: Record<string, unknown>) =>
        String(r.provides ?? '')
          .split(',')
          .includes('server'),
      )
      .map((r: Record<string, unknown>) => ({
        machineId: String(r.clientIdentifier),
        name: String(r.name ?? r.clientIdentifier),
        owned: r.owned === true,
        accessToken: typeof r.accessToken === 'string' ? r.accessToken : '',
        connections: (Array.isArray(r.connections) ? (r.connections as Array<Record<string, unknown>>) : [])
          .filter((c) => typeof c.uri === 'string')
          .map((c) => ({ uri: String(c.uri), local: c.local === true, relay: c.relay === true }))
          .sort((a, b) => Number(b.local) - Number(a.local) || Number(a.relay) - Number(b.relay)),
      }));
  }

  /** One request to plex.tv; a refusal or any other failure as the error vocabulary says it. */
  private async send(
    method: string,
    path: string,
    token: string | undefined,
    accept: string,
    pin = false,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept,
          'x-plex-product': this.product,
          'x-plex-client-identifier': this.options.clientId,
          ...(token ? { 'x-plex-token': token } : {}),
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new AppError('upstream', `Cannot reach plex.tv: ${(err as Error).message}`, { cause: err });
    }
    if (pin && response.status === 404) throw new PlexPinExpired();
    if (response.status === 401) throw new AppError('unauthorized', 'plex.tv refused the token.');
    if (!response.ok)
      throw new AppError('upstream', `plex.tv answered ${response.status} to ${method} ${path.split('?')[0]}.`);
    return response;
  }

  private async call<T>(method: string, path: string, token?: string, pin = false): Promise<T> {
    const response = await this.send(method, path, token, 'application/json', pin);
    try {
      return (await response.json()) as T;
    } catch (err) {
      throw new AppError('upstream', `plex.tv answered ${path.split('?')[0]} with something that is not JSON.`, {
        cause: err,
      });
    }
  }
}
