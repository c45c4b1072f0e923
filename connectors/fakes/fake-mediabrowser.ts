// Fake Jellyfin and Emby servers: GET /System/Info, /Sessions, /Users, /Library/VirtualFolders,
// /Items and POST /Sessions/{id}/Playing/Stop and /Sessions/{id}/Message, in their PascalCase
// JSON shapes (SessionInfo with PlayState, NowPlayingItem, TranscodingInfo). Emby also answers
// under /emby. Positions and durations are ticks of 100 ns.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeMediaServer, json, notFound, type FakeReply, type FakeRequest } from './fake-server.ts';
import type { FakeSession, FakeState } from './fleet.ts';
import { posterPng } from './poster-image.ts';
import { baseItem, ITEM_TYPE, sessionInfo, type FakeFlavor } from './mediabrowser-bodies.ts';

export class FakeMediaBrowserServer extends FakeMediaServer {
  readonly serverId = randomUUID().replace(/-/g, '');
  /** A connected client that plays nothing: real servers list those too. */
  idleClients = 1;
  /** The WebSocket (/socket on Jellyfin, /embyws on Emby); off: the server refuses the upgrade. */
  socketApi = true;
  private readonly socketServer = new WebSocketServer({ noServer: true });
  /** The keep-alive timeout the server announces (ForceKeepAlive), in seconds. */
  keepAliveS = 60;
  /** Every WebSocket message a client sent, parsed. */
  readonly socketMessages: Array<{ MessageType: string; Data?: unknown }> = [];

  protected override upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = this.flavor === 'JELLYFIN' ? '/socket' : '/embyws';
    if (!this.socketApi || url.pathname.toLowerCase() !== path) return super.upgrade(req, socket, head);
    if (url.searchParams.get('api_key') !== this.token || !url.searchParams.get('deviceId')) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    this.socketServer.handleUpgrade(req, socket, head, (ws) => this.serveSocket(ws));
  }

  /**
   * Sessions pushed as the real servers' SessionInfoWebSocketListener does after SessionsStart
   * ("initial delay,interval" in ms): on a play's start, stop, pause or resume at once (a forced
   * send), on its routine progress report (automated, a client's timeupdate) or other activity only
   * when the interval has passed since the last push to that client. Nothing happening, nothing
   * is pushed.
   */
  private serveSocket(ws: WebSocket): void {
    ws.send(JSON.stringify({ MessageType: 'ForceKeepAlive', Data: this.keepAliveS }));
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { MessageType: string; Data?: unknown };
      this.socketMessages.push(message);
      if (message.MessageType === 'KeepAlive') ws.send(JSON.stringify({ MessageType: 'KeepAlive' }));
      if (message.MessageType === 'SessionsStart') {
        const [, every] = String(message.Data ?? '0,1500')
          .split(',')
          .map(Number);
        this.subscribers.set(ws, { everyMs: every || 1500, lastSentAt: 0 });
      }
      if (message.MessageType === 'SessionsStop') this.subscribers.delete(ws);
    });
    ws.on('close', () => this.subscribers.delete(ws));
  }

  private readonly subscribers = new Map<WebSocket, { everyMs: number; lastSentAt: number }>();
  /** Each play's state as last reported, to tell a pause or resume from routine progress. */
  private readonly reported = new Map<string, FakeState | 'stopped'>();

  protected override onSessionChange(s: FakeSession, state: FakeState | 'stopped'): void {
    const force = this.reported.get(s.id) !== state;
    if (state === 'stopped') this.reported.delete(s.id);
    else this.reported.set(s.id, state);
    const now = Date.now();
    let body: string | undefined;
    for (const [ws, subscriber] of this.subscribers) {
      if (!force && now - subscriber.lastSentAt < subscriber.everyMs) continue;
      // The list as it will be: a stopped play is gone from it.
      body ??= JSON.stringify({
        MessageType: 'Sessions',
        Data: this.sessionList().filter((x) => x.Id !== s.id || state !== 'stopped'),
      });
      ws.send(body);
      subscriber.lastSentAt = now;
    }
  }

  protected override onDown(): void {
    this.dropSockets();
  }

  /** Closes every open WebSocket (the server restarts its socket side, clients reconnect). */
  dropSockets(): void {
    for (const client of this.socketServer.clients) client.terminate();
  }

  constructor(
    readonly flavor: FakeFlavor,
    token: string,
    readonly serverName = flavor === 'JELLYFIN' ? 'Fake Jellyfin' : 'Fake Emby',
  ) {
    super(token);
  }

  protected sessionId(): string {
    return randomUUID().replace(/-/g, '');
  }

  private path(request: FakeRequest): string {
    const path = request.url.pathname;
    return this.flavor === 'EMBY' && path.toLowerCase().startsWith('/emby/') ? path.slice(5) : path;
  }

  protected isSessionList(path: string): boolean {
    return /^(\/emby)?\/Sessions$/i.test(path);
  }

  protected authorized(request: FakeRequest): boolean {
    const h = request.headers;
    const fromAuthorization = /Token="([^"]*)"/.exec(String(h.authorization ?? h['x-emby-authorization'] ?? ''))?.[1];
    const token =
      this.flavor === 'JELLYFIN'
        ? (fromAuthorization ?? h['x-emby-token'] ?? request.url.searchParams.get('api_key'))
        : (h['x-emby-token'] ?? request.url.searchParams.get('api_key'));
    return token === this.token;
  }

  protected unauthorized(): FakeReply {
    return {
      status: 401,
      headers: { 'Content-Type': 'text/plain' },
      body: this.flavor === 'EMBY' ? 'Access token is invalid or expired.' : '',
    };
  }

  protected sessionListBody(): unknown {
    return this.sessionList();
  }

  protected wrongShape(): FakeReply {
    return json({ Items: [], TotalRecordCount: 0 });
  }

  protected partialEntry(): FakeReply {
    const list = this.sessionList();
    const first = list.find((e) => e.NowPlayingItem);
    if (first) delete first.UserId;
    return json(list);
  }

  protected route(request: FakeRequest): FakeReply {
    const path = this.path(request);
    const q = request.url.searchParams;
    if (request.method === 'GET' && path === '/System/Info') {
      return json({
        ServerName: this.serverName,
        Version: this.flavor === 'JELLYFIN' ? '10.10.7' : '4.8.11.0',
        Id: this.serverId,
        OperatingSystem: 'Linux',
        ProductName: this.flavor === 'JELLYFIN' ? 'Jellyfin Server' : 'Emby Server',
        LocalAddress: this.url,
      });
    }
    if (request.method === 'GET' && path === '/Sessions') return json(this.sessionList());
    if (request.method === 'GET' && path === '/Users') {
      return json(
        this.users.map((u) => ({
          Name: u.name,
          ServerId: this.serverId,
          Id: u.id,
          HasPassword: true,
          HasConfiguredPassword: true,
          EnableAutoLogin: false,
          LastLoginDate: new Date().toISOString(),
          LastActivityDate: new Date().toISOString(),
          Policy: { IsAdministrator: u.isAdmin ?? false, IsHidden: false, IsDisabled: false, EnableRemoteAccess: true },
        })),
      );
    }
    if (request.method === 'GET' && path === '/Library/VirtualFolders') {
      return json(
        this.libraries.map((l) => ({
          Name: l.title,
          Locations: [`/media/${l.title}`],
          CollectionType: l.kind === 'movie' ? 'movies' : l.kind === 'show' ? 'tvshows' : 'music',
          ItemId: l.id,
          RefreshStatus: 'Idle',
        })),
      );
    }
    if (request.method === 'GET' && path === '/Items') {
      const parent = q.get('ParentId');
      const types = (q.get('IncludeItemTypes') ?? '').split(',').filter(Boolean);
      const all = this.items.filter(
        (i) => (!parent || i.libraryId === parent) && (types.length === 0 || types.includes(ITEM_TYPE[i.type])),
      );
      const start = Number(q.get('StartIndex') ?? 0);
      const limit = Number(q.get('Limit') ?? all.length);
      return json({
        // Like the real servers, ProviderIds only when the Fields list asks for them.
        Items: all
          .slice(start, start + limit)
          .map((i) => baseItem(i, this, true, (q.get('Fields') ?? '').split(',').includes('ProviderIds'))),
        TotalRecordCount: all.length,
        StartIndex: start,
      });
    }
    const image = /^\/Items\/([^/]+)\/Images\/Primary$/i.exec(path);
    if (request.method === 'GET' && image) {
      const id = image[1]!;
      if (!this.items.some((i) => !i.noArt && (i.id === id || i.seriesId === id))) return notFound;
      const width = Number(q.get('maxWidth') ?? 400);
      return { status: 200, headers: { 'Content-Type': 'image/png' }, body: posterPng(id, width, width * 1.5) };
    }
    const command = /^\/Sessions\/([^/]+)\/(Playing\/Stop|Message)$/i.exec(path);
    if (request.method === 'POST' && command) {
      const sessionId = command[1]!;
      if (!this.sessions.has(sessionId)) return notFound;
      if (command[2]!.toLowerCase() === 'message') {
        const body = request.body ? (JSON.parse(request.body) as Record<string, string>) : {};
        this.messages.push({
          sessionId,
          header: body.Header ?? q.get('Header') ?? '',
          text: body.Text ?? q.get('Text') ?? '',
        });
        return { status: 204 };
      }
      const lastMessage = [...this.messages].reverse().find((m) => m.sessionId === sessionId);
      this.terminateSession(sessionId, lastMessage?.text ?? '');
      return { status: 204 };
    }
    return notFound;
  }

  private sessionList(): Array<Record<string, unknown>> {
    const list: Array<Record<string, unknown>> = this.listedSessions().map((s) => sessionInfo(s, this));
    for (let i = 0; i < this.idleClients; i++) {
      list.push({
        PlayState: { CanSeek: false, IsPaused: false, IsMuted: false, RepeatMode: 'RepeatNone' },
        RemoteEndPoint: '192.168.1.50',
        Id: `idle${i}`,
        Client: 'Jellyfin Web',
        DeviceName: 'Idle browser',
        DeviceId: `idle-device-${i}`,
        ApplicationVersion: '10.10.7',
        IsActive: true,
        SupportsMediaControl: true,
        SupportsRemoteControl: true,
        ServerId: this.serverId,
      });
    }
    return list;
  }
}
