// A stand-in for plex.tv's account API on 127.0.0.1, speaking the PIN flow field for field as
// plex.tv does: POST /api/v2/pins (201, a PIN with id, code, expiry and authToken null),
// GET /api/v2/pins/:id (the PIN, with authToken once the person approved it; 404 with plex.tv's
// error body once expired or for another client identifier), GET /api/v2/user and
// GET /api/v2/resources with X-Plex-Token, and the friends list GET /api/users (XML, as plex.tv
// serves it: a MediaContainer of <User id title username email thumb home restricted ...> with a
// <Server machineIdentifier .../> per shared server, as Tautulli and python-plexapi read it). `approve` does what the person does in the Plex app.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePlexAccount {
  id: number;
  username: string;
  email: string;
  /** Machine identifiers of the servers the account owns; others are shared with it. */
  owns: string[];
  sharedWith?: string[];
  /**
   * How each server is reached and the token it takes (a resource's connections and accessToken):
   * a server given here lists one local connection at its address; others list none.
   */
  reach?: Record<string, { url: string; token: string; name?: string }>;
  /**
   * People the account shares its servers with (GET /api/users): `home` users of a Plex Home have
   * no username or e-mail of their own.
   */
  friends?: Array<{ id: number; username: string; email: string; title?: string; home?: boolean; servers: string[] }>;
}

/** A resource's connections as plex.tv lists them: the local address, then its plex.direct name (relay off). */
function connectionsOf(url: string | undefined): Array<Record<string, unknown>> {
  if (!url) return [];
  const { protocol, hostname, port } = new URL(url);
  const local = {
    protocol: protocol.replace(':', ''),
    address: hostname,
    port: Number(port),
    uri: url.replace(/\/$/, ''),
    local: true,
    relay: false,
    IPv6: false,
  };
  const remote = {
    protocol: 'https',
    address: '203.0.113.10',
    port: 32400,
    uri: `https://203-0-113-10.${'0'.repeat(32)}.plex.direct:32400`,
    local: false,
    relay: false,
    IPv6: false,
  };
  return [local, remote];
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Pin {
  id: number;
  code: string;
  clientIdentifier: string;
  createdAt: number;
  expiresAt: number;
  authToken: string | null;
}

const NOT_FOUND = { errors: [{ code: 1020, message: 'Code not found or expired', status: 404 }] };

export class FakePlexTv {
  readonly pins = new Map<number, Pin>();
  private readonly tokens = new Map<string, FakePlexAccount>();
  private server?: Server;
  private nextId = 1_000_000 + Math.floor(Math.random() * 1000);
  /** PIN lifetime; plex.tv gives 1800 s. */
  pinTtlMs = 1_800_000;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://plex.tv');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const client = String(req.headers['x-plex-client-identifier'] ?? '');
      const account = this.tokens.get(String(req.headers['x-plex-token'] ?? ''));
      if (req.method === 'POST' && url.pathname === '/api/v2/pins') {
        if (!client)
          return send(400, { errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }] });
        const pin: Pin = {
          id: this.nextId++,
          code: randomBytes(16)
            .toString('hex')
            .slice(0, url.searchParams.get('strong') === 'true' ? 25 : 4),
          clientIdentifier: client,
          createdAt: Date.now(),
          expiresAt: Date.now() + this.pinTtlMs,
          authToken: null,
        };
        this.pins.set(pin.id, pin);
        return send(201, this.view(pin));
      }
      const pinMatch = /^\/api\/v2\/pins\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && pinMatch) {
        const pin = this.pins.get(Number(pinMatch[1]));
        if (!pin || pin.expiresAt < Date.now() || pin.clientIdentifier !== client) return send(404, NOT_FOUND);
        return send(200, this.view(pin));
      }
      if (req.method === 'GET' && url.pathname === '/api/v2/user') {
        if (!account)
          return send(401, { errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }] });
        return send(200, {
          id: account.id,
          uuid: `${account.id.toString(16)}deadbeef`,
          username: account.username,
          title: account.username,
          email: account.email,
          friendlyName: '',
          locale: null,
          confirmed: true,
          joinedAt: 1_600_000_000,
          emailOnlyAuth: false,
          hasPassword: true,
          protected: false,
          thumb: `https://plex.tv/users/${account.id}/avatar`,
          authToken: req.headers['x-plex-token'],
          restricted: false,
          anonymous: null,
          home: false,
          guest: false,
          homeAdmin: false,
          twoFactorEnabled: false,
          subscription: {
            active: false,
            subscribedAt: null,
            status: 'Inactive',
            paymentService: null,
            plan: null,
            features: [],
          },
          roles: [],
          entitlements: [],
        });
      }
      // The account's friends, in the XML document plex.tv still serves them in (no JSON form).
      if (req.method === 'GET' && url.pathname === '/api/users') {
        if (!account) {
          res.writeHead(401, { 'content-type': 'text/html' });
          return res.end('<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>');
        }
        const friends = account.friends ?? [];
        const users = friends.map(
          (f) =>
            `<User id="${f.id}" title="${xml(f.title ?? f.username)}" username="${f.home ? '' : xml(f.username)}" email="${f.home ? '' : xml(f.email)}" recommendationsPlaylistId="" thumb="https://plex.tv/users/${f.id.toString(16)}/avatar?c=1700000000" protected="0" home="${f.home ? 1 : 0}" allowTuners="0" allowSync="1" allowCameraUpload="0" allowChannels="0" allowSubtitleAdmin="0" filterAll="" filterMovies="" filterMusic="" filterPhotos="" filterTelevision="" restricted="${f.home ? 1 : 0}">` +
            f.servers
              .map(
                (m, i) =>
                  `<Server id="${900 + i}" serverId="${800 + i}" machineIdentifier="${xml(m)}" name="Server ${xml(m.slice(0, 6))}" lastSeenAt="1700000000" numLibraries="3" allLibraries="1" owned="1" pending="0"/>`,
              )
              .join('') +
            '</User>',
        );
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer friendlyName="myPlex" identifier="com.plexapp.plugins.myplex" machineIdentifier="${randomBytes(20).toString('hex')}" totalSize="${friends.length}" size="${friends.length}">${users.join('')}</MediaContainer>\n`,
        );
      }
      if (req.method === 'GET' && url.pathname === '/api/v2/resources') {
        if (!account)
          return send(401, { errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }] });
        const resource = (machine: string, owned: boolean) => ({
          name: account.reach?.[machine]?.name ?? `Server ${machine.slice(0, 6)}`,
          product: 'Plex Media Server',
          productVersion: '1.41.3.9314-a0bfb8370',
          platform: 'Linux',
          platformVersion: '6.8.0',
          device: 'PC',
          clientIdentifier: machine,
          createdAt: '2024-01-01T00:00:00Z',
          lastSeenAt: '2026-11-27T00:00:00Z',
          provides: 'server',
          ownerId: owned ? null : 1,
          sourceTitle: owned ? null : 'owner',
          publicAddress: '203.0.113.10',
          accessToken: account.reach?.[machine]?.token ?? randomBytes(10).toString('hex'),
          owned,
          home: false,
          synced: false,
          relay: true,
          presence: true,
          httpsRequired: false,
          publicAddressMatches: false,
          dnsRebindingProtection: false,
          natLoopbackSupported: true,
          connections: connectionsOf(account.reach?.[machine]?.url),
        });
        return send(200, [
          {
            name: 'iPhone',
            product: 'Plex for iOS',
            provides: 'client,player',
            owned: true,
            clientIdentifier: 'phone-1',
            connections: [],
          },
          ...account.owns.map((m) => resource(m, true)),
          ...(account.sharedWith ?? []).map((m) => resource(m, false)),
        ]);
      }
      send(404, NOT_FOUND);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** What the person does in the Plex app: approves the PIN with this code, signed in as `account`. */
  approve(code: string, account: FakePlexAccount): void {
    const pin = [...this.pins.values()].find((p) => p.code === code);
    if (!pin) throw new Error(`no PIN with code ${code}`);
    pin.authToken = this.tokenFor(account);
  }

  /** A token of `account`, as the server owner's token in a server's settings is. */
  tokenFor(account: FakePlexAccount, token = randomBytes(10).toString('base64url')): string {
    this.tokens.set(token, account);
    return token;
  }

  /** Ends a PIN's life now, as 30 minutes would. */
  expire(id: number): void {
    const pin = this.pins.get(id);
    if (pin) pin.expiresAt = Date.now() - 1;
  }

  private view(pin: Pin) {
    return {
      id: pin.id,
      code: pin.code,
      product: 'Streamwarden',
      trusted: false,
      qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
      clientIdentifier: pin.clientIdentifier,
      location: {
        code: 'DE',
        european_union_member: true,
        continent_code: 'EU',
        country: 'Germany',
        city: 'Berlin',
        time_zone: 'Europe/Berlin',
        postal_code: '10115',
        in_privacy_restricted_country: true,
        in_privacy_restricted_region: false,
        subdivisions: 'Land Berlin',
        coordinates: '52.5196, 13.4069',
      },
      expiresIn: Math.max(0, Math.round((pin.expiresAt - Date.now()) / 1000)),
      createdAt: new Date(pin.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      expiresAt: new Date(pin.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      authToken: pin.authToken,
      newRegistration: null,
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
