// What /metrics reports: consumer lag per group, events handled, violations, dead letters,
// connector failures and media server status.
import type { Bus } from '../bus/types.ts';
import type { ConnectorRunner } from '../connectors/runner.ts';
import { cacheMetrics, type Metric } from '../api/routes/metrics.ts';
import type { StreamProcessor } from '../pipeline/processor.ts';
import { topics } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { EngineQueries } from '../warehouse/queries/engine.ts';
import type { WarehouseSink } from '../warehouse/sink.ts';

/** Records behind the end, summed over partitions, and how many partitions are committed past it. */
export function consumerLag(
  ends: Map<number, string>,
  committed: Map<number, string>,
): { behind: number; pastEnd: number } {
  let behind = 0;
  let pastEnd = 0;
  for (const [partition, end] of ends) {
    const at = Math.max(0, Number(committed.get(partition) ?? 0));
    if (at > Number(end)) pastEnd++;
    else behind += Number(end) - at;
  }
  return { behind, pastEnd };
}

/** A metric of one unlabelled sample. */
function single(name: string, help: string, type: Metric['type'], value: number): Metric {
  return { name, help, type, samples: [{ value }] };
}

export function metricsCollector(parts: {
  bus: Bus;
  processor?: StreamProcessor;
  sink?: WarehouseSink;
  connectors?: ConnectorRunner;
  warehouse?: Warehouse;
}): () => Promise<Metric[]> {
  const engine = parts.warehouse && new EngineQueries(parts.warehouse);
  return async () => {
    const ends = await parts.bus.endOffsets(topics.playbackEvents.name);
    const lag: Metric = {
      name: 'streamwarden_consumer_lag',
      help: 'Playback events not yet handled, per consumer group',
      type: 'gauge',
      samples: [],
    };
    const pastEnd: Metric = {
      name: 'streamwarden_consumer_offsets_past_end',
      help: 'Partitions whose committed offset is past the end of the log (records lost or log replaced)',
      type: 'gauge',
      samples: [],
    };
    for (const group of ['pipeline', 'warehouse-sink']) {
      const lags = consumerLag(ends, await parts.bus.committedOffsets(group, topics.playbackEvents.name));
      // A commit past the end is not "caught up": lag is reported as unknown (NaN), never as 0.
      lag.samples.push({ labels: { group }, value: lags.pastEnd > 0 ? Number.NaN : lags.behind });
      pastEnd.samples.push({ labels: { group }, value: lags.pastEnd });
    }
    const metrics: Metric[] = [lag, pastEnd];
    if (parts.processor) {
      const s = parts.processor.stats;
      metrics.push(
        single(
          'streamwarden_events_processed_total',
          'Playback events run through the detection rules',
          'counter',
          s.events,
        ),
        single('streamwarden_violations_total', 'Violations published', 'counter', s.violations),
        single('streamwarden_trust_changes_total', 'Trust score changes published', 'counter', s.trustChanges),
        single(
          'streamwarden_state_checkpoints_total',
          "Checkpoints of a partition's account state written",
          'counter',
          s.checkpointsWritten,
        ),
        single(
          'streamwarden_state_replayed_events_total',
          'Events replayed to restore account state after an assignment (from a checkpoint, or the whole retained history)',
          'counter',
          s.replayed,
        ),
      );
    }
    if (parts.sink) {
      metrics.push(
        {
          name: 'streamwarden_warehouse_rows_total',
          help: 'Rows written to the warehouse, per table',
          type: 'counter',
          samples: Object.entries(parts.sink.stats.rows).map(([table, value]) => ({ labels: { table }, value })),
        },
        single(
          'streamwarden_dead_letters_total',
          'Undecodable records sent to the dead-letter topic by the sink',
          'counter',
          parts.sink.stats.deadLetters,
        ),
      );
    }
    metrics.push(...cacheMetrics([...(parts.processor?.caches() ?? []), ...(parts.connectors?.caches() ?? [])]));
    // The usual names of Prometheus' process and Node.js collectors, so existing dashboards read them.
    const memory = process.memoryUsage();
    metrics.push(
      single(
        'process_resident_memory_bytes',
        'Resident memory of this process (the embedded engine included)',
        'gauge',
        memory.rss,
      ),
      single('nodejs_heap_size_used_bytes', 'JavaScript heap in use', 'gauge', memory.heapUsed),
      single(
        'nodejs_external_memory_bytes',
        'Memory of buffers and native objects held from JavaScript',
        'gauge',
        memory.external,
      ),
    );
    if (engine) {
      const m = await engine.memory();
      metrics.push(
        single(
          'streamwarden_warehouse_engine_memory_bytes',
          'Memory the warehouse engine tracks: queries, inserts, merges, caches (when embedded, part of this process)',
          'gauge',
          m.trackedBytes,
        ),
        single(
          'streamwarden_warehouse_merge_memory_bytes',
          "Of the engine's memory, what background merges hold",
          'gauge',
          m.mergeBytes,
        ),
        single('streamwarden_warehouse_merges', 'Background merges running in the warehouse engine', 'gauge', m.merges),
      );
    }
    if (parts.connectors) {
      const statuses = parts.connectors.statuses();
      metrics.push(
        {
          name: 'streamwarden_server_up',
          help: '1 when the media server answers',
          type: 'gauge',
          samples: statuses.map((s) => ({
            labels: { server: s.serverId, status: s.status },
            value: s.status === 'UP' ? 1 : 0,
          })),
        },
        {
          name: 'streamwarden_server_sessions',
          help: 'Sessions playing on the media server',
          type: 'gauge',
          samples: statuses.map((s) => ({ labels: { server: s.serverId }, value: s.activeSessions })),
        },
        {
          name: 'streamwarden_connector_errors_total',
          help: 'Failed requests to media servers, per kind',
          type: 'counter',
          samples: statuses.flatMap((s) =>
            Object.entries(s.counters.failures).map(([kind, value]) => ({
              labels: { server: s.serverId, kind },
              value: value ?? 0,
            })),
          ),
        },
      );
    }
    return metrics;
  };
}
