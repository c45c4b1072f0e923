// Media server load: samples over time per bucket, and each server's newest sample.
import type { Warehouse } from '../client.ts';
import type { ServerMetricsSample } from '../../schemas/index.ts';
import { filterParams, where, type Filters } from './filters.ts';

export interface ServerLoadPoint {
  serverId: string;
  at: number;
  cpuPercent: number | null;
  memoryPercent: number | null;
  sessions: number;
  transcodes: number;
  bandwidthKbps: number;
  downSamples: number;
}

export class ServerMetricsQueries {
  constructor(private readonly w: Warehouse) {}

  /** CPU and memory averaged, streams and transcodes at their peak, per server and bucket. */
  async overTime(f: Filters, bucketSeconds: number): Promise<ServerLoadPoint[]> {
    const warehouse = this.w;
    const bucket = bucketSeconds;
    const result = await warehouse.client.query({
      query: `SELECT server_id AS serverId, toUnixTimestamp(toStartOfInterval(sampled_at, toIntervalSecond({bucket:UInt32}))) * 1000 AS at,
               round(avg(coalesce(host_cpu_percent, process_cpu_percent)), 1) AS cpuPercent, round(avg(host_memory_percent), 1) AS memoryPercent,
               max(active_sessions) AS sessions, max(transcode_sessions) AS transcodes, round(avg(total_bandwidth_kbps)) AS bandwidthKbps,
               countIf(status != 'UP') AS downSamples
          FROM ${warehouse.table('server_metrics')}
          WHERE ${where('sampled_at', 'time', f)}
          GROUP BY serverId, at ORDER BY serverId, at`,
      query_params: { ...filterParams(f), bucket },
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string | number | null>>();
    return rows.map((r) => ({
      ...r,
      at: Number(r.at),
      sessions: Number(r.sessions),
      transcodes: Number(r.transcodes),
      bandwidthKbps: Number(r.bandwidthKbps),
      downSamples: Number(r.downSamples),
    })) as ServerLoadPoint[];
  }

  /** Each server's newest metrics sample, in the topic's shape. */
  async latest(): Promise<ServerMetricsSample[]> {
    const warehouse = this.w;
    const result = await warehouse.client.query({
      query: `SELECT server_id, argMax(server_type, sampled_at) AS type, max(sampled_at) AS at, toUnixTimestamp64Milli(max(sampled_at)) AS at_ms, argMax(status, sampled_at) AS status, argMax(status_detail, sampled_at) AS detail,
                argMax(active_sessions, sampled_at) AS sessions, argMax(transcode_sessions, sampled_at) AS transcodes, argMax(total_bandwidth_kbps, sampled_at) AS bandwidth,
                argMax(host_cpu_percent, sampled_at) AS cpu, argMax(host_memory_percent, sampled_at) AS memory
              FROM ${warehouse.table('server_metrics')} GROUP BY server_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string | number | null>>();
    return rows.map((r) => ({
      sampleId: `${r.server_id}:${r.at_ms}`,
      serverId: String(r.server_id),
      serverType: r.type as ServerMetricsSample['serverType'],
      sampledAt: Number(r.at_ms),
      status: r.status as ServerMetricsSample['status'],
      statusDetail: r.detail ? String(r.detail) : null,
      responseTimeMs: null,
      processCpuPercent: null,
      hostCpuPercent: r.cpu === null ? null : Number(r.cpu),
      processMemoryPercent: null,
      hostMemoryPercent: r.memory === null ? null : Number(r.memory),
      activeSessions: Number(r.sessions),
      transcodeSessions: Number(r.transcodes),
      directPlaySessions: 0,
      directStreamSessions: 0,
      totalBandwidthKbps: Number(r.bandwidth),
      lanBandwidthKbps: 0,
      wanBandwidthKbps: 0,
    }));
  }
}
