// Jellyfin and Emby share the MediaBrowser API: GET /Sessions, /Users, /Items, and
// POST /Sessions/{id}/Playing/Stop. They differ in authentication (Jellyfin: the
// "Authorization: MediaBrowser Token=..." header; Emby: X-Emby-Token), in Emby's /emby path
// prefix, and in how /Sessions/{id}/Message takes its arguments. Ticks are 100 ns.
import type { MediaType, StreamDecision, StreamQuality } from '../schemas/index.ts';
import { providerExternalIds } from './external-ids.ts';
import { ServerHttp, ServerRequestError, type FetchedImage, type HttpLimits } from './http.ts';
import { mediaBrowserImageRef, type ImageRequest } from './image-refs.ts';
import { MediaBrowserSocketFeed } from './mediabrowser-socket.ts';
import { isPrivateAddress, normalizeIp } from '../core/network.ts';
import {
  int,
  lower,
  num,
  resolutionOf,
  str,
  ticksToMs,
  type ChangeFeed,
  type Library,
  type LibraryItem,
  type MediaServerClient,
  type ObservedSession,
  type Page,
  type ResourceUsage,
  type ServerIdentity,
  type ServerUser,
  type SessionsSnapshot,
  type SkippedEntry,
} from './model.ts';

type Json = Record<string, unknown>;
type Flavor = 'JELLYFIN' | 'EMBY';

const MEDIA_TYPES: Record<string, MediaType> = {
  Movie: 'MOVIE',
  Episode: 'EPISODE',
  Audio: 'TRACK',
  AudioBook: 'TRACK',
  TvChannel: 'LIVE_TV',
  LiveTvProgram: 'LIVE_TV',
  Video: 'VIDEO',
  MusicVideo: 'VIDEO',
  Trailer: 'VIDEO',
  Photo: 'PHOTO',
};

function streamsOf(item: Json | undefined): Json[] {
  const streams = item?.MediaStreams;
  return Array.isArray(streams) ? (streams as Json[]) : [];
}

/** The stream of a type being played: the one PlayState names by Index, else the default, else the first. */
function playingStream(streams: Json[], type: 'Video' | 'Audio', index: unknown): Json | undefined {
  const ofType = streams.filter((s) => s.Type === type);
  const chosen = typeof index === 'number' ? ofType.find((s) => s.Index === index) : undefined;
  return chosen ?? ofType.find((s) => s.IsDefault === true) ?? ofType[0];
}

/** Trailers and cinema pre-rolls play before a film: they are not plays and never count as streams. */
function isIntroduction(item: Json): boolean {
  if (item.Type === 'Trailer') return true;
  const ids = item.ProviderIds;
  return !!ids && typeof ids === 'object' && Object.keys(ids).some((k) => k.toLowerCase() === 'prerolls.video');
}

/**
 * Hardware transcoding: Jellyfin names the accelerator (HardwareAccelerationType, "none" when
 * software); Emby says per side whether the decoder or encoder is hardware.
 */
function hardwareTranscode(t: Json): { hardware: boolean; accelerator: string | null } {
  const jellyfin = str(t.HardwareAccelerationType);
  if (jellyfin !== null) {
    const hardware = jellyfin.toLowerCase() !== 'none';
    return { hardware, accelerator: hardware ? jellyfin : null };
  }
  const hardware = t.VideoDecoderIsHardware === true || t.VideoEncoderIsHardware === true;
  return { hardware, accelerator: hardware ? (str(t.VideoEncoderHwAccel) ?? str(t.VideoDecoderHwAccel)) : null };
}

function kbps(bitsPerSecond: unknown): number | null {
  const n = num(bitsPerSecond);
  return n === null ? null : Math.round(n / 1000);
}

/** One element of GET /Sessions: a playback session, null for an idle client, or why it is unusable. */
export function mapMediaBrowserSession(raw: Json): ObservedSession | SkippedEntry | null {
  const item = raw.NowPlayingItem as Json | null | undefined;
  if (item == null || isIntroduction(item)) return null;
  const id = str(raw.Id);
  if (!id) return { sessionKey: null, reason: 'session without Id' };
  const userId = str(raw.UserId);
  if (!userId) return { sessionKey: id, reason: `session ${id} has no UserId` };
  const itemId = str(item.Id);
  if (!itemId) return { sessionKey: id, reason: `session ${id} plays an item without Id` };

  const play = (raw.PlayState ?? {}) as Json;
  const transcoding = raw.TranscodingInfo as Json | null | undefined;
  const streams = streamsOf(item);
  const video = playingStream(streams, 'Video', undefined);
  const audio = playingStream(streams, 'Audio', play.AudioStreamIndex);
  const method = str(play.PlayMethod);
  const transcodingNow = method === 'Transcode' && transcoding != null;
  const directOr = (isDirect: unknown): StreamDecision => (isDirect === true ? 'DIRECT_STREAM' : 'TRANSCODE');
  const videoDecision: StreamDecision = !video
    ? 'NONE'
    : transcodingNow
      ? directOr(transcoding.IsVideoDirect)
      : method === 'DirectStream'
        ? 'DIRECT_STREAM'
        : 'DIRECT_PLAY';
  const audioDecision: StreamDecision = !audio
    ? 'NONE'
    : transcodingNow
      ? directOr(transcoding.IsAudioDirect)
      : method === 'DirectStream'
        ? 'DIRECT_STREAM'
        : 'DIRECT_PLAY';
  // What is played: the video and the chosen audio track (not every audio track, image or data stream).
  const sourceBitrate = [video, audio].reduce<number | null>(
    (sum, s) => (kbps(s?.BitRate) === null ? sum : (sum ?? 0) + kbps(s?.BitRate)!),
    null,
  );
  const bitrate = transcodingNow ? (kbps(transcoding.Bitrate) ?? sourceBitrate) : sourceBitrate;
  const sourceResolution = resolutionOf(num(video?.Width), num(video?.Height));
  const reasons = transcoding?.TranscodeReasons;
  const hardware = transcodingNow ? hardwareTranscode(transcoding) : null;

  const quality: StreamQuality = {
    videoDecision,
    audioDecision,
    isTranscode: videoDecision === 'TRANSCODE' || audioDecision === 'TRANSCODE',
    transcodeHardware: hardware?.hardware ?? null,
    transcodeAccelerator: hardware?.accelerator ?? null,
    transcodeReasons: Array.isArray(reasons)
      ? reasons.map(String)
      : typeof reasons === 'string'
        ? reasons.split(',').filter(Boolean)
        : [],
    bitrateKbps: bitrate,
    sourceBitrateKbps: sourceBitrate,
    // These servers report no per-session bandwidth: what is streamed is the best estimate.
    bandwidthKbps: bitrate,
    sourceVideoResolution: sourceResolution,
    streamVideoResolution:
      videoDecision === 'TRANSCODE'
        ? (resolutionOf(num(transcoding?.Width), num(transcoding?.Height)) ?? sourceResolution)
        : sourceResolution,
    sourceVideoCodec: lower(video?.Codec),
    streamVideoCodec:
      videoDecision === 'TRANSCODE' ? (lower(transcoding?.VideoCodec) ?? lower(video?.Codec)) : lower(video?.Codec),
    sourceAudioCodec: lower(audio?.Codec),
    streamAudioCodec:
      audioDecision === 'TRANSCODE' ? (lower(transcoding?.AudioCodec) ?? lower(audio?.Codec)) : lower(audio?.Codec),
    container: (transcodingNow ? lower(transcoding.Container) : null) ?? lower(item.Container),
  };

  const ip = normalizeIp(str(raw.RemoteEndPoint));
  const isEpisode = item.Type === 'Episode';
  // Live TV: the programme is what is watched, the channel what it is on.
  const programme = item.Type === 'TvChannel' ? str((item.CurrentProgram as Json | undefined)?.Name) : null;
  return {
    sessionKey: id,
    terminateId: id,
    userId,
    userName: str(raw.UserName) ?? `user ${userId}`,
    media: {
      itemId,
      title: programme ?? str(item.Name) ?? '(untitled)',
      mediaType: MEDIA_TYPES[String(item.Type)] ?? 'OTHER',
      parentItemId: str(item.SeasonId) ?? str(item.AlbumId),
      parentTitle: str(item.SeasonName) ?? str(item.Album),
      grandparentItemId:
        str(item.SeriesId) ??
        str(item.AlbumArtistId ?? (Array.isArray(item.ArtistItems) ? (item.ArtistItems[0] as Json)?.Id : undefined)),
      grandparentTitle: programme ? str(item.Name) : (str(item.SeriesName) ?? str(item.AlbumArtist)),
      seasonNumber: isEpisode ? int(item.ParentIndexNumber) : null,
      episodeNumber: isEpisode ? int(item.IndexNumber) : null,
      year: int(item.ProductionYear),
      libraryId: null,
      imageRef: mediaBrowserImageRef(item),
    },
    device: {
      deviceId: str(raw.DeviceId) ?? `${str(raw.Client) ?? 'client'}@${ip}`,
      deviceName: str(raw.DeviceName) ?? 'Unknown device',
      player: str(raw.Client) ?? 'Unknown client',
      product: str(raw.Client) ?? 'Unknown',
      platform: str(raw.DeviceType) ?? str(raw.Client) ?? 'Unknown',
      productVersion: str(raw.ApplicationVersion),
    },
    clientIp: ip,
    networkLocation: ip ? (isPrivateAddress(ip) ? 'LAN' : 'WAN') : 'UNKNOWN',
    playState: play.IsPaused === true ? 'PAUSED' : 'PLAYING',
    positionMs: ticksToMs(play.PositionTicks) ?? 0,
    durationMs: ticksToMs(item.RunTimeTicks),
    quality,
  };
}

export interface MediaBrowserOptions {
  flavor: Flavor;
  url: string;
  token: string;
  clientId: string;
  limits?: HttpLimits;
}

export class MediaBrowserClient implements MediaServerClient {
  readonly type: 'JELLYFIN' | 'EMBY';
  readonly http: ServerHttp;
  private readonly prefix: string;

  constructor(private readonly options: MediaBrowserOptions) {
    this.type = options.flavor;
    // Emby serves its API under /emby (the bare paths redirect on some versions).
    this.prefix = options.flavor === 'EMBY' && !/\/emby\/?$/i.test(options.url) ? '/emby' : '';
    this.http = new ServerHttp(options.url, () => this.headers(), options.limits);
  }

  headers(): Record<string, string> {
    const { token, clientId, flavor } = this.options;
    if (flavor === 'JELLYFIN') {
      return {
        Authorization: `MediaBrowser Client="Streamwarden", Device="Streamwarden", DeviceId="${clientId}", Version="0.1.0", Token="${token}"`,
      };
    }
    return {
      'X-Emby-Token': token,
      'X-Emby-Client': 'Streamwarden',
      'X-Emby-Device-Id': clientId,
      'X-Emby-Device-Name': 'Streamwarden',
      'X-Emby-Client-Version': '0.1.0',
    };
  }

  private get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.http.request<T>(this.prefix + path, { query });
  }

  /** The server's WebSocket push of its session list (Jellyfin /socket, Emby /embyws). */
  changeFeed(): ChangeFeed {
    const url = new URL(this.options.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const base = url.pathname.replace(/\/+$/, '').replace(/\/emby$/i, '');
    url.pathname = `${base}${this.type === 'JELLYFIN' ? '/socket' : '/embyws'}`;
    url.search = new URLSearchParams({ api_key: this.options.token, deviceId: this.options.clientId }).toString();
    return new MediaBrowserSocketFeed(url.toString());
  }

  async identity(): Promise<ServerIdentity> {
    const info = await this.get<Json>('/System/Info');
    return {
      name: str(info?.ServerName) ?? this.type,
      version: str(info?.Version) ?? 'unknown',
      machineId: str(info?.Id) ?? '',
    };
  }

  async sessions(): Promise<SessionsSnapshot> {
    const body = await this.get<unknown>('/Sessions');
    if (!Array.isArray(body))
      throw new ServerRequestError(
        'MALFORMED',
        `GET ${this.prefix}/Sessions: expected a list of sessions, got ${typeof body}`,
      );
    const snapshot: SessionsSnapshot = { sessions: [], skipped: [] };
    for (const entry of body as Json[]) {
      const mapped =
        entry && typeof entry === 'object'
          ? mapMediaBrowserSession(entry)
          : { sessionKey: null, reason: 'session entry is not an object' };
      if (mapped === null) continue;
      if ('reason' in mapped) snapshot.skipped.push(mapped);
      else snapshot.sessions.push(mapped);
    }
    return snapshot;
  }

  async users(): Promise<ServerUser[]> {
    const body = await this.get<unknown>('/Users');
    const list = Array.isArray(body) ? body : ((body as { Items?: unknown })?.Items ?? []);
    return (list as Json[])
      .filter((u) => str(u.Id) !== null)
      .map((u) => {
        const policy = (u.Policy ?? {}) as Json;
        const last = str(u.LastActivityDate);
        return {
          userId: str(u.Id)!,
          userName: str(u.Name) ?? str(u.Id)!,
          isAdmin: typeof policy.IsAdministrator === 'boolean' ? policy.IsAdministrator : null,
          isDisabled: typeof policy.IsDisabled === 'boolean' ? policy.IsDisabled : null,
          lastActivityAt: last && !Number.isNaN(Date.parse(last)) ? Date.parse(last) : null,
        };
      });
  }

  async terminate(terminateId: string, message: string): Promise<void> {
    // The message is a courtesy before the stop: a client that cannot show it is stopped anyway.
    if (message) await this.message(terminateId, message).catch(() => undefined);
    await this.http.request(`${this.prefix}/Sessions/${encodeURIComponent(terminateId)}/Playing/Stop`, {
      method: 'POST',
      expect: 'empty',
    });
  }

  async message(terminateId: string, message: string): Promise<void> {
    const text = { Header: 'Streamwarden', Text: message, TimeoutMs: 10_000 };
    // Jellyfin takes a MessageCommand body; Emby documents the same fields as query parameters.
    await this.http.request(
      `${this.prefix}/Sessions/${encodeURIComponent(terminateId)}/Message`,
      this.type === 'JELLYFIN'
        ? { method: 'POST', body: text, expect: 'empty' }
        : { method: 'POST', query: text, expect: 'empty' },
    );
  }

  async resources(): Promise<ResourceUsage | null> {
    return null;
  }

  async libraries(): Promise<Library[]> {
    const body = await this.get<unknown>('/Library/VirtualFolders');
    return (Array.isArray(body) ? (body as Json[]) : [])
      .filter((f) => str(f.ItemId) !== null)
      .map((f) => ({
        libraryId: str(f.ItemId)!,
        title: str(f.Name) ?? 'Library',
        kind: str(f.CollectionType) ?? 'mixed',
      }));
  }

  async libraryItems(libraryId: string, start: number, size: number): Promise<Page<LibraryItem>> {
    const body = await this.get<{ Items?: Json[]; TotalRecordCount?: number }>('/Items', {
      ParentId: libraryId,
      Recursive: true,
      Fields: 'MediaSources,Path,DateCreated,ProviderIds',
      IncludeItemTypes: 'Movie,Episode,Audio,MusicVideo,Video',
      StartIndex: start,
      Limit: size,
    });
    if (!body || !Array.isArray(body.Items))
      throw new ServerRequestError('MALFORMED', `GET ${this.prefix}/Items: no Items list`);
    const items = body.Items.filter((i) => str(i.Id) !== null).map((i): LibraryItem => {
      const source = (Array.isArray(i.MediaSources) ? i.MediaSources[0] : undefined) as Json | undefined;
      const streams = streamsOf(source ?? i);
      const video = playingStream(streams, 'Video', undefined);
      const created = str(i.DateCreated);
      return {
        itemId: str(i.Id)!,
        libraryId,
        title: str(i.Name) ?? '(untitled)',
        mediaType: MEDIA_TYPES[String(i.Type)] ?? 'OTHER',
        grandparentTitle: str(i.SeriesName) ?? str(i.AlbumArtist),
        year: int(i.ProductionYear),
        seasonNumber: i.Type === 'Episode' ? int(i.ParentIndexNumber) : null,
        episodeNumber: i.Type === 'Episode' ? int(i.IndexNumber) : null,
        externalIds: providerExternalIds(i.ProviderIds),
        addedAt: created && !Number.isNaN(Date.parse(created)) ? Date.parse(created) : null,
        durationMs: ticksToMs(i.RunTimeTicks),
        sizeBytes: num(source?.Size),
        videoResolution: resolutionOf(num(video?.Width), num(video?.Height)),
        videoCodec: lower(video?.Codec),
        audioCodec: lower(playingStream(streams, 'Audio', undefined)?.Codec),
        container: lower(source?.Container) ?? lower(i.Container),
        bitrateKbps: kbps(source?.Bitrate),
        path: str(source?.Path) ?? str(i.Path),
        imageRef: mediaBrowserImageRef(i),
      };
    });
    return { items, total: int(body.TotalRecordCount) ?? items.length };
  }

  image(request: ImageRequest, maxBytes: number): Promise<FetchedImage> {
    return this.http.image(this.prefix + request.path, request.query, maxBytes);
  }

  close(): void {
    this.http.clear();
  }
}
