// Whether an automation rule's conditions hold for an event: the same words for the running
// engine and for a backtest over history, which differ only in how they count what an account
// watched today (the warehouse, or the history being replayed).
import type { OperatorEvent } from '../schemas/index.ts';
import type { Automation, Condition } from './automations.ts';
import { LIST_FIELDS } from './automation-fields.ts';

/** Minutes the event's account watched today before it, in the install's zone. */
export type WatchedToday = (e: OperatorEvent) => Promise<number>;

export async function conditionsHold(
  rule: Automation,
  e: OperatorEvent,
  timeZone: string,
  watchedToday: WatchedToday,
): Promise<boolean> {
  for (const c of rule.conditions) if (!(await holds(c, e, timeZone || 'UTC', watchedToday))) return false;
  return true;
}

async function holds(c: Condition, e: OperatorEvent, timeZone: string, watchedToday: WatchedToday): Promise<boolean> {
  if ((LIST_FIELDS as readonly string[]).includes(c.field) && 'values' in c) {
    const own = { serverId: e.serverId, accountKey: e.accountKey, personId: e.personId } as Record<string, unknown>;
    const value = (c.field in own ? own[c.field] : e.details[c.field]) as string | null | undefined;
    // An event without the field matches neither way: a stop never rests on a missing value.
    if (value === null || value === undefined || value === '') return false;
    return c.op === 'in' ? c.values.includes(value) : !c.values.includes(value);
  }
  if (c.field === 'localTime') return inWindow(e.occurredAt, c, timeZone);
  if (c.field === 'watchedTodayMinutes') return Boolean(e.accountKey) && (await watchedToday(e)) > c.value;
  if ('value' in c) {
    const raw = e.details[c.field];
    return raw !== undefined && Number.isFinite(Number(raw)) && Number(raw) > c.value;
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
