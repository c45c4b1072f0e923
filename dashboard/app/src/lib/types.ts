// Shapes the API returns, as the dashboard uses them; where the server declares one, its own.
import type { Static } from 'typebox';
import type { Overview as OverviewSchema, UserList } from '../../../../api/contract.ts';
export type { LiveSession } from '../../../../api/contract.ts';
export type Overview = Static<typeof OverviewSchema>;
export type UserSummary = Static<typeof UserList>['users'][number];
export type { RuleMetadata } from '../../../../pipeline/rules/metadata.ts';
/** An import started from the dashboard, as GET /api/v1/imports lists it. */
export type { ImportJob } from '../../../../importers/jobs.ts';
export type { AuditEntry } from '../../../../warehouse/queries/audit.ts';

export interface ServerSample {
  serverId: string;
  serverType: string;
  sampledAt: number;
  status: 'UP' | 'DOWN' | 'AUTH_FAILED' | string;
  statusDetail: string | null;
  hostCpuPercent: number | null;
  processCpuPercent: number | null;
  hostMemoryPercent: number | null;
  activeSessions: number;
  transcodeSessions: number;
  totalBandwidthKbps: number;
}

export interface EvidenceLocation {
  sessionKey: string;
  observedAt: number;
  ip: string;
  city: string | null;
  countryCode: string | null;
  latitude: number | null;
  longitude: number | null;
  deviceName: string | null;
  /** Absent on violations raised before evidence carried networks (schema version 3). */
  asn?: number | null;
  network?: string | null;
  networkType?: string | null;
  /** On a person's finding (schema version 4): the session's server and account. */
  serverId?: string | null;
  accountKey?: string | null;
}

export interface ViolationRow {
  violation_id: string;
  rule: string;
  severity: string;
  account_key: string;
  server_id: string;
  user_name: string;
  /** A finding over this person's accounts together; empty for an account's own. */
  person_id: string;
  detectedAt: string;
  summary: string;
  session_keys: string[];
  trust_penalty: number;
  status: string;
  evidence: {
    locations: EvidenceLocation[];
    distanceKm: number | null;
    elapsedMs: number | null;
    speedKmh: number | null;
    count: number | null;
    limit: number | null;
    windowMs?: number | null;
    ips: string[];
    deviceIds: string[];
    innocentIf?: string[];
  };
}

export interface LiveViolation {
  violationId: string;
  rule: string;
  severity: string;
  accountKey: string;
  serverId: string;
  userName: string;
  detectedAt: number;
  summary: string;
}

export interface MediaServer {
  id: string;
  name: string;
  type: 'plex' | 'jellyfin' | 'emby';
  url: string;
  enabled: boolean;
  tokenSet: boolean;
  pollIntervalMs?: number;
  stopGraceMs?: number;
  latitude?: number;
  longitude?: number;
  status: { status: string; detail: string | null; activeSessions: number } | null;
}

export type { Session as SessionRow } from '../../../../api/contract.ts';

export interface Place {
  latitude: number;
  longitude: number;
  city: string;
  countryCode: string;
  plays: number;
  users: number;
}
