// Shapes the API returns, as the dashboard uses them; where the server declares one, its own.
import type { Static } from 'typebox';
import type {
  MapPlaces,
  Overview as OverviewSchema,
  ServerList,
  UserList,
  ViolationList,
} from '../../../../api/contract.ts';
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

/** A finding as GET /api/v1/violations lists it, and one place of its evidence. */
export type ViolationRow = Static<typeof ViolationList>['violations'][number];
export type EvidenceLocation = ViolationRow['evidence']['locations'][number];

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

/** A media server as GET /api/v1/servers lists it, with its connector's status. */
export type MediaServer = Static<typeof ServerList>['servers'][number];

export type { Session as SessionRow } from '../../../../api/contract.ts';

/** Where plays came from (GET /api/v1/map/places). */
export type Place = Static<typeof MapPlaces>['places'][number];
