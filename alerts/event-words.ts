// The words of event messages in the dashboard's three languages: each event type's name, its
// one-line sentence, and the sentence of a group of them ("12 streams started"). The install's
// default language chooses (settings); user and title names go in as they are.
import type { OperatorEvent } from '../schemas/index.ts';

export type Language = 'en' | 'zh-Hans' | 'zh-Hant';
type EventType = Exclude<OperatorEvent['type'], 'UNKNOWN'>;

interface Words {
  name: string;
  /** {user} {title} {device} {place} {where} {server} {detail} {account}, and every detail by name */
  sentence: string;
  /** The sentence of a rise (trust scores). */
  up?: string;
  /** {n} */
  group: string;
}

const WORDS: Record<Language, Record<EventType, Words>> = {
  en: {
    STREAM_STARTED: {
      name: 'Stream started',
      sentence: '{user} started {title} on {device}{place}',
      group: '{n} streams started',
    },
    STREAM_STOPPED: {
      name: 'Stream stopped',
      sentence: '{user} stopped {title} on {device}{place}',
      group: '{n} streams stopped',
    },
    STREAM_PAUSED: {
      name: 'Stream paused',
      sentence: '{user} paused {title} on {device}{place}',
      group: '{n} streams paused',
    },
    STREAM_RESUMED: {
      name: 'Stream resumed',
      sentence: '{user} resumed {title} on {device}{place}',
      group: '{n} streams resumed',
    },
    STREAM_STILL_PAUSED: {
      name: 'Still paused',
      sentence: '{user} has paused {title} on {device} for {pausedMinutes} minutes',
      group: '{n} streams still paused',
    },
    TRANSCODE_STARTED: {
      name: 'Transcode started',
      sentence: '{user} is transcoding {title} on {device}{detail}',
      group: '{n} transcodes started',
    },
    SERVER_DOWN: { name: 'Server down', sentence: '{server} is down{detail}', group: '{n} servers went down' },
    SERVER_UP: { name: 'Server up', sentence: '{server} is up again', group: '{n} servers came back' },
    SERVER_AUTH_FAILED: {
      name: 'Server refused its credentials',
      sentence: '{server} refuses the stored credentials{detail}',
      group: '{n} servers refused their credentials',
    },
    NEW_DEVICE: {
      name: 'New device',
      sentence: '{user} plays on a device never used before: {device} ({title}){place}',
      group: '{n} new devices',
    },
    NEW_LOCATION: {
      name: 'New place',
      sentence: '{user} plays from a place never seen before: {where} on {device}',
      group: '{n} new places',
    },
    RECENTLY_ADDED: {
      name: 'Recently added',
      sentence: '{count} added to {library} on {server}: {titles}',
      group: '{n} additions to libraries',
    },
    TRUST_THRESHOLD: {
      name: 'Trust score',
      sentence: "{account}'s trust score fell below {threshold} ({previousScore} → {newScore})",
      up: "{account}'s trust score rose to {threshold} ({previousScore} → {newScore})",
      group: '{n} trust scores crossed a threshold',
    },
    IMPORT_FINISHED: {
      name: 'Import finished',
      sentence: 'The {kind} history import into {server} finished: {added} plays added, {skipped} already there',
      group: '{n} imports finished',
    },
    IMPORT_FAILED: {
      name: 'Import failed',
      sentence: 'The {kind} history import into {server} failed: {error}',
      group: '{n} imports failed',
    },
  },
  'zh-Hans': {
    STREAM_STARTED: {
      name: '开始播放',
      sentence: '{user} 在 {device} 上开始播放 {title}{place}',
      group: '{n} 个播放开始',
    },
    STREAM_STOPPED: {
      name: '停止播放',
      sentence: '{user} 在 {device} 上停止播放 {title}{place}',
      group: '{n} 个播放停止',
    },
    STREAM_PAUSED: {
      name: '暂停播放',
      sentence: '{user} 在 {device} 上暂停了 {title}{place}',
      group: '{n} 个播放暂停',
    },
    STREAM_RESUMED: {
      name: '继续播放',
      sentence: '{user} 在 {device} 上继续播放 {title}{place}',
      group: '{n} 个播放继续',
    },
    STREAM_STILL_PAUSED: {
      name: '仍在暂停',
      sentence: '{user} 在 {device} 上暂停 {title} 已 {pausedMinutes} 分钟',
      group: '{n} 个播放仍在暂停',
    },
    TRANSCODE_STARTED: {
      name: '开始转码',
      sentence: '{user} 在 {device} 上转码播放 {title}{detail}',
      group: '{n} 个转码开始',
    },
    SERVER_DOWN: { name: '服务器离线', sentence: '{server} 离线{detail}', group: '{n} 台服务器离线' },
    SERVER_UP: { name: '服务器恢复', sentence: '{server} 已恢复在线', group: '{n} 台服务器恢复' },
    SERVER_AUTH_FAILED: {
      name: '服务器拒绝凭据',
      sentence: '{server} 拒绝了保存的凭据{detail}',
      group: '{n} 台服务器拒绝凭据',
    },
    NEW_DEVICE: {
      name: '新设备',
      sentence: '{user} 在从未用过的设备上播放：{device}（{title}）{place}',
      group: '{n} 台新设备',
    },
    NEW_LOCATION: {
      name: '新地点',
      sentence: '{user} 从从未出现过的地点播放：{where}，设备 {device}',
      group: '{n} 个新地点',
    },
    RECENTLY_ADDED: {
      name: '最近添加',
      sentence: '{server} 的 {library} 新增 {count} 项：{titles}',
      group: '{n} 次媒体库新增',
    },
    TRUST_THRESHOLD: {
      name: '信任分',
      sentence: '{account} 的信任分降到 {threshold} 以下（{previousScore} → {newScore}）',
      up: '{account} 的信任分回升到 {threshold}（{previousScore} → {newScore}）',
      group: '{n} 个信任分越过阈值',
    },
    IMPORT_FINISHED: {
      name: '导入完成',
      sentence: '导入到 {server} 的 {kind} 历史已完成：新增 {added} 次播放，{skipped} 次已存在',
      group: '{n} 个导入完成',
    },
    IMPORT_FAILED: {
      name: '导入失败',
      sentence: '导入到 {server} 的 {kind} 历史失败：{error}',
      group: '{n} 个导入失败',
    },
  },
  'zh-Hant': {
    STREAM_STARTED: {
      name: '開始播放',
      sentence: '{user} 在 {device} 上開始播放 {title}{place}',
      group: '{n} 個播放開始',
    },
    STREAM_STOPPED: {
      name: '停止播放',
      sentence: '{user} 在 {device} 上停止播放 {title}{place}',
      group: '{n} 個播放停止',
    },
    STREAM_PAUSED: {
      name: '暫停播放',
      sentence: '{user} 在 {device} 上暫停了 {title}{place}',
      group: '{n} 個播放暫停',
    },
    STREAM_RESUMED: {
      name: '繼續播放',
      sentence: '{user} 在 {device} 上繼續播放 {title}{place}',
      group: '{n} 個播放繼續',
    },
    STREAM_STILL_PAUSED: {
      name: '仍在暫停',
      sentence: '{user} 在 {device} 上暫停 {title} 已 {pausedMinutes} 分鐘',
      group: '{n} 個播放仍在暫停',
    },
    TRANSCODE_STARTED: {
      name: '開始轉碼',
      sentence: '{user} 在 {device} 上轉碼播放 {title}{detail}',
      group: '{n} 個轉碼開始',
    },
    SERVER_DOWN: { name: '伺服器離線', sentence: '{server} 離線{detail}', group: '{n} 台伺服器離線' },
    SERVER_UP: { name: '伺服器恢復', sentence: '{server} 已恢復上線', group: '{n} 台伺服器恢復' },
    SERVER_AUTH_FAILED: {
      name: '伺服器拒絕憑證',
      sentence: '{server} 拒絕了儲存的憑證{detail}',
      group: '{n} 台伺服器拒絕憑證',
    },
    NEW_DEVICE: {
      name: '新裝置',
      sentence: '{user} 在從未用過的裝置上播放：{device}（{title}）{place}',
      group: '{n} 台新裝置',
    },
    NEW_LOCATION: {
      name: '新地點',
      sentence: '{user} 從從未出現過的地點播放：{where}，裝置 {device}',
      group: '{n} 個新地點',
    },
    RECENTLY_ADDED: {
      name: '最近新增',
      sentence: '{server} 的 {library} 新增 {count} 項：{titles}',
      group: '{n} 次媒體庫新增',
    },
    TRUST_THRESHOLD: {
      name: '信任分數',
      sentence: '{account} 的信任分數降到 {threshold} 以下（{previousScore} → {newScore}）',
      up: '{account} 的信任分數回升到 {threshold}（{previousScore} → {newScore}）',
      group: '{n} 個信任分數越過門檻',
    },
    IMPORT_FINISHED: {
      name: '匯入完成',
      sentence: '匯入到 {server} 的 {kind} 歷史已完成：新增 {added} 次播放，{skipped} 次已存在',
      group: '{n} 個匯入完成',
    },
    IMPORT_FAILED: {
      name: '匯入失敗',
      sentence: '匯入到 {server} 的 {kind} 歷史失敗：{error}',
      group: '{n} 個匯入失敗',
    },
  },
};

const fill = (text: string, values: Record<string, string>) =>
  text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);

const wordsOf = (type: string, language: Language): Words | undefined =>
  (WORDS[language] ?? WORDS.en)[type as EventType];

/** The event type's name ("Stream started"). */
export function eventName(type: string, language: Language): string {
  return wordsOf(type, language)?.name ?? type;
}

/** The event in one sentence, in the language. */
export function eventSentence(e: OperatorEvent, serverName: string, language: Language): string {
  const words = wordsOf(e.type, language);
  if (!words) return e.summary;
  const d = e.details;
  const detail =
    e.type === 'TRANSCODE_STARTED'
      ? [d.sourceResolution && d.streamResolution ? `${d.sourceResolution} → ${d.streamResolution}` : '', d.reasons]
          .filter(Boolean)
          .join(', ')
      : (d.statusDetail ?? '');
  const sentence = d.direction === 'UP' && words.up ? words.up : words.sentence;
  return fill(sentence, {
    ...d,
    user: e.userName ?? '',
    account: e.userName ?? e.accountKey ?? '',
    title: d.title ?? '',
    device: d.device ?? '',
    place: d.place ? ` (${d.place})` : '',
    where: d.place ?? '',
    server: serverName,
    detail: detail ? ` (${detail})` : '',
  });
}

/** How a group of `n` events of the type is announced. */
export function groupSentence(type: string, n: number, language: Language): string {
  const words = wordsOf(type, language);
  return words ? fill(words.group, { n: String(n) }) : `${n} × ${type}`;
}
