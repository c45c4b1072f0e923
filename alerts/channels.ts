// Notification channels as the dashboard edits them. Secrets (webhook URLs, bot tokens, SMTP
// passwords, custom headers) are sealed with the install's key and never returned by the API.
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../core/secret-box.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import { AppError } from '../core/errors.ts';
import { OperatorEventTypeValues } from '../schemas/index.ts';
import { WebPushStore } from './web-push.ts';
import { ChannelHealth } from './channel-health.ts';

const CHANNELS_DOCUMENT = 'notification-channels';
export const CHANNEL_TYPES = [
  'discord',
  'webhook',
  'ntfy',
  'apprise',
  'telegram',
  'email',
  'gotify',
  'pushover',
  'slack',
  'webpush',
] as const;
type ChannelType = (typeof CHANNEL_TYPES)[number];
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
/** What a channel can hear about: the rules' findings, and the events of streamwarden.events. */
export const CHANNEL_EVENTS = [
  'VIOLATION',
  ...OperatorEventTypeValues.filter((t): t is Exclude<typeof t, 'UNKNOWN'> => t !== 'UNKNOWN'),
] as const;
export type ChannelEvent = (typeof CHANNEL_EVENTS)[number];
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface ChannelSettings {
  discord: { webhookUrl: string };
  webhook: { url: string; method: 'POST' | 'PUT'; headers: Record<string, string>; bodyTemplate: string };
  ntfy: { serverUrl: string; topic: string; token: string; priority: number };
  apprise: { url: string; urls: string; tag: string };
  telegram: { botToken: string; chatId: string; apiBase: string };
  /** Gotify: the server and an application's token; priority 0 follows the severity. */
  gotify: { serverUrl: string; token: string; priority: number };
  /** Pushover: the user (or group) key and the application's API token. */
  pushover: { userKey: string; appToken: string; apiBase: string };
  /** Slack: an incoming webhook's address (it holds its secret). */
  slack: { webhookUrl: string };
  /** Browsers subscribed by these dashboard users (empty: by any user). */
  webpush: { users: string[] };
  email: {
    host: string;
    port: number;
    secure: boolean;
    username: string;
    password: string;
    from: string;
    to: string[];
  };
}

/** Fields of each type that are secrets. */
const SECRET_FIELDS: { [T in ChannelType]: Array<keyof ChannelSettings[T]> } = {
  discord: ['webhookUrl'],
  webhook: ['url', 'headers'],
  ntfy: ['token'],
  apprise: ['urls'],
  telegram: ['botToken'],
  email: ['password'],
  gotify: ['token'],
  pushover: ['userKey', 'appToken'],
  slack: ['webhookUrl'],
  webpush: [],
};

/** Each type's settings with their defaults (the API documents the settings from them). */
export const CHANNEL_DEFAULTS: { [T in ChannelType]: ChannelSettings[T] } = {
  discord: { webhookUrl: '' },
  webhook: { url: '', method: 'POST', headers: {}, bodyTemplate: '' },
  ntfy: { serverUrl: 'https://ntfy.sh', topic: '', token: '', priority: 0 },
  apprise: { url: '', urls: '', tag: '' },
  telegram: { botToken: '', chatId: '', apiBase: 'https://api.telegram.org' },
  gotify: { serverUrl: '', token: '', priority: 0 },
  pushover: { userKey: '', appToken: '', apiBase: 'https://api.pushover.net' },
  slack: { webhookUrl: '' },
  webpush: { users: [] },
  email: { host: '', port: 587, secure: false, username: '', password: '', from: '', to: [] },
};

export interface Channel<T extends ChannelType = ChannelType> {
  id: string;
  name: string;
  type: T;
  enabled: boolean;
  /** What it hears about: findings (VIOLATION) and event types. Stored before events: findings only. */
  events: ChannelEvent[];
  /** Rule ids whose findings this channel hears about; empty: all. */
  rules: string[];
  minSeverity: (typeof SEVERITIES)[number];
  /** Only these media servers, libraries, accounts (server:user) or people; each empty: all. */
  servers: string[];
  libraries: string[];
  accounts: string[];
  /**
   * Events below HIGH that happen between `from` and `to` (the install's time zone, HH:MM) are
   * held and sent together when the quiet hours end. Findings are never held.
   */
  quietHours: { from: string; to: string } | null;
  /** Events of one type within this many minutes go as one message (0: each at once). */
  groupMinutes: number;
  /** A digest of plays, firsts, findings and additions: daily (from 08:00), weekly (Mondays) or off. */
  digest: 'off' | 'daily' | 'weekly';
  /** Message templates with {{variables}}; empty: the built-in ones. */
  titleTemplate: string;
  bodyTemplate: string;
  settings: ChannelSettings[T];
}

export type PublicChannel = Omit<Channel, 'settings'> & { settings: Record<string, unknown>; secretsSet: string[] };

interface StoredChannel extends Omit<Channel, 'settings'> {
  settings: Record<string, unknown>;
  sealed: string;
}

class ChannelError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export class UnknownChannelError extends AppError {
  constructor(id: string) {
    super('not-found', `no notification channel "${id}"`);
  }
}

function httpUrl(value: unknown, field: string): void {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value))
    throw new ChannelError(`${field} must be an http(s) URL`);
}

/** Checks the type's settings, filling defaults; throws ChannelError naming the field. */
function validateSettings(type: ChannelType, input: Record<string, unknown>): ChannelSettings[ChannelType] {
  const s = { ...CHANNEL_DEFAULTS[type], ...input } as Record<string, unknown>;
  for (const key of Object.keys(input))
    if (!(key in CHANNEL_DEFAULTS[type]))
      throw new ChannelError(
        `${type} has no setting "${key}" (known: ${Object.keys(CHANNEL_DEFAULTS[type]).join(', ')})`,
      );
  switch (type) {
    case 'discord':
      httpUrl(s.webhookUrl, 'webhookUrl');
      break;
    case 'webhook':
      httpUrl(s.url, 'url');
      if (s.method !== 'POST' && s.method !== 'PUT') throw new ChannelError('method must be POST or PUT');
      if (!s.headers || typeof s.headers !== 'object' || Object.values(s.headers).some((v) => typeof v !== 'string'))
        throw new ChannelError('headers must be an object of strings');
      break;
    case 'ntfy':
      httpUrl(s.serverUrl, 'serverUrl');
      if (typeof s.topic !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(s.topic))
        throw new ChannelError('topic must be 1-64 letters, digits, - or _');
      if (typeof s.priority !== 'number' || s.priority < 0 || s.priority > 5)
        throw new ChannelError('priority must be 0 (by severity) to 5');
      break;
    case 'apprise':
      httpUrl(s.url, 'url');
      break;
    case 'telegram':
      if (typeof s.botToken !== 'string' || !/^\d+:[\w-]{20,}$/.test(s.botToken))
        throw new ChannelError('botToken must look like 123456:ABC... (from @BotFather)');
      if (typeof s.chatId !== 'string' || !/^(-?\d+|@\w{5,})$/.test(s.chatId))
        throw new ChannelError('chatId must be a number or @channelname');
      httpUrl(s.apiBase, 'apiBase');
      break;
    case 'gotify':
      httpUrl(s.serverUrl, 'serverUrl');
      if (typeof s.token !== 'string' || !s.token)
        throw new ChannelError("token (the Gotify application's) is required");
      if (typeof s.priority !== 'number' || s.priority < 0 || s.priority > 10)
        throw new ChannelError('priority must be 0 (by severity) to 10');
      break;
    case 'pushover':
      for (const key of ['userKey', 'appToken'] as const)
        if (typeof s[key] !== 'string' || !/^[A-Za-z0-9]{30}$/.test(s[key] as string))
          throw new ChannelError(`${key} must be the 30 letters and digits Pushover shows`);
      httpUrl(s.apiBase, 'apiBase');
      break;
    case 'slack':
      httpUrl(s.webhookUrl, 'webhookUrl');
      break;
    case 'webpush':
      if (
        !Array.isArray(s.users) ||
        s.users.length > 100 ||
        s.users.some((u) => typeof u !== 'string' || u.length === 0 || u.length > 100)
      )
        throw new ChannelError('users must be a list of dashboard user names (empty: every subscribed browser)');
      break;
    case 'email':
      if (typeof s.host !== 'string' || !s.host) throw new ChannelError('host (the SMTP server) is required');
      if (typeof s.port !== 'number' || s.port < 1 || s.port > 65535) throw new ChannelError('port must be 1-65535');
      if (typeof s.from !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(s.from.replace(/^.*<(.+)>$/, '$1')))
        throw new ChannelError('from must be an e-mail address');
      if (
        !Array.isArray(s.to) ||
        s.to.length === 0 ||
        s.to.some((a) => typeof a !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(a))
      )
        throw new ChannelError('to must be a list of e-mail addresses');
      break;
  }
  return s as unknown as ChannelSettings[ChannelType];
}

/** What a channel stored before events existed hears: findings, at once, at any hour. */
const ROUTING_DEFAULTS = {
  events: ['VIOLATION'] as ChannelEvent[],
  servers: [] as string[],
  libraries: [] as string[],
  accounts: [] as string[],
  quietHours: null,
  groupMinutes: 0,
  digest: 'off' as const,
};

function validateRouting(c: Channel): void {
  const unknown = c.events.filter((e) => !(CHANNEL_EVENTS as readonly string[]).includes(e));
  if (unknown.length > 0)
    throw new ChannelError(`events: unknown ${unknown.join(', ')} (known: ${CHANNEL_EVENTS.join(', ')})`);
  if (c.events.length === 0) throw new ChannelError('events: choose at least one thing to hear about');
  if (c.quietHours) {
    for (const key of ['from', 'to'] as const)
      if (!TIME_OF_DAY.test(c.quietHours[key]))
        throw new ChannelError(`quietHours.${key} must be a time of day as HH:MM (00:00 to 23:59)`);
    if (c.quietHours.from === c.quietHours.to)
      throw new ChannelError('quietHours: from and to are the same time; leave quiet hours off instead');
  }
  if (!['off', 'daily', 'weekly'].includes(c.digest)) throw new ChannelError('digest must be off, daily or weekly');
  if (!Number.isInteger(c.groupMinutes) || c.groupMinutes < 0 || c.groupMinutes > 1440)
    throw new ChannelError('groupMinutes must be a whole number of minutes from 0 (each at once) to 1440 (a day)');
}

export class ChannelStore {
  /** The browsers that web push channels send to. */
  readonly push: WebPushStore;
  /** Which channels fail now, shared by the notifiers of this process. */
  readonly health = new ChannelHealth();

  constructor(private readonly deps: { documents: ConfigDocuments; secrets: SecretBox; pushSubject?: string }) {
    this.push = new WebPushStore({ documents: deps.documents, secrets: deps.secrets, subject: deps.pushSubject });
  }

  async list(): Promise<Channel[]> {
    const doc = await this.deps.documents.get<StoredChannel[]>(CHANNELS_DOCUMENT);
    return (doc?.body ?? []).map(
      ({ sealed, settings, ...rest }) =>
        ({
          ...ROUTING_DEFAULTS,
          ...rest,
          settings: { ...settings, ...(JSON.parse(this.deps.secrets.open(sealed)) as object) },
        }) as Channel,
    );
  }

  async listPublic(): Promise<PublicChannel[]> {
    return (await this.list()).map(toPublic);
  }

  /** Adds (no id) or changes a channel; secret fields left out keep their stored value. */
  async save(
    input: Omit<Partial<Channel>, 'settings'> & { settings?: Record<string, unknown> },
    updatedBy: string,
  ): Promise<PublicChannel> {
    const channels = await this.list();
    const existing = input.id ? channels.find((c) => c.id === input.id) : undefined;
    if (input.id && !existing) throw new UnknownChannelError(input.id);
    const type = (input.type ?? existing?.type) as ChannelType;
    if (!CHANNEL_TYPES.includes(type)) throw new ChannelError(`type must be one of ${CHANNEL_TYPES.join(', ')}`);
    if (existing && existing.type !== type)
      throw new ChannelError('the type of a channel cannot change; add a new one');
    const previous = existing ? (existing.settings as unknown as Record<string, unknown>) : {};
    const settings = validateSettings(type, { ...previous, ...input.settings });
    const channel: Channel = {
      id: existing?.id ?? randomUUID(),
      name: (input.name ?? existing?.name ?? type).trim() || type,
      type,
      enabled: input.enabled ?? existing?.enabled ?? true,
      events: input.events ?? existing?.events ?? ROUTING_DEFAULTS.events,
      rules: input.rules ?? existing?.rules ?? [],
      minSeverity: input.minSeverity ?? existing?.minSeverity ?? 'LOW',
      servers: input.servers ?? existing?.servers ?? [],
      libraries: input.libraries ?? existing?.libraries ?? [],
      accounts: input.accounts ?? existing?.accounts ?? [],
      quietHours: input.quietHours !== undefined ? input.quietHours : (existing?.quietHours ?? null),
      groupMinutes: input.groupMinutes ?? existing?.groupMinutes ?? 0,
      digest: input.digest ?? existing?.digest ?? 'off',
      titleTemplate: input.titleTemplate ?? existing?.titleTemplate ?? '',
      bodyTemplate: input.bodyTemplate ?? existing?.bodyTemplate ?? '',
      settings,
    };
    if (!SEVERITIES.includes(channel.minSeverity))
      throw new ChannelError(`minSeverity must be one of ${SEVERITIES.join(', ')}`);
    validateRouting(channel);
    await this.write(
      existing ? channels.map((c) => (c.id === channel.id ? channel : c)) : [...channels, channel],
      updatedBy,
    );
    return toPublic(channel);
  }

  async remove(id: string, updatedBy: string): Promise<boolean> {
    const channels = await this.list();
    if (!channels.some((c) => c.id === id)) return false;
    await this.write(
      channels.filter((c) => c.id !== id),
      updatedBy,
    );
    return true;
  }

  private async write(channels: Channel[], updatedBy: string): Promise<void> {
    const stored: StoredChannel[] = channels.map((c) => {
      const secretKeys = SECRET_FIELDS[c.type] as string[];
      const all = c.settings as unknown as Record<string, unknown>;
      const open = Object.fromEntries(Object.entries(all).filter(([k]) => !secretKeys.includes(k)));
      const secret = Object.fromEntries(Object.entries(all).filter(([k]) => secretKeys.includes(k)));
      return { ...c, settings: open, sealed: this.deps.secrets.seal(JSON.stringify(secret)) };
    });
    await this.deps.documents.put(CHANNELS_DOCUMENT, stored, updatedBy);
  }
}

function toPublic(channel: Channel): PublicChannel {
  const secretKeys = SECRET_FIELDS[channel.type] as string[];
  const all = channel.settings as unknown as Record<string, unknown>;
  const isSet = (v: unknown) =>
    typeof v === 'string' ? v.length > 0 : v && typeof v === 'object' ? Object.keys(v).length > 0 : false;
  return {
    ...channel,
    settings: Object.fromEntries(Object.entries(all).filter(([k]) => !secretKeys.includes(k))),
    secretsSet: secretKeys.filter((k) => isSet(all[k])),
  };
}

/** Whether the channel's server, library and account filters let something through. */
function passes(
  channel: Channel,
  on: { serverId: string; libraryId?: string; accountKey?: string | null; personId?: string | null },
): boolean {
  const { servers, libraries, accounts } = channel;
  return (
    (servers.length === 0 || servers.includes(on.serverId)) &&
    (libraries.length === 0 || (on.libraryId !== undefined && libraries.includes(on.libraryId))) &&
    (accounts.length === 0 ||
      (!!on.accountKey && accounts.includes(on.accountKey)) ||
      (!!on.personId && accounts.includes(on.personId)))
  );
}

/** Whether a finding goes to the channel. */
export function routes(
  channel: Channel,
  v: { rule: string; severity: string; serverId: string; accountKey: string; personId: string | null },
): boolean {
  return (
    channel.enabled &&
    channel.events.includes('VIOLATION') &&
    (channel.rules.length === 0 || channel.rules.includes(v.rule)) &&
    SEVERITIES.indexOf(v.severity as (typeof SEVERITIES)[number]) >= SEVERITIES.indexOf(channel.minSeverity) &&
    passes(channel, v)
  );
}

/** Whether an event of streamwarden.events goes to the channel. */
export function routesEvent(
  channel: Channel,
  e: {
    type: string;
    serverId: string;
    accountKey: string | null;
    personId: string | null;
    details: Record<string, string>;
  },
): boolean {
  return (
    channel.enabled &&
    (channel.events as readonly string[]).includes(e.type) &&
    passes(channel, { ...e, libraryId: e.details.libraryId })
  );
}

/** Whether `at` falls in the channel's quiet hours, read in `timeZone` (IANA; empty: UTC). */
export function inQuietHours(channel: Channel, at: number, timeZone: string): boolean {
  if (!channel.quietHours) return false;
  const clock = new Intl.DateTimeFormat('en-GB', {
    timeZone: timeZone || 'UTC',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  const { from, to } = channel.quietHours;
  // A window past midnight (22:00 to 07:00) is the hours after `from` or before `to`.
  return from < to ? clock >= from && clock < to : clock >= from || clock < to;
}
