// What a fake Jellyfin or Emby server answers with, in their PascalCase JSON shapes: an item
// (BaseItemDto with MediaSources, MediaStreams, ProviderIds, ImageTags) and a playing session
// (SessionInfo). Positions and durations are ticks of 100 ns.
import { createHash } from 'node:crypto';
import type { FakeItem, FakeSession } from './fleet.ts';

export type FakeFlavor = 'JELLYFIN' | 'EMBY';

/** Which server a body comes from: both put their id in it, and differ in a few fields. */
export interface MediaBrowserIdentity {
  readonly serverId: string;
  readonly flavor: FakeFlavor;
}

const TICKS_PER_MS = 10_000;
const imageTag = (id: string, version: number) => createHash('md5').update(`${id}@${version}`).digest('hex');
export const ITEM_TYPE: Record<FakeItem['type'], string> = { movie: 'Movie', episode: 'Episode', track: 'Audio' };

/** An item as /Items and a session's NowPlayingItem carry it (BaseItemDto). */
export function baseItem(
  item: FakeItem,
  server: MediaBrowserIdentity,
  withSources: boolean,
  withProviderIds = false,
): Record<string, unknown> {
  const tracks = item.audioTracks ?? [{ codec: item.audioCodec, bitrateKbps: 640, isDefault: true }];
  const audioKbps = tracks.find((t) => t.isDefault)?.bitrateKbps ?? tracks[0]!.bitrateKbps;
  const streams = [
    ...(item.videoCodec
      ? [
          {
            Codec: item.videoCodec,
            Type: 'Video',
            Height: item.videoHeight,
            Width: item.videoWidth ?? Math.round(((item.videoHeight ?? 0) * 16) / 9),
            BitRate: (item.bitrateKbps - audioKbps) * 1000,
            IsDefault: true,
            Index: 0,
            DisplayTitle: `${item.videoHeight}p ${item.videoCodec.toUpperCase()}`,
          },
        ]
      : []),
    ...tracks.map((t, i) => ({
      Codec: t.codec,
      Type: 'Audio',
      Channels: 6,
      BitRate: t.bitrateKbps * 1000,
      IsDefault: t.isDefault === true,
      Index: 1 + i,
      Language: 'eng',
      DisplayTitle: t.title ?? `English ${t.codec.toUpperCase()} 5.1`,
    })),
    { Codec: 'subrip', Type: 'Subtitle', IsDefault: false, Index: 1 + tracks.length, Language: 'eng' },
    // Cover art attached to the file: a stream with a bit rate that is not played.
    { Codec: 'mjpeg', Type: 'EmbeddedImage', BitRate: 2_000_000, Index: 2 + tracks.length },
  ];
  return {
    Name: item.title,
    ...(item.extra === 'preroll' ? { ProviderIds: { 'prerolls.video': item.id } } : {}),
    ...(withProviderIds && item.extra !== 'preroll' ? { ProviderIds: providerIds(item) } : {}),
    ...(item.programme
      ? { ChannelNumber: '7', CurrentProgram: { Name: item.programme, Type: 'Program', Id: `${item.id}-now` } }
      : {}),
    ServerId: server.serverId,
    Id: item.id,
    Container: item.container,
    ProductionYear: item.year,
    IndexNumber: item.episode,
    ParentIndexNumber: item.season,
    IsFolder: false,
    Type: item.programme ? 'TvChannel' : item.extra === 'trailer' ? 'Trailer' : ITEM_TYPE[item.type],
    ParentId: item.seasonId ?? item.libraryId,
    SeriesName: item.seriesTitle,
    SeriesId: item.seriesId,
    // Image tags are the image's version (Jellyfin: an MD5 of path and date); clients put them in
    // the image URL so caches never serve an outdated picture.
    ImageTags: item.noArt ? {} : { Primary: imageTag(item.id, item.addedAt) },
    BackdropImageTags: [],
    ...(item.seriesId && !item.noArt ? { SeriesPrimaryImageTag: imageTag(item.seriesId, item.addedAt) } : {}),
    SeasonId: item.seasonId,
    SeasonName: item.season !== undefined ? `Season ${item.season}` : undefined,
    RunTimeTicks: item.durationMs * TICKS_PER_MS,
    DateCreated: new Date(item.addedAt).toISOString(),
    MediaType: item.type === 'track' ? 'Audio' : 'Video',
    Path: item.path,
    MediaStreams: streams,
    ...(withSources
      ? {
          MediaSources: [
            {
              Protocol: 'File',
              Id: item.id,
              Path: item.path,
              Type: 'Default',
              Container: item.container,
              Size: item.sizeBytes,
              Name: item.title,
              Bitrate: item.bitrateKbps * 1000,
              MediaStreams: streams,
            },
          ],
        }
      : {}),
  };
}

/** A playing session as /Sessions lists it (SessionInfo with PlayState, NowPlayingItem, TranscodingInfo). */
export function sessionInfo(s: FakeSession, server: MediaBrowserIdentity): Record<string, unknown> {
  const { item, user, device, transcode } = s.spec;
  const method = transcode ? 'Transcode' : s.spec.directStream ? 'DirectStream' : 'DirectPlay';
  return {
    PlayState: {
      PositionTicks: s.positionMs * TICKS_PER_MS,
      CanSeek: true,
      IsPaused: s.state === 'paused',
      IsMuted: false,
      VolumeLevel: 100,
      AudioStreamIndex: s.spec.audioStreamIndex ?? 1,
      MediaSourceId: item.id,
      PlayMethod: method,
      RepeatMode: 'RepeatNone',
      PlaybackOrder: 'Default',
    },
    AdditionalUsers: [],
    Capabilities: {
      PlayableMediaTypes: ['Audio', 'Video'],
      SupportedCommands: ['DisplayMessage', 'Play'],
      SupportsMediaControl: true,
    },
    RemoteEndPoint: server.flavor === 'JELLYFIN' && s.ip.includes('.') ? `::ffff:${s.ip}` : s.ip,
    PlayableMediaTypes: ['Audio', 'Video'],
    Id: s.id,
    UserId: user.id,
    UserName: user.name,
    Client: device.product,
    LastActivityDate: new Date().toISOString(),
    LastPlaybackCheckIn: new Date().toISOString(),
    DeviceName: device.name,
    DeviceType: device.platform,
    NowPlayingItem: baseItem(item, server, false),
    DeviceId: device.id,
    ApplicationVersion: device.version ?? '1.0.0',
    ...(transcode
      ? {
          TranscodingInfo: {
            AudioCodec: transcode.audioDirect === false ? (transcode.audioCodec ?? 'aac') : item.audioCodec,
            VideoCodec: transcode.videoDirect ? item.videoCodec : (transcode.videoCodec ?? 'h264'),
            Container: 'ts',
            IsVideoDirect: transcode.videoDirect ?? false,
            IsAudioDirect: transcode.audioDirect ?? true,
            Bitrate: transcode.bitrateKbps * 1000,
            Framerate: 23.976,
            CompletionPercentage: 14.2,
            Width: transcode.videoWidth ?? Math.round(((transcode.videoHeight ?? item.videoHeight ?? 0) * 16) / 9),
            Height: transcode.videoHeight ?? item.videoHeight,
            AudioChannels: 2,
            // Jellyfin names the accelerator; Emby says per side whether it is hardware.
            ...(server.flavor === 'JELLYFIN'
              ? { HardwareAccelerationType: transcode.hardware ? 'vaapi' : 'none' }
              : {
                  VideoDecoderIsHardware: transcode.hardware === true,
                  VideoEncoderIsHardware: transcode.hardware === true,
                  VideoDecoderHwAccel: transcode.hardware ? 'VAAPI' : null,
                  VideoEncoderHwAccel: transcode.hardware ? 'VAAPI' : null,
                }),
            TranscodeReasons: transcode.reasons ?? ['ContainerBitrateExceedsLimit'],
          },
        }
      : {}),
    IsActive: true,
    SupportsMediaControl: true,
    SupportsRemoteControl: true,
    HasCustomDeviceName: false,
    ServerId: server.serverId,
    SupportedCommands: ['DisplayMessage', 'Play', 'PlayState'],
  };
}
/** Jellyfin/Emby ProviderIds of an item: provider names as the servers spell them. */
function providerIds(item: FakeItem): Record<string, string> {
  const ids = item.externalIds ?? {};
  return Object.fromEntries(
    (
      [
        ['Imdb', ids.imdb],
        ['Tmdb', ids.tmdb],
        ['Tvdb', ids.tvdb],
      ] as const
    ).filter((e): e is readonly ['Imdb' | 'Tmdb' | 'Tvdb', string] => e[1] !== undefined),
  );
}
