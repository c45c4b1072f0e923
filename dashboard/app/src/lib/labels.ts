// Words for the enums the API sends, shared by the pages that show them.
import { t, type MessageKey } from './i18n/index.svelte.ts';

/** The word for an enum value in the viewer's language; the value itself when none is known. */
export const word = (map: Record<string, MessageKey>, value: string | null | undefined): string =>
  value ? (map[value] ? t(map[value]) : value) : '';

/** Why a trust score changed (trust history rows). */
export const TRUST_REASONS: Record<string, MessageKey> = {
  VIOLATION: 'users.trustViolation',
  FALSE_ALARM: 'users.trustFalseAlarm',
  FALSE_ALARM_WITHDRAWN: 'users.trustFalseAlarmWithdrawn',
  MANUAL: 'users.trustManual',
  RESET: 'users.trustReset',
};

/** A violation's review status. */
export const VIOLATION_STATUS: Record<string, MessageKey> = {
  OPEN: 'violations.open',
  ACKNOWLEDGED: 'violations.acknowledged',
  DISMISSED: 'violations.dismissed',
  FALSE_ALARM: 'violations.falseAlarms',
};

/** How a stream is delivered (video or audio decision). */
export const DECISIONS: Record<string, MessageKey> = {
  DIRECT_PLAY: 'session.directPlay',
  DIRECT_STREAM: 'session.directStream',
  TRANSCODE: 'session.transcode',
  NONE: 'decision.none',
  UNKNOWN: 'decision.unknown',
};

/** How a play is delivered as a whole: transcoded (video or audio), remuxed, or played as it is. */
export function delivery(play: {
  isTranscode: boolean;
  videoDecision: string;
}): 'TRANSCODE' | 'DIRECT_STREAM' | 'DIRECT_PLAY' {
  return play.isTranscode ? 'TRANSCODE' : play.videoDecision === 'DIRECT_STREAM' ? 'DIRECT_STREAM' : 'DIRECT_PLAY';
}

/** What a playback event says happened. */
export const EVENT_TYPES: Record<string, MessageKey> = {
  STARTED: 'event.started',
  PROGRESS: 'event.progress',
  PAUSED: 'event.paused',
  RESUMED: 'event.resumed',
  STOPPED: 'event.stopped',
};

/** A play's state at an event. */
export const PLAY_STATES: Record<string, MessageKey> = {
  PLAYING: 'session.playing',
  PAUSED: 'session.paused',
  BUFFERING: 'session.buffering',
  STOPPED: 'event.stopped',
};

/** A media server's state. */
export const SERVER_STATUS: Record<string, MessageKey> = {
  UP: 'server.up',
  DOWN: 'server.down',
  AUTH_FAILED: 'server.authFailed',
  DEGRADED: 'server.degraded',
};

/** Why a server transcodes (Jellyfin/Emby TranscodeReasons). */
export const TRANSCODE_REASONS: Record<string, MessageKey> = {
  ContainerNotSupported: 'transcodeReason.ContainerNotSupported',
  VideoCodecNotSupported: 'transcodeReason.VideoCodecNotSupported',
  AudioCodecNotSupported: 'transcodeReason.AudioCodecNotSupported',
  SubtitleCodecNotSupported: 'transcodeReason.SubtitleCodecNotSupported',
  AudioIsExternal: 'transcodeReason.AudioIsExternal',
  SecondaryAudioNotSupported: 'transcodeReason.SecondaryAudioNotSupported',
  VideoProfileNotSupported: 'transcodeReason.VideoProfileNotSupported',
  VideoLevelNotSupported: 'transcodeReason.VideoLevelNotSupported',
  VideoResolutionNotSupported: 'transcodeReason.VideoResolutionNotSupported',
  VideoBitDepthNotSupported: 'transcodeReason.VideoBitDepthNotSupported',
  VideoRangeTypeNotSupported: 'transcodeReason.VideoRangeTypeNotSupported',
  VideoFramerateNotSupported: 'transcodeReason.VideoFramerateNotSupported',
  AudioChannelsNotSupported: 'transcodeReason.AudioChannelsNotSupported',
  AudioProfileNotSupported: 'transcodeReason.AudioProfileNotSupported',
  AudioSampleRateNotSupported: 'transcodeReason.AudioSampleRateNotSupported',
  ContainerBitrateExceedsLimit: 'transcodeReason.ContainerBitrateExceedsLimit',
  VideoBitrateNotSupported: 'transcodeReason.VideoBitrateNotSupported',
  AudioBitrateNotSupported: 'transcodeReason.AudioBitrateNotSupported',
  DirectPlayError: 'transcodeReason.DirectPlayError',
};

/** The reasons a stream is transcoded, in words ("audio codec not supported, ..."). */
export function transcodeReasons(reasons: readonly string[]): string {
  return reasons
    .map((r) => (TRANSCODE_REASONS[r] ? t(TRANSCODE_REASONS[r]) : r.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()))
    .join(', ');
}
