// Prometheus text exposition at /metrics (token or session required, like /api).
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import type { CacheSize } from '../../core/cache-size.ts';

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Entries held and limits of caches and in-memory state, one sample each (per server where given). */
export function cacheMetrics(sizes: ReadonlyArray<CacheSize & { serverId?: string }>): Metric[] {
  const labels = (s: CacheSize & { serverId?: string }) => ({
    cache: s.cache,
    ...(s.serverId === undefined ? {} : { server: s.serverId }),
  });
  return [
    {
      name: 'streamwarden_cache_entries',
      help: 'Entries held in memory, per cache or state',
      type: 'gauge',
      samples: sizes.map((s) => ({ labels: labels(s), value: s.entries })),
    },
    {
      name: 'streamwarden_cache_limit',
      help: 'Most entries a cache holds, where its bound is a count',
      type: 'gauge',
      samples: sizes.flatMap((s) => (s.limit === undefined ? [] : [{ labels: labels(s), value: s.limit }])),
    },
  ];
}

/** Metrics of one name given by several parts become one metric (a name may appear once). */
function merged(metrics: Metric[]): Metric[] {
  const byName = new Map<string, Metric>();
  for (const m of metrics) {
    const seen = byName.get(m.name);
    if (seen) seen.samples = [...seen.samples, ...m.samples];
    else byName.set(m.name, { ...m });
  }
  return [...byName.values()];
}

export function exposition(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of merged(metrics)) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${escape(v)}"`);
      // Prometheus' text format spells an unknown value NaN; reporting it as 0 would read as healthy.
      lines.push(
        `${m.name}${labels.length ? `{${labels.join(',')}}` : ''} ${Number.isNaN(s.value) ? 'NaN' : Number.isFinite(s.value) ? s.value : s.value > 0 ? '+Inf' : '-Inf'}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function metricsRoute(
  app: FastifyInstance,
  { collect }: { collect: () => Promise<Metric[]> },
): Promise<void> {
  app.get('/metrics', { ...can('view'), schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4').send(exposition(await collect())),
  );
}
