// Whether an automation rule's conditions hold for an event: the same words for the running
// engine and for a backtest over history, which differ only in how they count what an account
// watched today and the streams playing at once (the warehouse and the bus, or the history being
// replayed).
import type { OperatorEvent } from '../schemas/index.ts';
import type { Automation, Condition } from './automations.ts';
import { LIST_FIELDS } from './automation-fields.ts';

export interface Counters {
  /**
   * What the event's person (or account, when it is no one's) watched before it, since the start
   * of the day or the week (Monday) in the install's zone: minutes played and plays started.
   */
  watched(e: OperatorEvent, since: 'day' | 'week'): Promise<{ minutes: number; plays: number }>;
  /** Streams of the event's person (or account) going on at it, its own included. */
  streamsNow(e: OperatorEvent): Promise<number>;
  /** The tags of the event's person; null when it is no one's. */
  personTags(e: OperatorEvent): Promise<string[] | null>;
}

export async function conditionsHold(
  rule: Automation,
  e: OperatorEvent,
  timeZone: string,
  counters: Counters,
): Promise<boolean> {
  for (const c of rule.conditions) if (!(await holds(c, e, timeZone || 'UTC', counters))) return false;
  return true;
}

async function holds(c: Condition, e: OperatorEvent, timeZone: string, counters: Counters): Promise<boolean> {
  if (c.field === 'personTag' && 'values' in c) {
    // No person: matches neither way, like any missing value. A person without tags is notIn.
    const tags = await counters.personTags(e);
    if (tags === null) return false;
    const any = tags.some((t) => c.values.includes(t));
    return c.op === 'in' ? any : !any;
  }
  if ((LIST_FIELDS as readonly string[]).includes(c.field) && 'values' in c) {
    const own = { serverId: e.serverId, accountKey: e.accountKey, personId: e.personId } as Record<string, unknown>;
    const value = (c.field in own ? own[c.field] : e.details[c.field]) as string | null | undefined;
    // An event without the field matches neither way: a stop never rests on a missing value.
    if (value === null || value === undefined || value === '') return false;
    return c.op === 'in' ? c.values.includes(value) : !c.values.includes(value);
  }
  if (c.field === 'localTime') return inWindow(e.occurredAt, c, timeZone);
  const compare = (n: number, c: { op: 'over' | 'atMost'; value: number }) =>
    c.op === 'over' ? n > c.value : n <= c.value;
  if (c.field === 'watchedTodayMinutes')
    return Boolean(e.accountKey) && compare((await counters.watched(e, 'day')).minutes, c);
  if (c.field === 'watchedWeekMinutes')
    return Boolean(e.accountKey) && compare((await counters.watched(e, 'week')).minutes, c);
  if (c.field === 'playsToday') return Boolean(e.accountKey) && compare((await counters.watched(e, 'day')).plays, c);
  if (c.field === 'streamsNow') return Boolean(e.accountKey) && compare(await counters.streamsNow(e), c);
  if ('value' in c) {
    const raw = e.details[c.field];
    return raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) && compare(Number(raw), c);
  }
  return false;
}

/** Whether the instant's wall clock in the zone is in the window, on one of its weekdays. */
function inWindow(at: number, c: { from: string; to: string; weekdays: number[] }, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    weekday: 'short',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const clock = `${part('hour')}:${part('minute')}`;
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(part('weekday')) + 1;
  const inHours = c.from < c.to ? clock >= c.from && clock < c.to : clock >= c.from || clock < c.to;
  return inHours && (c.weekdays.length === 0 || c.weekdays.includes(day));
}
