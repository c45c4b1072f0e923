// Exports: the history, the violations, the accounts with their people, and the audit log, as CSV
// or JSON Lines, with the same filters as their lists, streamed page by page (api/export-format.ts).
import type { FastifyInstance } from 'fastify';
import type { PeopleStore } from '../../pipeline/people-store.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import type { AuditEntry, AuditQueries } from '../../warehouse/queries/audit.ts';
import { SessionQueries } from '../../warehouse/queries/index.ts';
import { PeopleQueries, type UserListEntry } from '../../warehouse/queries/people.ts';
import { ViolationQueries } from '../../warehouse/queries/violations.ts';
import { can } from '../auth/plugin.ts';
import { errors, type Session } from '../contract.ts';
import { byCursor, type Column, EXPORT_FORMATS, exportLines, type ExportFormat, sendExport } from '../export-format.ts';
import { withNetwork } from '../network-view.ts';
import { withPoster } from '../poster.ts';
import { auditFilterProperties, type AuditQuery } from './audit.ts';
import { filters, rangeSchema } from './range.ts';
import { historyFilterOf, historyQueryProperties, type HistoryQuery } from './sessions.ts';
import { toFilter, violationFilterProperties, type FilterQuery } from './violations.ts';

/** Rows read from the warehouse per page: big enough to be quick, small enough to hold at once. */
const PAGE = 500;

const format = {
  type: 'string',
  enum: [...EXPORT_FORMATS],
  default: 'csv',
  description: 'csv (a spreadsheet; a heading line, UTF-8 with a byte-order mark) or jsonl (one JSON document a line)',
} as const;

const file = {
  description: 'The export, streamed as it is read',
  content: {
    'text/csv': { schema: { type: 'string', format: 'binary' } },
    'application/x-ndjson': { schema: { type: 'string', format: 'binary' } },
  },
};

const HISTORY_COLUMNS: Array<Column<Session>> = [
  { name: 'started_at', value: (s) => s.startedAt },
  { name: 'stopped_at', value: (s) => s.stoppedAt },
  { name: 'server', value: (s) => s.serverId },
  { name: 'account', value: (s) => s.accountKey },
  { name: 'user', value: (s) => s.userName },
  { name: 'media_type', value: (s) => s.mediaType },
  { name: 'series_or_artist', value: (s) => s.grandparentTitle },
  { name: 'season', value: (s) => s.seasonNumber },
  { name: 'episode', value: (s) => s.episodeNumber },
  { name: 'title', value: (s) => s.title },
  { name: 'year', value: (s) => s.year },
  { name: 'played_ms', value: (s) => s.playedMs },
  { name: 'paused_ms', value: (s) => s.pausedMs },
  { name: 'duration_ms', value: (s) => s.durationMs },
  { name: 'device', value: (s) => s.deviceName },
  { name: 'device_id', value: (s) => s.deviceId },
  { name: 'platform', value: (s) => s.platform },
  { name: 'client', value: (s) => s.product },
  { name: 'client_version', value: (s) => s.productVersion },
  { name: 'player', value: (s) => s.player },
  { name: 'address', value: (s) => s.clientIp },
  { name: 'lan_wan', value: (s) => s.networkLocation },
  { name: 'network', value: (s) => s.network },
  { name: 'network_type', value: (s) => s.networkType },
  { name: 'city', value: (s) => s.city },
  { name: 'region', value: (s) => s.region },
  { name: 'country', value: (s) => s.countryCode },
  {
    name: 'delivery',
    value: (s) => (s.isTranscode ? 'TRANSCODE' : s.videoDecision === 'DIRECT_STREAM' ? 'DIRECT_STREAM' : 'DIRECT_PLAY'),
  },
  { name: 'video_decision', value: (s) => s.videoDecision },
  { name: 'audio_decision', value: (s) => s.audioDecision },
  { name: 'transcode_reasons', value: (s) => s.transcodeReasons },
  { name: 'hardware_transcode', value: (s) => s.transcodeHardware },
  { name: 'source_resolution', value: (s) => s.sourceVideoResolution },
  { name: 'stream_resolution', value: (s) => s.streamVideoResolution },
  { name: 'source_video_codec', value: (s) => s.sourceVideoCodec },
  { name: 'stream_video_codec', value: (s) => s.streamVideoCodec },
  { name: 'source_audio_codec', value: (s) => s.sourceAudioCodec },
  { name: 'stream_audio_codec', value: (s) => s.streamAudioCodec },
  { name: 'container', value: (s) => s.container },
  { name: 'bitrate_kbps', value: (s) => s.bitrateKbps },
  { name: 'bandwidth_kbps', value: (s) => s.bandwidthKbps },
  { name: 'session_key', value: (s) => s.sessionKey },
];

type ViolationRow = Record<string, unknown> & { evidence?: { locations?: Array<Record<string, unknown>> } };
const VIOLATION_COLUMNS: Array<Column<ViolationRow>> = [
  { name: 'detected_at', value: (v) => v.detectedAt },
  { name: 'rule', value: (v) => v.rule },
  { name: 'severity', value: (v) => v.severity },
  { name: 'status', value: (v) => v.status },
  { name: 'account', value: (v) => v.account_key },
  { name: 'user', value: (v) => v.user_name },
  { name: 'server', value: (v) => v.server_id },
  { name: 'person', value: (v) => v.person_id },
  { name: 'summary', value: (v) => v.summary },
  { name: 'trust_penalty', value: (v) => v.trust_penalty },
  { name: 'addresses', value: (v) => [...new Set((v.evidence?.locations ?? []).map((l) => l.ip))] },
  {
    name: 'places',
    value: (v) => (v.evidence?.locations ?? []).map((l) => [l.city, l.countryCode].filter(Boolean).join(', ')),
  },
  { name: 'sessions', value: (v) => v.session_keys },
  { name: 'violation_id', value: (v) => v.violation_id },
];

type AccountRow = UserListEntry & { personId: string | null; person: string | null };
const ACCOUNT_COLUMNS: Array<Column<AccountRow>> = [
  { name: 'person', value: (a) => a.person },
  { name: 'person_id', value: (a) => a.personId },
  { name: 'account', value: (a) => a.accountKey },
  { name: 'server', value: (a) => a.serverId },
  { name: 'user', value: (a) => a.userName },
  { name: 'trust_score', value: (a) => a.trustScore },
  { name: 'open_violations', value: (a) => a.openViolations },
  { name: 'first_seen_at', value: (a) => a.firstSeenAt },
  { name: 'last_seen_at', value: (a) => a.lastSeenAt },
];

const AUDIT_COLUMNS: Array<Column<AuditEntry>> = [
  { name: 'at', value: (e) => e.at },
  { name: 'actor', value: (e) => e.actor },
  { name: 'role', value: (e) => e.actorRole },
  { name: 'via', value: (e) => e.via },
  { name: 'action', value: (e) => e.action },
  { name: 'target', value: (e) => e.target },
  { name: 'outcome', value: (e) => e.outcome },
  { name: 'status', value: (e) => e.statusCode },
  { name: 'detail', value: (e) => e.detail },
  { name: 'address', value: (e) => e.clientIp },
];

export async function exportRoutes(
  app: FastifyInstance,
  { warehouse, people, audit }: { warehouse: Warehouse; people: PeopleStore; audit: AuditQueries },
): Promise<void> {
  const sessions = new SessionQueries(warehouse);
  const violations = new ViolationQueries(warehouse);
  const accounts = new PeopleQueries(warehouse);

  app.get<{ Querystring: HistoryQuery & { format?: ExportFormat } }>(
    '/api/v1/exports/history',
    {
      ...can('view'),
      schema: {
        description: 'Every play the history lists with these filters, newest first.',
        querystring: { ...rangeSchema, properties: { ...historyQueryProperties, format } },
        response: { 200: file, ...errors },
      },
    },
    async (request, reply) => {
      const f = filters(request.query);
      const options = { search: request.query.search, filter: historyFilterOf(request.query), limit: PAGE };
      const pages = byCursor<Session, string>(async (cursor) => {
        const page = await sessions.history(f, { ...options, cursor });
        return { rows: page.sessions.map((s) => withPoster(withNetwork(s))), next: page.nextCursor };
      });
      const fmt = request.query.format ?? 'csv';
      return sendExport(reply, 'history', fmt, exportLines(pages, fmt, HISTORY_COLUMNS));
    },
  );

  app.get<{ Querystring: FilterQuery & { format?: ExportFormat } }>(
    '/api/v1/exports/violations',
    {
      ...can('view'),
      schema: {
        description: 'Every finding the violations list shows with these filters, newest first, with its evidence.',
        querystring: { type: 'object', properties: { ...violationFilterProperties, format } },
        response: { 200: file, ...errors },
      },
    },
    async (request, reply) => {
      const filter = toFilter(request.query);
      const pages = byCursor<ViolationRow, { detectedAt: string; violationId: string }>(async (before) => {
        const rows = (await violations.list(filter, PAGE, before ?? undefined)) as ViolationRow[];
        const last = rows.at(-1);
        return {
          rows,
          next:
            rows.length === PAGE && last
              ? { detectedAt: String(last.detectedAt), violationId: String(last.violation_id) }
              : null,
        };
      });
      const fmt = request.query.format ?? 'csv';
      return sendExport(reply, 'violations', fmt, exportLines(pages, fmt, VIOLATION_COLUMNS));
    },
  );

  app.get<{ Querystring: { format?: ExportFormat } }>(
    '/api/v1/exports/people',
    {
      ...can('view'),
      schema: {
        description:
          'Every account with its trust score, and the person it belongs to when it is linked (one line per account).',
        querystring: { type: 'object', properties: { format } },
        response: { 200: file, ...errors },
      },
    },
    async (request, reply) => {
      const [{ people: all }, users] = await Promise.all([people.get(), accounts.users()]);
      const personOf = new Map(Object.values(all).flatMap((p) => p.accountKeys.map((a) => [a, p] as const)));
      const rows: AccountRow[] = users.map((u) => {
        const person = personOf.get(u.accountKey);
        return { ...u, personId: person?.personId ?? null, person: person ? person.name || u.userName : null };
      });
      // Linked accounts together, by person, then the others by trust (lowest first, as listed).
      rows.sort((a, b) => (a.person ?? '\uffff').localeCompare(b.person ?? '\uffff') || a.trustScore - b.trustScore);
      const fmt = request.query.format ?? 'csv';
      return sendExport(reply, 'people', fmt, exportLines(singlePage(rows), fmt, ACCOUNT_COLUMNS));
    },
  );

  app.get<{ Querystring: Omit<AuditQuery, 'before' | 'limit'> & { format?: ExportFormat } }>(
    '/api/v1/exports/audit',
    {
      ...can('manage'),
      schema: {
        description: 'The audit log with these filters, newest first.',
        querystring: { type: 'object', additionalProperties: false, properties: { ...auditFilterProperties, format } },
        response: { 200: file, ...errors },
      },
    },
    async (request, reply) => {
      const { format: fmt = 'csv', ...filter } = request.query;
      const pages = byCursor<AuditEntry, { at: string; auditId: string }>(async (before) => {
        const rows = await audit.list({ ...filter, before: before ?? undefined, limit: PAGE });
        const last = rows.at(-1);
        return { rows, next: rows.length === PAGE && last ? { at: last.at, auditId: last.auditId } : null };
      });
      return sendExport(reply, 'audit', fmt, exportLines(pages, fmt, AUDIT_COLUMNS));
    },
  );
}

async function* singlePage<T>(rows: readonly T[]): AsyncGenerator<readonly T[]> {
  yield rows;
}
