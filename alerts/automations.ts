// Automation rules beside the detection rules: a trigger (an event type of streamwarden.events),
// conditions on the event (what is played, how, where, when, by whom, how much today) and actions
// (tell channels, show the viewer a message, stop the stream with a message, add or take trust
// points). Stored as a config document; every rule is
// checked here with an error that names the field, and the shipped presets are off until an
// admin turns one on.
import { TAG } from '../pipeline/people-store.ts';
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { OperatorEventTypeValues } from '../schemas/index.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';
import { COUNTER_UNITS, LIST_FIELDS, NUMBER_FIELDS } from './automation-fields.ts';

const DOCUMENT = 'automations';
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

const TRIGGERS = OperatorEventTypeValues.filter((t) => t !== 'UNKNOWN');
type Trigger = (typeof TRIGGERS)[number];

export type Condition =
  | { field: (typeof LIST_FIELDS)[number]; op: 'in' | 'notIn'; values: string[] }
  | { field: keyof typeof NUMBER_FIELDS; op: Comparison; value: number }
  /** The event's local time (the install's time zone) between from and to, on these weekdays (1 Monday .. 7 Sunday; empty: every day). */
  | { field: 'localTime'; from: string; to: string; weekdays: number[] }
  /** Minutes the person's accounts (the account, when it is no one's) played today, before this play. */
  | { field: 'watchedTodayMinutes'; op: Comparison; value: number }
  /** The same since Monday. */
  | { field: 'watchedWeekMinutes'; op: Comparison; value: number }
  /** Plays they started today, before this one. */
  | { field: 'playsToday'; op: Comparison; value: number }
  /** Streams the person (the account, when it is no one's) is playing now, this one included. */
  | { field: 'streamsNow'; op: Comparison; value: number };

/** A number over the value, or at most the value (a band: over 2 and at most 3 is exactly 3). */
type Comparison = 'over' | 'atMost';

type Action =
  | { type: 'notify'; channels: string[] }
  | { type: 'stop'; message: string }
  /** Shown on the viewer's screen, nothing stopped (Jellyfin and Emby; Plex has no way to). */
  | { type: 'message'; message: string }
  /** Adds points to the account's trust score (negative: takes them), with the rule as the reason. */
  | { type: 'adjustTrust'; points: number }
  /** Puts a tag on the event's person (a group other rules can name with personTag). */
  | { type: 'tag'; tag: string };

/** The events that are about one stream: the ones a stop or a message can act on. */
const STREAM_TRIGGERS: readonly string[] = [
  'STREAM_STARTED',
  'STREAM_RESUMED',
  'STREAM_PAUSED',
  'STREAM_STILL_PAUSED',
  'TRANSCODE_STARTED',
  'NEW_DEVICE',
  'NEW_LOCATION',
];

export interface Automation {
  id: string;
  name: string;
  enabled: boolean;
  /** Records what it would have done, and does nothing. */
  dryRun: boolean;
  trigger: Trigger;
  conditions: Condition[];
  actions: Action[];
}

class AutomationError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export class UnknownAutomationError extends AppError {
  constructor(id: string) {
    super('not-found', `no automation rule "${id}"`);
  }
}

/** Shipped examples, off: an admin turns one on (and may change it) in the list. */
export const PRESETS: Automation[] = [
  {
    id: 'preset-refuse-4k-transcodes',
    name: 'Refuse 4K transcodes',
    enabled: false,
    dryRun: false,
    trigger: 'TRANSCODE_STARTED',
    conditions: [{ field: 'sourceResolution', op: 'in', values: ['4k'] }],
    actions: [
      {
        type: 'stop',
        message:
          'This 4K film cannot be converted for your device. Please choose a lower quality (1080p) in the player.',
      },
    ],
  },
  {
    id: 'preset-daily-limit',
    name: 'Four hours a day',
    enabled: false,
    dryRun: false,
    trigger: 'STREAM_STARTED',
    conditions: [{ field: 'watchedTodayMinutes', op: 'over', value: 240 }],
    actions: [{ type: 'stop', message: 'You have watched four hours today; see you tomorrow.' }],
  },
  {
    id: 'preset-stop-long-pauses',
    name: 'Stop streams paused for 30 minutes',
    enabled: false,
    dryRun: false,
    trigger: 'STREAM_STILL_PAUSED',
    conditions: [{ field: 'pausedMinutes', op: 'over', value: 29 }],
    actions: [
      { type: 'stop', message: 'This stream was paused for half an hour and has been stopped to free the server.' },
    ],
  },
  {
    id: 'preset-new-devices-at-night',
    name: 'Tell me of new devices at night',
    enabled: false,
    dryRun: false,
    trigger: 'NEW_DEVICE',
    conditions: [{ field: 'localTime', from: '00:00', to: '06:00', weekdays: [] }],
    actions: [{ type: 'notify', channels: [] }],
  },
  {
    id: 'preset-third-stream-warning',
    name: 'Warn at a third stream',
    enabled: false,
    dryRun: false,
    trigger: 'STREAM_STARTED',
    conditions: [
      { field: 'streamsNow', op: 'over', value: 2 },
      { field: 'streamsNow', op: 'atMost', value: 3 },
    ],
    actions: [
      {
        type: 'message',
        message: 'This is your third stream at once. Two are allowed: a fourth will be stopped.',
      },
    ],
  },
  {
    id: 'preset-fourth-stream-stopped',
    name: 'Stop a fourth stream',
    enabled: false,
    dryRun: false,
    trigger: 'STREAM_STARTED',
    conditions: [{ field: 'streamsNow', op: 'over', value: 3 }],
    actions: [{ type: 'stop', message: 'Three streams at once is the most: please close one and start again.' }],
  },
];

function fail(path: string, message: string): never {
  throw new AutomationError(`${path}: ${message}`);
}

function strings(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 200))
    fail(path, 'must be a list of non-empty texts');
  return value as string[];
}

function condition(input: unknown, path: string): Condition {
  const c = (input ?? {}) as Record<string, unknown>;
  const field = c.field as string;
  const known = [...LIST_FIELDS, ...Object.keys(NUMBER_FIELDS), 'localTime', ...Object.keys(COUNTER_UNITS)];
  if (!known.includes(field)) fail(`${path}.field`, `unknown field "${String(field)}" (known: ${known.join(', ')})`);
  if ((LIST_FIELDS as readonly string[]).includes(field)) {
    if (c.op !== 'in' && c.op !== 'notIn') fail(`${path}.op`, 'must be in or notIn');
    const values = strings(c.values, `${path}.values`);
    if (values.length === 0) fail(`${path}.values`, 'must name at least one value');
    return { field: field as (typeof LIST_FIELDS)[number], op: c.op, values };
  }
  if (field === 'localTime') {
    for (const key of ['from', 'to'] as const)
      if (typeof c[key] !== 'string' || !TIME_OF_DAY.test(c[key]))
        fail(`${path}.${key}`, 'must be a time of day as HH:MM (00:00 to 23:59)');
    if (c.from === c.to) fail(path, 'from and to are the same time: an empty window never matches');
    const weekdays = (c.weekdays ?? []) as unknown;
    if (!Array.isArray(weekdays) || weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
      fail(`${path}.weekdays`, 'must be days 1 (Monday) to 7 (Sunday)');
    return { field, from: c.from as string, to: c.to as string, weekdays: weekdays as number[] };
  }
  if (c.op !== 'over' && c.op !== 'atMost') fail(`${path}.op`, 'must be over or atMost');
  const unit = (COUNTER_UNITS as Record<string, string>)[field] ?? NUMBER_FIELDS[field as keyof typeof NUMBER_FIELDS];
  if (typeof c.value !== 'number' || !Number.isFinite(c.value) || c.value < 0)
    fail(`${path}.value`, `must be a number of ${unit}, 0 or more`);
  if ((field === 'streamsNow' || field === 'playsToday') && !Number.isInteger(c.value))
    fail(`${path}.value`, `must be a whole number of ${unit}`);
  return { field: field as 'watchedTodayMinutes', op: c.op, value: c.value };
}

function action(input: unknown, path: string): Action {
  const a = (input ?? {}) as Record<string, unknown>;
  if (a.type === 'notify') return { type: 'notify', channels: strings(a.channels ?? [], `${path}.channels`) };
  if (a.type === 'stop' || a.type === 'message') {
    if (typeof a.message !== 'string' || a.message.trim().length === 0 || a.message.length > 500)
      fail(`${path}.message`, 'the viewer is shown a message: 1 to 500 characters');
    return { type: a.type, message: a.message };
  }
  if (a.type === 'adjustTrust') {
    if (typeof a.points !== 'number' || !Number.isInteger(a.points) || a.points === 0 || Math.abs(a.points) > 100)
      fail(`${path}.points`, 'must be a whole number of points from -100 to 100, not 0');
    return { type: 'adjustTrust', points: a.points };
  }
  if (a.type === 'tag') {
    if (typeof a.tag !== 'string' || !TAG.test(a.tag.trim()))
      fail(`${path}.tag`, "1 to 40 letters, digits, spaces, '-' or '_', starting with a letter or digit");
    return { type: 'tag', tag: a.tag.trim() };
  }
  return fail(`${path}.type`, 'must be notify, message, stop, adjustTrust or tag');
}

/** Checks a rule; throws AutomationError naming the field that is wrong. */
export function validateAutomation(input: Record<string, unknown>): Omit<Automation, 'id'> {
  const trigger = input.trigger as Trigger;
  if (!TRIGGERS.includes(trigger)) fail('trigger', `must be one of ${TRIGGERS.join(', ')}`);
  if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 100)
    fail('name', '1 to 100 characters');
  if (!Array.isArray(input.conditions)) fail('conditions', 'must be a list (empty: every event of the trigger)');
  if (!Array.isArray(input.actions) || input.actions.length === 0) fail('actions', 'must name at least one action');
  const actions = input.actions.map((a, i) => action(a, `actions[${i}]`));
  const onStream = actions.find((a) => a.type === 'stop' || a.type === 'message');
  if (onStream && !STREAM_TRIGGERS.includes(trigger))
    fail('actions', `a ${trigger} event has no stream to ${onStream.type === 'stop' ? 'stop' : 'show a message on'}`);
  if (
    actions.some((a) => a.type === 'adjustTrust') &&
    !STREAM_TRIGGERS.includes(trigger) &&
    trigger !== 'STREAM_STOPPED' &&
    trigger !== 'TRUST_THRESHOLD'
  )
    fail('actions', `a ${trigger} event is of no account whose trust could change`);
  return {
    name: input.name.trim(),
    enabled: input.enabled === true,
    dryRun: input.dryRun === true,
    trigger,
    conditions: input.conditions.map((c, i) => condition(c, `conditions[${i}]`)),
    actions,
  };
}

export class AutomationStore {
  constructor(private readonly documents: ConfigDocuments) {}

  /** The saved rules, and each preset not saved yet (off). */
  async list(): Promise<Automation[]> {
    const saved = (await this.documents.get<Automation[]>(DOCUMENT))?.body ?? [];
    return [...saved, ...PRESETS.filter((p) => !saved.some((s) => s.id === p.id))];
  }

  /** Adds (no id) or replaces a rule (a preset's id saves the preset as changed). */
  async save(input: Record<string, unknown> & { id?: string }, by: string): Promise<Automation> {
    const all = await this.list();
    if (input.id && !all.some((a) => a.id === input.id)) throw new UnknownAutomationError(input.id);
    const rule: Automation = { id: input.id ?? randomUUID(), ...validateAutomation(input) };
    const saved = (await this.documents.get<Automation[]>(DOCUMENT))?.body ?? [];
    const next = saved.some((a) => a.id === rule.id)
      ? saved.map((a) => (a.id === rule.id ? rule : a))
      : [...saved, rule];
    await this.documents.put(DOCUMENT, next, by);
    return rule;
  }

  async remove(id: string, by: string): Promise<boolean> {
    const saved = (await this.documents.get<Automation[]>(DOCUMENT))?.body ?? [];
    if (!saved.some((a) => a.id === id)) return false;
    await this.documents.put(
      DOCUMENT,
      saved.filter((a) => a.id !== id),
      by,
    );
    return true;
  }
}
