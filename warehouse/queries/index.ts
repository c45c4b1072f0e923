export { Analytics, type ConcurrencyBucket } from './analytics.ts';
export { LibraryQueries } from './library.ts';
export { SessionQueries, type SessionRow } from './sessions.ts';
export { checkRange, type Filters } from './filters.ts';
