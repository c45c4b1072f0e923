// What a fake Plex server answers with, in Plex's JSON shapes: an item's metadata (MediaContainer
// Metadata entries with their Media/Part versions) and a playing session's entry in
// /status/sessions (User, Player, Session, TranscodeSession), field for field as a real server.
import type { FakeItem, FakeSession } from './fleet.ts';

const RESOLUTION: Array<[number, string]> = [
  [2160, '4k'],
  [1080, '1080'],
  [720, '720'],
  [480, '480'],
];

function resolution(height: number | undefined): string | undefined {
  if (height === undefined) return undefined;
  return RESOLUTION.find(([h]) => height >= h)?.[1] ?? 'sd';
}

const thumbPath = (id: string, version: number) => `/library/metadata/${id}/thumb/${Math.floor(version / 1000)}`;

const PLEX_TYPE: Record<FakeItem['type'], string> = { movie: 'movie', episode: 'episode', track: 'track' };

/** The item's versions, its own first, with their Media ids. */
function versionsOf(item: FakeItem) {
  const own = {
    videoCodec: item.videoCodec,
    videoHeight: item.videoHeight,
    audioCodec: item.audioCodec,
    bitrateKbps: item.bitrateKbps,
  };
  return [own, ...(item.versions ?? [])].map((v, n) => ({ ...v, id: Number(item.id) * 10 + n }));
}

/** An item as Plex lists it in a MediaContainer: one Media element per version. */
export function plexMetadata(item: FakeItem, withGuids: boolean): Record<string, unknown> {
  const ids = item.externalIds ?? {};
  const guids = (['imdb', 'tmdb', 'tvdb'] as const).filter((p) => ids[p]).map((p) => ({ id: `${p}://${ids[p]}` }));
  return {
    ratingKey: item.id,
    key: `/library/metadata/${item.id}`,
    guid: ids.plexGuid ?? `local://${item.id}`,
    ...(withGuids && guids.length > 0 ? { Guid: guids } : {}),
    type: PLEX_TYPE[item.type],
    title: item.title,
    librarySectionID: Number(item.libraryId),
    grandparentRatingKey: item.seriesId,
    grandparentTitle: item.seriesTitle,
    parentRatingKey: item.seasonId,
    parentTitle: item.season !== undefined ? `Season ${item.season}` : undefined,
    parentIndex: item.season,
    index: item.episode,
    year: item.year,
    duration: item.durationMs,
    addedAt: Math.floor(item.addedAt / 1000),
    // Art paths end in the image's version (its update time). A track's thumb is its album's art,
    // an episode's the still; parentThumb is the season's poster, grandparentThumb the show's.
    ...(item.noArt
      ? {}
      : {
          thumb: thumbPath(item.id, item.addedAt),
          ...(item.seasonId ? { parentThumb: thumbPath(item.seasonId, item.addedAt) } : {}),
          ...(item.seriesId ? { grandparentThumb: thumbPath(item.seriesId, item.addedAt) } : {}),
        }),
    // One Media element per version; none of them says which one a session plays.
    Media: versionsOf(item).map((v, n) => ({
      id: v.id,
      duration: item.durationMs,
      bitrate: v.bitrateKbps,
      height: v.videoHeight,
      audioChannels: 6,
      audioCodec: v.audioCodec,
      videoCodec: v.videoCodec,
      videoResolution: resolution(v.videoHeight),
      container: item.container,
      Part: [
        {
          id: v.id * 10,
          key: `/library/parts/${v.id * 10}/file.${item.container}`,
          duration: item.durationMs,
          file: n === 0 ? item.path : item.path.replace(/(\.\w+)$/, ` - version ${n}$1`),
          size: item.sizeBytes,
          container: item.container,
        },
      ],
    })),
  };
}

/** A playing session as /status/sessions lists it: the item, its user, player, session and transcode. */
export function plexSessionEntry(s: FakeSession): Record<string, unknown> {
  const { user, device, transcode } = s.spec;
  const played = versionsOf(s.spec.item)[s.spec.version ?? 0]!;
  // The session's Media describes the version played (its id) and, when transcoding, the output.
  const { id: _mediaId, ...figures } = played;
  const item = { ...s.spec.item, ...figures };
  const base = plexMetadata(s.spec.item, false);
  const videoTranscoded = transcode !== undefined && transcode.videoDirect !== true;
  const audioTranscoded = transcode !== undefined && transcode.audioDirect === false;
  const streamHeight = videoTranscoded ? (transcode.videoHeight ?? item.videoHeight) : item.videoHeight;
  const copyOr = (transcoded: boolean) =>
    transcoded ? 'transcode' : transcode || s.spec.directStream ? 'copy' : 'directplay';
  const videoDecision = item.type === 'track' ? undefined : copyOr(videoTranscoded);
  const audioDecision = copyOr(audioTranscoded);
  const bitrate = transcode?.bitrateKbps ?? item.bitrateKbps;
  const lan = s.spec.lan ?? /^(10\.|192\.168\.|127\.)/.test(s.ip);
  return {
    ...base,
    sessionKey: s.key,
    viewOffset: s.positionMs,
    ...(s.spec.theme
      ? {
          type: 'track',
          title: 'Theme',
          guid: `library://f00d/item/%2Flibrary%2Fmetadata%2F${item.seriesId ?? item.id}%2Ftheme%2F1700000000`,
          key: `/library/metadata/${item.seriesId ?? item.id}/theme/1700000000`,
        }
      : {}),
    ...(item.live ? { live: 1 } : {}),
    Media: [
      {
        id: played.id,
        bitrate,
        audioCodec: audioTranscoded ? (transcode.audioCodec ?? 'aac') : item.audioCodec,
        videoCodec: videoTranscoded ? (transcode.videoCodec ?? item.videoCodec) : item.videoCodec,
        videoResolution: resolution(streamHeight),
        height: streamHeight,
        container: transcode ? 'mpegts' : item.container,
        selected: true,
        Part: [
          {
            id: played.id * 10,
            decision: transcode ? 'transcode' : 'directplay',
            selected: true,
            container: item.container,
          },
        ],
      },
    ],
    User: { id: user.id, thumb: `https://plex.tv/users/${user.id}/avatar`, title: user.name },
    Player: {
      address: s.ip,
      device: device.platform,
      machineIdentifier: device.id,
      model: '',
      platform: device.platform,
      platformVersion: '14',
      product: device.product,
      profile: device.platform,
      remotePublicAddress: s.ip,
      state: s.state,
      title: device.name,
      vendor: '',
      version: device.version ?? '1.0.0',
      local: lan,
      relayed: false,
      secure: true,
      userID: Number(user.id),
    },
    ...(s.spec.noSessionElement
      ? {}
      : { Session: { id: s.id, bandwidth: Math.round(bitrate * 1.1), location: lan ? 'lan' : 'wan' } }),
    ...(transcode || s.spec.directStream
      ? {
          TranscodeSession: {
            key: `/transcode/sessions/${s.id}`,
            throttled: false,
            complete: false,
            progress: 12.5,
            size: -22,
            speed: 2.1,
            error: false,
            duration: item.durationMs,
            context: 'streaming',
            sourceVideoCodec: item.videoCodec,
            sourceAudioCodec: item.audioCodec,
            videoDecision,
            audioDecision,
            protocol: 'dash',
            container: 'mp4',
            videoCodec: videoTranscoded ? (transcode.videoCodec ?? 'h264') : item.videoCodec,
            audioCodec: audioTranscoded ? (transcode.audioCodec ?? 'aac') : item.audioCodec,
            audioChannelCount: 2,
            height: streamHeight,
            transcodeHwRequested: transcode?.hardware ?? false,
            ...(transcode?.hardware ? { transcodeHwEncoding: 'vaapi', transcodeHwFullPipeline: true } : {}),
            timeStamp: Date.now() / 1000,
            maxOffsetAvailable: 120.5,
            minOffsetAvailable: 0,
          },
        }
      : {}),
  };
}
