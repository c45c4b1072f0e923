// The scripting model behind the fake media servers: users, library items, devices and the
// playback sessions a test or the demo starts, moves, pauses, re-addresses and stops. Each fake
// renders this state in its own server's API shape.

export interface FakeUser {
  id: string;
  name: string;
  isAdmin?: boolean;
}

export interface FakeItem {
  id: string;
  title: string;
  type: 'movie' | 'episode' | 'track';
  libraryId: string;
  durationMs: number;
  year?: number;
  seriesId?: string;
  seriesTitle?: string;
  seasonId?: string;
  season?: number;
  episode?: number;
  container: string;
  videoCodec?: string;
  videoHeight?: number;
  /** Default: 16:9 of the height. */
  videoWidth?: number;
  audioCodec: string;
  /** Several audio tracks (Jellyfin/Emby): replaces the one `audioCodec` track; indexes follow the video's. */
  audioTracks?: Array<{ codec: string; bitrateKbps: number; isDefault?: boolean; title?: string }>;
  /** Jellyfin/Emby: a trailer, or a cinema pre-roll (ProviderIds "prerolls.video"), played before a film. */
  extra?: 'trailer' | 'preroll';
  /** Jellyfin/Emby live TV: the item is a channel (its title) showing this programme. */
  programme?: string;
  /** Plex: further versions (Media elements) of the item after its own, e.g. a 1080p copy of a 4K film. */
  versions?: Array<{ videoCodec: string; videoHeight: number; audioCodec: string; bitrateKbps: number }>;
  /** Plex live TV (live="1"): /library/metadata answers 404 for it. */
  live?: boolean;
  /**
   * Ids outside the server: Plex lists them as Guid elements (imdb://..., tmdb://..., tvdb://...),
   * Jellyfin/Emby as ProviderIds. `plexGuid` is Plex's own guid attribute (plex://movie/..., or a
   * legacy agent's com.plexapp.agents.imdb://...); local://<id> when absent, as for unmatched items.
   */
  externalIds?: { imdb?: string; tmdb?: string; tvdb?: string; plexGuid?: string };
  bitrateKbps: number;
  sizeBytes: number;
  path: string;
  addedAt: number;
  /** The item (and its series) has no poster: Plex sends no thumb, Jellyfin/Emby no Primary image tag. */
  noArt?: boolean;
}

export interface FakeLibrary {
  id: string;
  title: string;
  kind: 'movie' | 'show' | 'artist';
}

export interface FakeDevice {
  id: string;
  name: string;
  product: string;
  platform: string;
  version?: string;
}

interface FakeTranscode {
  videoCodec?: string;
  audioCodec?: string;
  videoHeight?: number;
  videoWidth?: number;
  bitrateKbps: number;
  /** Video copied rather than transcoded (default false: video is transcoded). */
  videoDirect?: boolean;
  /** Audio copied rather than transcoded (default true: audio is copied). */
  audioDirect?: boolean;
  hardware?: boolean;
  reasons?: string[];
}

export interface SessionSpec {
  user: FakeUser;
  item: FakeItem;
  device: FakeDevice;
  ip: string;
  /** Plex's own LAN/WAN verdict; Jellyfin/Emby derive it from the address. */
  lan?: boolean;
  transcode?: FakeTranscode;
  /** Plex: which version is played, 0 for the item's own (default), n for versions[n - 1]. */
  version?: number;
  /** Plex: the session is listed without its Session element (python-plexapi documents it can be absent). */
  noSessionElement?: boolean;
  /** Plex: the theme music a client plays while a show's page is open (not a play). */
  theme?: boolean;
  /** Jellyfin/Emby PlayState.AudioStreamIndex: the Index of the audio track played (default 1). */
  audioStreamIndex?: number;
  /** Direct stream (remux) rather than direct play, when not transcoding. */
  directStream?: boolean;
  positionMs?: number;
}

export type FakeState = 'playing' | 'paused' | 'buffering';

export class FakeSession {
  state: FakeState = 'playing';
  positionMs: number;
  ip: string;
  startedAt = Date.now();

  constructor(
    /** Server-side session id (Plex Session.id, Jellyfin/Emby Id). */
    readonly id: string,
    /** Plex sessionKey (a small number as a string); Jellyfin/Emby use id. */
    readonly key: string,
    readonly spec: SessionSpec,
    private readonly changed: (session: FakeSession, state: FakeState | 'stopped') => void,
    private readonly removed: (session: FakeSession) => void,
  ) {
    this.positionMs = spec.positionMs ?? 0;
    this.ip = spec.ip;
  }

  progress(byMs: number): this {
    this.positionMs = Math.min(this.spec.item.durationMs, this.positionMs + byMs);
    this.changed(this, this.state);
    return this;
  }

  pause(): this {
    this.state = 'paused';
    this.changed(this, 'paused');
    return this;
  }

  resume(): this {
    this.state = 'playing';
    this.changed(this, 'playing');
    return this;
  }

  buffer(): this {
    this.state = 'buffering';
    this.changed(this, 'buffering');
    return this;
  }

  /** The client moves (new network): same session, new address. */
  setIp(ip: string): this {
    this.ip = ip;
    this.changed(this, this.state);
    return this;
  }

  stop(): void {
    this.changed(this, 'stopped');
    this.removed(this);
  }
}

export interface Termination {
  sessionId: string;
  reason: string;
  at: number;
}

/** Scripted faults for the next requests of the session list (or every endpoint). */
export type Fault =
  'html-error' | 'unauthorized' | 'truncated-json' | 'hang' | 'reset' | 'partial-entry' | 'wrong-shape';
