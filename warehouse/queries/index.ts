export { Analytics, type ConcurrencyBucket } from './analytics.ts';
export { LibraryQueries } from './library.ts';
export { DELIVERIES, HISTORY_FILTERS, SessionQueries, type HistoryFilter, type SessionRow } from './sessions.ts';
export { checkRange, type Filters } from './filters.ts';
