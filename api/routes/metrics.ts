// Prometheus text exposition at /metrics (token or session required, like /api).
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function exposition(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
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
