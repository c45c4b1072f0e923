// The time range and server/account filters every data route takes, and their schema.
import { checkTimeZone } from '../../core/time-zone.ts';
import { checkRange, type Filters } from '../../warehouse/queries/index.ts';

export const DAY = 86_400_000;

export interface RangeQuery {
  from?: number;
  to?: number;
  servers?: string;
  accounts?: string;
  tz?: string;
}

export const rangeSchema = {
  type: 'object',
  properties: {
    from: { type: 'integer', minimum: 0, description: 'Start, ms since the epoch (default: 30 days ago)' },
    to: { type: 'integer', minimum: 1, description: 'End (exclusive), ms since the epoch (default: now)' },
    servers: { type: 'string', pattern: '^[a-z0-9_,-]*$', description: 'Comma-separated server ids' },
    accounts: { type: 'string', maxLength: 4000, description: 'Comma-separated account keys (server_id:user_id)' },
    tz: {
      type: 'string',
      maxLength: 64,
      description:
        'IANA time zone whose days group the results, e.g. Europe/Berlin (default UTC): a play belongs to the day it started in this zone',
    },
  },
} as const;

/** "a, b,,c" -> ['a', 'b', 'c']; undefined when nothing is given. */
export function commaList(text: string | undefined): string[] | undefined {
  const items = text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

/** The filters of a request, refused (invalid) when "from" is not before "to" or the zone is unknown. */
export function filters(q: RangeQuery): Filters {
  const to = q.to ?? Date.now() + 1;
  const from = q.from ?? to - 30 * DAY;
  checkRange(from, to);
  return {
    from,
    to,
    serverIds: commaList(q.servers),
    accountKeys: commaList(q.accounts),
    timeZone: checkTimeZone(q.tz ?? 'UTC'),
  };
}
