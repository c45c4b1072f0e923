// Shared machinery of the fake media servers: an HTTP server on loopback with the server's
// authentication, scripted faults, going down and coming back on the same port, and a record of
// every request and every stop/message command, for tests and the demo.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  FakeSession,
  type Fault,
  type FakeDevice,
  type FakeItem,
  type FakeLibrary,
  type FakeState,
  type FakeUser,
  type SessionSpec,
  type Termination,
} from './fleet.ts';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export abstract class FakeMediaServer {
  readonly users: FakeUser[] = [];
  readonly libraries: FakeLibrary[] = [];
  readonly items: FakeItem[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly terminations: Termination[] = [];
  readonly messages: Array<{ sessionId: string; header: string; text: string }> = [];
  readonly requests: Array<{ method: string; path: string }> = [];
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private nextSessionNumber = 1;

  /** The token (X-Plex-Token or API key) it accepts. */
  token: string;

  constructor(token: string) {
    this.token = token;
  }

  /**
   * Accepts another token from now on, as a real server does once its admin revokes a token or
   * changes the password behind it: requests with the old one are refused with 401.
   */
  useToken(token: string): void {
    this.token = token;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  /** A WebSocket upgrade request; servers without a socket API refuse it. */
  protected upgrade(_req: IncomingMessage, socket: Socket, _head: Buffer): void {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  }

  /** Stops answering: closes the listener and every open connection (streams included). */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.onDown();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** Listens again on the same port. */
  async comeUp(): Promise<void> {
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.goDown();
  }

  /** The next `count` requests of the session list fail this way. */
  fail(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  addUser(user: FakeUser): FakeUser {
    this.users.push(user);
    return user;
  }

  addLibrary(library: FakeLibrary, items: FakeItem[] = []): FakeLibrary {
    this.libraries.push(library);
    this.items.push(...items);
    return library;
  }

  private readonly omitted = new Map<string, number>();

  /**
   * Leaves a playing session out of the next `lists` session lists, as real servers briefly do
   * (Plex between transcoder segments, Jellyfin while a transcode restarts).
   */
  omitFromLists(session: FakeSession, lists = 1): void {
    this.omitted.set(session.id, lists);
  }

  /** The sessions the next session list shows. */
  protected listedSessions(): FakeSession[] {
    return [...this.sessions.values()].filter((s) => {
      const left = this.omitted.get(s.id) ?? 0;
      if (left <= 0) return true;
      this.omitted.set(s.id, left - 1);
      return false;
    });
  }

  /** Items outside the listed libraries (a section the test does not page through). */
  addItems(items: FakeItem[]): void {
    this.items.push(...items);
  }

  startSession(spec: SessionSpec): FakeSession {
    if (!this.users.some((u) => u.id === spec.user.id)) this.users.push(spec.user);
    if (!this.items.some((i) => i.id === spec.item.id)) this.items.push(spec.item);
    const number = this.nextSessionNumber++;
    const session = new FakeSession(
      this.sessionId(number),
      String(number),
      spec,
      (s, state) => this.onSessionChange(s, state),
      (s) => this.sessions.delete(s.id),
    );
    this.sessions.set(session.id, session);
    this.onSessionChange(session, 'playing');
    return session;
  }

  device(
    name: string,
    product: string,
    platform: string,
    id = `${name.toLowerCase().replace(/\W+/g, '-')}-${this.nextSessionNumber}`,
  ): FakeDevice {
    return { id, name, product, platform, version: '1.0.0' };
  }

  /** Removes a session on a stop command, as the real server does. */
  protected terminateSession(sessionId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.terminations.push({ sessionId, reason, at: Date.now() });
    session.stop();
    return true;
  }

  protected takeFault(): Fault | undefined {
    return this.faults.shift();
  }

  protected abstract sessionId(n: number): string;
  protected abstract authorized(request: FakeRequest): boolean;
  protected abstract unauthorized(): FakeReply;
  /** Answers a request; 'stream' when the handler took over the response (event streams). */
  protected abstract route(
    request: FakeRequest,
    res: ServerResponse,
  ): FakeReply | 'stream' | Promise<FakeReply | 'stream'>;
  protected abstract isSessionList(path: string): boolean;
  /** The session list as the server would answer it now (the body truncated-json cuts). */
  protected abstract sessionListBody(): unknown;
  /** A list in a shape the client does not expect, and a list with one unreadable entry. */
  protected abstract wrongShape(): FakeReply;
  protected abstract partialEntry(request: FakeRequest): FakeReply;

  private render(fault: Fault, request: FakeRequest): FakeReply | 'hang' | 'reset' {
    switch (fault) {
      case 'html-error':
        return htmlError();
      case 'unauthorized':
        return this.unauthorized();
      case 'truncated-json':
        return truncated(this.sessionListBody());
      case 'wrong-shape':
        return this.wrongShape();
      case 'partial-entry':
        return this.partialEntry(request);
      default:
        return fault;
    }
  }
  protected onSessionChange(_session: FakeSession, _state: FakeState | 'stopped'): void {}
  protected onDown(): void {}

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', this.url),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push({ method: request.method, path: request.url.pathname });
    if (!this.authorized(request)) return send(res, this.unauthorized());
    if (this.isSessionList(request.url.pathname)) {
      const fault = this.takeFault();
      if (fault) {
        const reply = this.render(fault, request);
        if (reply === 'hang') return; // never answers; the client's timeout must fire
        if (reply === 'reset') return void req.socket.destroy();
        return send(res, reply);
      }
    }
    const reply = await this.route(request, res);
    if (reply !== 'stream') send(res, reply);
  }
}

function send(res: ServerResponse, reply: FakeReply): void {
  res.writeHead(reply.status, reply.headers ?? {});
  res.end(reply.body ?? '');
}

export function json(value: unknown, status = 200, headers: Record<string, string> = {}): FakeReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export const notFound: FakeReply = {
  status: 404,
  headers: { 'Content-Type': 'text/html' },
  body: '<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1></body></html>',
};

function truncated(value: unknown): FakeReply {
  const text = JSON.stringify(value);
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
  };
}

function htmlError(): FakeReply {
  return {
    status: 502,
    headers: { 'Content-Type': 'text/html' },
    body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
  };
}
