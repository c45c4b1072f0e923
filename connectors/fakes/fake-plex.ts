// A fake Plex Media Server speaking the endpoints Streamwarden uses, in Plex's JSON shapes
// (MediaContainer wrappers, camelCase attributes, nested Media/Part/User/Player/Session/
// TranscodeSession), with the event source at /:/eventsource/notifications.
import type { ServerResponse } from 'node:http';
import { FakeMediaServer, json, notFound, type FakeReply, type FakeRequest } from './fake-server.ts';
import type { FakeSession, FakeState } from './fleet.ts';
import { posterPng } from './poster-image.ts';
import { plexMetadata, plexSessionEntry } from './plex-bodies.ts';

export class FakePlexServer extends FakeMediaServer {
  readonly machineIdentifier = 'f4k3pl3x0000000000000000000000000000beef';
  readonly friendlyName: string;
  private readonly streams = new Set<ServerResponse>();
  private pingTimer: NodeJS.Timeout | undefined;
  resources = {
    hostCpuUtilization: 23.5,
    processCpuUtilization: 11.25,
    hostMemoryUtilization: 61.2,
    processMemoryUtilization: 4.8,
  };

  constructor(token: string, friendlyName = 'Fake Plex') {
    super(token);
    this.friendlyName = friendlyName;
  }

  protected sessionId(n: number): string {
    // Plex Session.id is an opaque string; sessionKey a small counter.
    return `plexsess${n.toString(16).padStart(4, '0')}x${Math.random().toString(36).slice(2, 10)}`;
  }

  protected isSessionList(path: string): boolean {
    return path === '/status/sessions';
  }

  protected authorized(request: FakeRequest): boolean {
    return (request.headers['x-plex-token'] ?? request.url.searchParams.get('X-Plex-Token')) === this.token;
  }

  protected unauthorized(): FakeReply {
    return {
      status: 401,
      headers: { 'Content-Type': 'text/html' },
      body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>',
    };
  }

  protected sessionListBody(): unknown {
    return this.sessionsBody();
  }

  protected wrongShape(): FakeReply {
    return json({ error: 'unexpected', Metadata: 'none' });
  }

  protected partialEntry(request: FakeRequest): FakeReply {
    const body = this.sessionsBody();
    const first = body.MediaContainer.Metadata[0] as Record<string, unknown> | undefined;
    if (first) delete first.Player;
    return this.reply(request, body);
  }

  /** Plex answers XML unless the client asks for JSON. */
  private reply(request: FakeRequest, body: unknown): FakeReply {
    if (!String(request.headers.accept ?? '').includes('application/json')) {
      return {
        status: 200,
        headers: { 'Content-Type': 'text/xml;charset=utf-8' },
        body: '<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0">\n</MediaContainer>\n',
      };
    }
    return json(body);
  }

  protected route(request: FakeRequest, res: ServerResponse): FakeReply | 'stream' {
    const path = request.url.pathname;
    const q = request.url.searchParams;
    if (path === '/')
      return this.reply(request, {
        MediaContainer: {
          size: 0,
          friendlyName: this.friendlyName,
          machineIdentifier: this.machineIdentifier,
          version: '1.41.3.9314-a0bfb8370',
          platform: 'Linux',
          myPlex: true,
        },
      });
    if (path === '/identity')
      return this.reply(request, {
        MediaContainer: {
          size: 0,
          claimed: true,
          machineIdentifier: this.machineIdentifier,
          version: '1.41.3.9314-a0bfb8370',
        },
      });
    if (path === '/status/sessions') return this.reply(request, this.sessionsBody());
    if (path === '/status/sessions/terminate') {
      const sessionId = q.get('sessionId') ?? '';
      return this.terminateSession(sessionId, q.get('reason') ?? '') ? { status: 200 } : notFound;
    }
    if (path === '/accounts') {
      const accounts = [
        { id: 0, key: '/accounts/0', name: '' },
        ...this.users.map((u) => ({
          id: Number(u.id),
          key: `/accounts/${u.id}`,
          name: u.name,
          defaultAudioLanguage: 'en',
          autoSelectAudio: true,
          defaultSubtitleLanguage: 'en',
          subtitleMode: 0,
          thumb: `https://plex.tv/users/${u.id}/avatar`,
        })),
      ];
      return this.reply(request, {
        MediaContainer: { size: accounts.length, identifier: 'com.plexapp.system.accounts', Account: accounts },
      });
    }
    if (path === '/statistics/resources') {
      const at = Math.floor(Date.now() / 1000);
      return this.reply(request, {
        MediaContainer: {
          size: 2,
          StatisticsResources: [
            { timespan: 6, at: at - 6, ...this.resources, hostCpuUtilization: 1 },
            { timespan: 6, at, ...this.resources },
          ],
        },
      });
    }
    if (path === '/library/sections') {
      return this.reply(request, {
        MediaContainer: {
          size: this.libraries.length,
          allowSync: false,
          title1: 'Plex Library',
          Directory: this.libraries.map((l) => ({
            allowSync: true,
            key: l.id,
            type: l.kind,
            title: l.title,
            agent: 'tv.plex.agents.movie',
            scanner: 'Plex Movie',
            language: 'en-US',
            uuid: `uuid-${l.id}`,
            updatedAt: 1_700_000_000,
            createdAt: 1_690_000_000,
            scannedAt: 1_700_000_000,
            content: true,
            directory: true,
            hidden: 0,
            Location: [{ id: Number(l.id), path: `/data/${l.title}` }],
          })),
        },
      });
    }
    const all = /^\/library\/sections\/([^/]+)\/all$/.exec(path);
    if (all) {
      const library = this.libraries.find((l) => l.id === all[1]);
      if (!library) return notFound;
      const items = this.items.filter((i) => i.libraryId === library.id);
      const start = Number(q.get('X-Plex-Container-Start') ?? request.headers['x-plex-container-start'] ?? 0);
      const size = Number(q.get('X-Plex-Container-Size') ?? request.headers['x-plex-container-size'] ?? items.length);
      const page = items.slice(start, start + size);
      return this.reply(request, {
        MediaContainer: {
          size: page.length,
          totalSize: items.length,
          offset: start,
          allowSync: true,
          librarySectionID: Number(library.id),
          librarySectionTitle: library.title,
          // Plex lists an item's Guid elements in a section only when asked with includeGuids=1.
          Metadata: page.map((i) => plexMetadata(i, q.get('includeGuids') === '1')),
        },
      });
    }
    const meta = /^\/library\/metadata\/([^/]+)$/.exec(path);
    if (meta) {
      // Live TV has no library metadata.
      const item = this.items.find((i) => i.id === meta[1] && !i.live);
      return item
        ? this.reply(request, { MediaContainer: { size: 1, Metadata: [plexMetadata(item, true)] } })
        : notFound;
    }
    if (path === '/:/eventsource/notifications') return this.openEventStream(res);
    if (path === '/photo/:/transcode') return this.photo(q);
    return notFound;
  }

  /** Plex's photo transcoder: the art at `url` (a path on this server) scaled to width x height. */
  private photo(q: URLSearchParams): FakeReply {
    const width = Number(q.get('width'));
    const height = Number(q.get('height'));
    if (!(width > 0) || !(height > 0)) return { status: 400, headers: { 'Content-Type': 'text/html' }, body: '' };
    const art = /^\/library\/metadata\/([^/]+)\/thumb\/\d+$/.exec(q.get('url') ?? '');
    const known = art && this.items.some((i) => !i.noArt && [i.id, i.seasonId, i.seriesId].includes(art[1]));
    if (!known) return notFound;
    return { status: 200, headers: { 'Content-Type': 'image/png' }, body: posterPng(art[1]!, width, height) };
  }

  private sessionsBody(): { MediaContainer: { size: number; Metadata: unknown[] } } {
    const metadata = this.listedSessions().map((s) => plexSessionEntry(s));
    return { MediaContainer: { size: metadata.length, Metadata: metadata } };
  }

  private openEventStream(res: ServerResponse): 'stream' {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.flushHeaders();
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    this.pingTimer ??= setInterval(() => this.broadcast('ping', {}), 10_000).unref();
    return 'stream';
  }

  /** One SSE frame per notification: the type in the event field, one bare entry as data. */
  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }

  /** Drops the open event streams (the server keeps answering requests). */
  dropEventStreams(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  get eventStreamCount(): number {
    return this.streams.size;
  }

  protected override onSessionChange(s: FakeSession, state: FakeState | 'stopped'): void {
    this.broadcast('playing', {
      PlaySessionStateNotification: {
        sessionKey: s.key,
        clientIdentifier: s.spec.device.id,
        guid: '',
        ratingKey: s.spec.item.id,
        url: '',
        key: `/library/metadata/${s.spec.item.id}`,
        viewOffset: s.positionMs,
        playQueueItemID: Number(s.key) + 1000,
        playQueueID: Number(s.key) + 2000,
        state,
      },
    });
  }

  protected override onDown(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    this.dropEventStreams();
  }
}
