// The Grafana dashboard (grafana/dashboards/streamwarden.json): every panel's SQL, with the
// ClickHouse plugin's macros expanded as it expands them for a fixed range, runs against a
// warehouse holding a real history and answers rows; it reads only the public views, so a release
// that changes tables does not break it; the data source it names is the one provisioned.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../testing/history.ts';
import { warehouseWithHistory, type TestWarehouse } from '../testing/load-history.ts';

interface Panel {
  title: string;
  type: string;
  datasource: { uid: string };
  targets: Array<{ rawSql: string; datasource: { uid: string } }>;
}
const root = new URL('../grafana/', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('dashboards/streamwarden.json', root), 'utf8')) as {
  panels: Panel[];
};
const datasource = readFileSync(new URL('provisioning/datasources/clickhouse.yaml', root), 'utf8');
const PUBLIC = ['plays_v1', 'sessions_live_v1', 'violations_v1', 'people_v1', 'daily_usage_v1', 'server_load_v1'];

const history = generateHistory({ seed: 3, plays: 120, livePlays: 2 });
let warehouse: TestWarehouse;
warehouseWithHistory(history, (w) => (warehouse = w));

/** The plugin's macros for the range [from, to] (seconds), an hour a bucket. */
function expand(sql: string, from: number, to: number): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, `$1 >= toDateTime(${from}) AND $1 <= toDateTime(${to})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, 'toStartOfInterval(toDateTime($1), INTERVAL 3600 second)')
    .replace(/\$__fromTime/g, `toDateTime(${from})`)
    .replace(/\$__toTime/g, `toDateTime(${to})`);
}

describe('Grafana dashboard', () => {
  it('has the panels an operator looks for, each on the provisioned data source', () => {
    const types = new Set(dashboard.panels.map((p) => p.type));
    for (const type of ['timeseries', 'stat', 'table', 'geomap']) expect(types, type).toContain(type);
    expect(datasource).toContain('uid: streamwarden-clickhouse');
    expect(datasource).toContain('type: grafana-clickhouse-datasource');
    for (const p of dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe('streamwarden-clickhouse');
      expect(
        p.targets.every((t) => t.datasource.uid === 'streamwarden-clickhouse'),
        p.title,
      ).toBe(true);
    }
  });

  it.each(dashboard.panels.map((p) => [p.title, p] as const))(
    '"%s" runs on the public views and answers rows',
    async (_title, panel) => {
      const from = Math.floor(Date.UTC(2026, 8, 30) / 1000);
      const to = Math.ceil(history.end / 1000) + 3600;
      for (const target of panel.targets) {
        const tables = [...target.rawSql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!);
        // Subqueries aside, only the public contract: the tables behind it may change.
        expect(
          tables.filter((t) => !PUBLIC.includes(t)),
          panel.title,
        ).toEqual([]);
        const sql = expand(target.rawSql, from, to).replace(
          /\b(FROM|JOIN)\s+([a-z_][a-z0-9_]*)\b/g,
          (all, keyword: string, name: string) => (PUBLIC.includes(name) ? `${keyword} ${warehouse.table(name)}` : all),
        );
        const rows = await (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json();
        // Live streams and open findings may be none in this history; everything else has rows.
        if (!/sessions_live_v1|violations_v1/.test(target.rawSql)) expect(rows.length, panel.title).toBeGreaterThan(0);
      }
    },
  );
});
