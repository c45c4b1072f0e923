export { Analytics, type PlaysPoint, type Share } from './analytics.ts';
export { LibraryQueries } from './library.ts';
export { SessionQueries, ACTIVE_WITHIN_MS, type HistoryPage, type SessionRow } from './sessions.ts';
export type { Filters } from './filters.ts';
