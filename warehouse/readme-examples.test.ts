import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from './migrations.ts';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let tables: string[] = [];

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
  const result = await warehouse.client.query({
    query: 'SELECT name FROM system.tables WHERE database = {db:String}',
    query_params: { db: warehouse.database },
    format: 'JSONEachRow',
  });
  tables = (await result.json<{ name: string }>()).map((r) => r.name);
});
afterAll(() => warehouse?.drop());

describe('warehouse/README.md', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThan(5));

  it.each(examples.map((sql, i) => [i + 1, sql]))('example %i runs on the real schema', async (_n, sql) => {
    // The guide uses the default database; the test database has another name.
    const qualified = (sql as string).replace(
      /\b(FROM|JOIN)\s+([a-z_][a-z0-9_]*)\b/g,
      (all, keyword: string, name: string) =>
        tables.includes(name) ? `${keyword} ${warehouse.database}.${name}` : all,
    );
    await expect(
      warehouse.client.query({ query: qualified, format: 'JSONEachRow' }).then((r) => r.json()),
    ).resolves.toBeInstanceOf(Array);
  });

  it('documents every table', () => {
    for (const table of tables.filter(
      (t) => !t.endsWith('_mv') && !t.includes('_from_') && !t.startsWith('sink_offsets_'),
    ))
      expect(readme, table).toContain(`\`${table}\``);
  });
});
