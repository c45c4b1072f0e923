// Alert text from a violation: the variables a template can use, and the built-in templates.
import type { Violation } from '../schemas/index.ts';

export interface AlertContext {
  user: string;
  accountKey: string;
  rule: string;
  ruleId: string;
  severity: string;
  summary: string;
  evidence: string;
  server: string;
  title: string;
  device: string;
  location: string;
  time: string;
  trustPenalty: string;
  violationId: string;
}

const RULE_NAMES: Record<string, string> = {
  IMPOSSIBLE_TRAVEL: 'Impossible travel',
  SIMULTANEOUS_LOCATIONS: 'Simultaneous locations',
  DEVICE_VELOCITY: 'Device velocity',
  CONCURRENT_STREAMS: 'Concurrent streams',
  GEO_RESTRICTION: 'Geo restriction',
  ACCOUNT_INACTIVITY: 'Inactivity',
  SECOND_HOUSEHOLD: 'Second household',
  MULTI_ACCOUNT: 'Several accounts, one household',
};

/**
 * The variables of a message that is no finding (an event, a group of them, a digest): what it
 * has, every other variable empty, so templates and senders read the same names.
 */
export function messageContext(
  has: Pick<AlertContext, 'rule' | 'ruleId' | 'severity' | 'summary' | 'evidence' | 'server' | 'time' | 'violationId'> &
    Partial<AlertContext>,
): AlertContext {
  return { user: '', accountKey: '', title: '', device: '', location: '', trustPenalty: '', ...has };
}

export const DEFAULT_TITLE = '{{rule}}: {{user}}';
export const DEFAULT_BODY =
  '{{summary}}\nServer: {{server}} · Device: {{device}} · {{location}}{{#title}}\nWatching: {{title}}{{/title}}';

export function alertContext(v: Violation, extra: { serverName?: string; titles?: string[] } = {}): AlertContext {
  const places = v.evidence.locations.map((l) => [l.city, l.countryCode].filter(Boolean).join(', ')).filter(Boolean);
  const devices = [...new Set(v.evidence.locations.map((l) => l.deviceName).filter((d): d is string => Boolean(d)))];
  return {
    user: v.userName,
    accountKey: v.accountKey,
    rule: RULE_NAMES[v.rule] ?? v.rule,
    ruleId: v.rule,
    severity: v.severity,
    summary: v.summary,
    evidence: [
      v.summary,
      ...v.evidence.locations.map(
        (l) =>
          `${new Date(l.observedAt).toISOString()} ${[l.city, l.countryCode].filter(Boolean).join(', ') || 'unknown place'} ${l.ip}${l.deviceName ? ` (${l.deviceName})` : ''}`,
      ),
    ].join('\n'),
    server: extra.serverName ?? v.serverId,
    title: [...new Set(extra.titles ?? [])].join(', '),
    device: devices.join(', ') || 'unknown device',
    location: [...new Set(places)].join(' / ') || 'unknown place',
    time: new Date(v.detectedAt).toISOString(),
    trustPenalty: String(v.trustPenalty),
    violationId: v.violationId,
  };
}

/**
 * `{{name}}` is replaced by the variable, `{{#name}}...{{/name}}` kept only when it is not empty.
 * `escape` adapts values to where they go (JSON strings, HTML): templates are trusted, values
 * (user and device names) are not.
 */
export function render(template: string, context: AlertContext, escape: (value: string) => string = (v) => v): string {
  const vars = context as unknown as Record<string, string>;
  return template
    .replace(/\{\{#(\w+)\}\}([\s\S]*?)\{\{\/\1\}\}/g, (_, name: string, inner: string) => (vars[name] ? inner : ''))
    .replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in vars ? escape(vars[name]!) : whole));
}

export const jsonString = (value: string) => JSON.stringify(value).slice(1, -1);
export const html = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
