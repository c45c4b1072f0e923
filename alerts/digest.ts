// The scheduled digest: per channel, daily (yesterday, sent from 08:00 in the install's zone) or
// weekly (last Monday to Sunday, sent from Monday 08:00). E-mail gets it as HTML with a text
// part; chat channels get the compact text. Once per channel and period: the delivery ledger
// holds `digest:<kind>:<period start>`.
import { startOfDay } from '../core/time-zone.ts';
import type { DigestFigures } from '../warehouse/queries/digest.ts';
import type { Language } from './event-words.ts';
import { html } from './templates.ts';

export type DigestKind = 'daily' | 'weekly';
const SEND_HOUR = 8;

/** The period a digest sent at `now` covers, and whether it is due yet. */
export function digestPeriod(
  kind: DigestKind,
  now: number,
  timeZone: string,
): { from: number; to: number; due: boolean; key: string } {
  const zone = timeZone || 'UTC';
  const today = startOfDay(now, zone);
  const weekday = (new Date(today + 12 * 3_600_000).getUTCDay() + 6) % 7; // 0 Monday
  const to = kind === 'daily' ? today : startOfDay(now, zone, -weekday);
  const from = kind === 'daily' ? startOfDay(now, zone, -1) : startOfDay(now, zone, -weekday - 7);
  const day = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(from);
  return { from, to, due: now >= to + SEND_HOUR * 3_600_000, key: `digest:${kind}:${day}` };
}

const WORDS: Record<Language, Record<string, string>> = {
  en: {
    daily: 'Daily digest',
    weekly: 'Weekly digest',
    totals: '{plays} plays, {hours} hours watched by {accounts} accounts',
    topTitles: 'Most played',
    topUsers: 'Most active',
    newDevices: 'New devices',
    newPlaces: 'New places',
    findings: 'Findings',
    recentlyAdded: 'Recently added',
    none: 'none',
    plays: 'plays',
    play: 'play',
    hours: 'h',
    items: 'items',
  },
  'zh-Hans': {
    daily: '每日摘要',
    weekly: '每周摘要',
    totals: '{accounts} 个账户播放 {plays} 次，共 {hours} 小时',
    topTitles: '播放最多',
    topUsers: '最活跃',
    newDevices: '新设备',
    newPlaces: '新地点',
    findings: '规则发现',
    recentlyAdded: '最近添加',
    none: '无',
    plays: '次',
    play: '次',
    hours: '小时',
    items: '项',
  },
  'zh-Hant': {
    daily: '每日摘要',
    weekly: '每週摘要',
    totals: '{accounts} 個帳戶播放 {plays} 次，共 {hours} 小時',
    topTitles: '播放最多',
    topUsers: '最活躍',
    newDevices: '新裝置',
    newPlaces: '新地點',
    findings: '規則發現',
    recentlyAdded: '最近新增',
    none: '無',
    plays: '次',
    play: '次',
    hours: '小時',
    items: '項',
  },
};

interface Section {
  heading: string;
  lines: string[];
}

function sections(f: DigestFigures, w: Record<string, string>): Section[] {
  const plays = (n: number) => `${n} ${n === 1 ? w.play : w.plays}`;
  return [
    { heading: w.topTitles!, lines: f.topTitles.map((t) => `${t.title} · ${plays(t.plays)}`) },
    { heading: w.topUsers!, lines: f.topUsers.map((u) => `${u.user} · ${plays(u.plays)} · ${u.hours} ${w.hours}`) },
    { heading: w.newDevices!, lines: f.newDevices.map((d) => `${d.user} · ${d.device}`) },
    { heading: w.newPlaces!, lines: f.newPlaces.map((p) => `${p.user} · ${p.place}`) },
    { heading: w.findings!, lines: f.findings.map((v) => `${v.rule} · ${v.count}`) },
    {
      heading: w.recentlyAdded!,
      lines: f.recentlyAdded.map(
        (r) => `${r.title}${r.year ? ` (${r.year})` : ''}${r.items > 1 ? ` · ${r.items} ${w.items}` : ''}`,
      ),
    },
  ];
}

export interface RenderedDigest {
  title: string;
  text: string;
  html: string;
}

/** Posters of the recently added titles at most, in an e-mail (each an attachment). */
export const DIGEST_POSTERS = 6;

export function renderDigest(
  kind: DigestKind,
  f: DigestFigures,
  options: {
    language: Language;
    instance: string;
    period: string;
    /** Content ids of the attached posters, by the recently added title's place (null: none). */
    posterCids?: ReadonlyArray<string | null>;
  },
): RenderedDigest {
  const w = WORDS[options.language] ?? WORDS.en;
  const title = `${options.instance} · ${w[kind]} · ${options.period}`;
  const totals = w
    .totals!.replace('{plays}', String(f.plays))
    .replace('{hours}', String(f.watchHours))
    .replace('{accounts}', String(f.accounts));
  const parts = sections(f, w);
  const text = [totals, ...parts.map((s) => `${s.heading}: ${s.lines.length ? s.lines.join('; ') : w.none}`)].join(
    '\n',
  );
  const htmlBody = [
    '<!doctype html><html><head><meta charset="utf-8"><title>',
    html(title),
    '</title></head><body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111827">',
    '<table role="presentation" width="100%" style="max-width:640px;margin:0 auto;background:#ffffff;border-radius:12px;padding:24px;border-collapse:separate">',
    `<tr><td><h1 style="font-size:20px;margin:0 0 4px">${html(w[kind]!)}</h1>`,
    `<p style="margin:0 0 16px;color:#6b7280">${html(options.instance)} · ${html(options.period)}</p>`,
    `<p style="font-size:16px;margin:0 0 16px"><strong>${html(totals)}</strong></p>`,
    ...parts.map(
      (s) =>
        `<h2 style="font-size:15px;margin:16px 0 6px;border-bottom:1px solid #e5e7eb;padding-bottom:4px">${html(s.heading)}</h2>` +
        (s.heading === w.recentlyAdded ? posterRow(f, options.posterCids ?? []) : '') +
        (s.lines.length
          ? `<ul style="margin:0;padding-left:18px">${s.lines.map((l) => `<li style="margin:2px 0">${html(l)}</li>`).join('')}</ul>`
          : `<p style="margin:0;color:#9ca3af">${html(w.none!)}</p>`),
    ),
    '</td></tr></table></body></html>',
  ].join('');
  return { title, text, html: htmlBody };
}

/** The recently added titles' posters, side by side, each from its attachment (cid:). */
function posterRow(f: DigestFigures, cids: ReadonlyArray<string | null>): string {
  const cells = f.recentlyAdded.flatMap((r, i) => {
    const cid = cids[i];
    if (!cid) return [];
    return [
      `<td style="padding:0 8px 8px 0;vertical-align:top;width:80px"><img src="cid:${html(cid)}" width="80" height="120" alt="${html(r.title)}" style="display:block;border-radius:4px;object-fit:cover"></td>`,
    ];
  });
  return cells.length
    ? `<table role="presentation" style="border-collapse:collapse"><tr>${cells.join('')}</tr></table>`
    : '';
}
