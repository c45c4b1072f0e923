// The live feed over /api/v1/live: a snapshot on connect, then sessions, violations and server
// status as they happen. Reconnects with growing back-off; the page never needs a reload.
import type { LiveSession, LiveViolation, ServerSample } from './types.ts';

type Message =
  | { type: 'snapshot'; sessions: LiveSession[]; servers: ServerSample[] }
  | { type: 'session.started' | 'session.updated' | 'session.stopped'; session: LiveSession }
  | { type: 'violation'; violation: LiveViolation }
  | { type: 'server.status'; server: ServerSample };

class LiveFeed {
  sessions = $state<LiveSession[]>([]);
  servers = $state<Record<string, ServerSample>>({});
  violations = $state<LiveViolation[]>([]);
  connected = $state(false);
  private socket: WebSocket | null = null;
  private retry = 1000;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wanted = false;

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.open();
  }

  stop(): void {
    this.wanted = false;
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  private open(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.connected = true;
      this.retry = 1000;
    };
    socket.onmessage = (event) => {
      try {
        this.apply(JSON.parse(String(event.data)) as Message);
      } catch {
        // A message this version does not understand is skipped, not fatal.
      }
    };
    socket.onclose = () => {
      this.connected = false;
      if (this.socket === socket) this.socket = null;
      if (!this.wanted) return;
      this.timer = setTimeout(() => this.open(), this.retry);
      this.retry = Math.min(this.retry * 2, 30_000);
    };
  }

  private apply(message: Message): void {
    const key = (s: LiveSession) => `${s.serverId}/${s.sessionKey}`;
    switch (message.type) {
      case 'snapshot':
        this.sessions = message.sessions;
        this.servers = Object.fromEntries(message.servers.map((s) => [s.serverId, s]));
        break;
      case 'session.started':
      case 'session.updated': {
        const index = this.sessions.findIndex((s) => key(s) === key(message.session));
        if (index >= 0) this.sessions[index] = message.session;
        else this.sessions = [message.session, ...this.sessions];
        break;
      }
      case 'session.stopped':
        this.sessions = this.sessions.filter((s) => key(s) !== key(message.session));
        break;
      case 'violation':
        this.violations = [message.violation, ...this.violations].slice(0, 50);
        break;
      case 'server.status':
        this.servers[message.server.serverId] = message.server;
        break;
    }
  }

  /** Drops a stopped stream at once, before the server's next report confirms it. */
  forget(serverId: string, sessionKey: string): void {
    this.sessions = this.sessions.filter((s) => !(s.serverId === serverId && s.sessionKey === sessionKey));
  }
}

export const live = new LiveFeed();
