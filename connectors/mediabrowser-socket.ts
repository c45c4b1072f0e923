// Real time for Jellyfin and Emby: their WebSocket (/socket on Jellyfin, /embyws on Emby,
// authenticated with the API key and a device id) pushes the whole session list after
// SessionsStart. A change in what plays, in pause state, address or (coarsely) position triggers a
// poll at once; polling stays as the safety net, as with Plex's event source. The server asks for
// keep-alives (ForceKeepAlive, its timeout in seconds) and drops a client that sends none.
import WebSocket from 'ws';
import { backoffMs } from '../bus/types.ts';
import type { ChangeFeed } from './model.ts';

type Handlers = Parameters<ChangeFeed['start']>[0];

/** Pushed lists are compared on what would change an event; positions count per 10 s. */
function digest(sessions: unknown): string {
  if (!Array.isArray(sessions)) return '';
  return JSON.stringify(
    (sessions as Array<Record<string, unknown>>)
      .filter((s) => s && s.NowPlayingItem)
      .map((s) => {
        const play = (s.PlayState ?? {}) as Record<string, unknown>;
        const item = s.NowPlayingItem as Record<string, unknown>;
        const position = typeof play.PositionTicks === 'number' ? Math.floor(play.PositionTicks / 100_000_000) : null;
        return [s.Id, item.Id, play.IsPaused, play.AudioStreamIndex, s.RemoteEndPoint, position, !!s.TranscodingInfo];
      })
      .sort(),
  );
}

export class MediaBrowserSocketFeed implements ChangeFeed {
  private socket: WebSocket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;
  private last = '';

  constructor(
    /** ws:// or wss:// address of the socket, with api_key and deviceId. */
    private readonly url: string,
    /** Push interval asked of the server. */
    private readonly everyMs = 1500,
  ) {}

  start(handlers: Handlers): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url, { handshakeTimeout: 10_000 });
    this.socket = socket;
    let open = false;
    socket.on('open', () => {
      open = true;
      this.attempt = 0;
      this.last = '';
      socket.send(JSON.stringify({ MessageType: 'SessionsStart', Data: `0,${this.everyMs}` }));
      handlers.onConnected();
    });
    socket.on('message', (raw) => {
      let message: { MessageType?: unknown; Data?: unknown };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        return; // Not ours to judge: the polls read the sessions anyway.
      }
      if (message.MessageType === 'ForceKeepAlive') {
        const timeoutS = Number(message.Data) > 0 ? Number(message.Data) : 60;
        clearInterval(this.keepAlive);
        this.keepAlive = setInterval(
          () => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ MessageType: 'KeepAlive' })),
          (timeoutS * 1000) / 2,
        );
      } else if (message.MessageType === 'Sessions') {
        const now = digest(message.Data);
        if (now !== this.last) {
          this.last = now;
          handlers.onChange();
        }
      }
    });
    // 'error' is always followed by 'close', where reconnecting happens.
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      clearInterval(this.keepAlive);
      if (this.closed) return;
      if (open) handlers.onDisconnected(`socket closed (${code}${reason.length ? `: ${String(reason)}` : ''})`);
      this.retry = setTimeout(() => this.start(handlers), backoffMs(this.attempt++, 1000, 60_000));
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.keepAlive);
    this.socket?.terminate();
  }
}
