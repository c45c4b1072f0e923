// The test-only HTTP front answers @clickhouse/client as a ClickHouse server does. With
// CLICKHOUSE_URL given, the same tests run against that server instead, unchanged.
import { createClient, type ClickHouseClient, ClickHouseError } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { clickhouseUrlForProcesses, openTestWarehouse } from './warehouse.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importHistory } from '../importers/import-history.ts';
import { createJellystatBackup, generatePlays } from './import-fixtures.ts';

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let url: string;
let client: ClickHouseClient;
const open: ClickHouseClient[] = [];

function connect(options: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  const made = createClient({ url, ...options });
  open.push(made);
  return made;
}

/** The URL without its credentials, for requests made by hand. */
function bare(): { base: string; auth: string } {
  const parsed = new URL(url);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username) || 'default'}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  parsed.username = '';
  parsed.password = '';
  return { base: parsed.toString().replace(/\/$/, ''), auth };
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  url = await clickhouseUrlForProcesses();
  client = connect();
  await client.command({
    query: `CREATE TABLE ${warehouse.table('front_rows')} (id UInt32, name String) ENGINE = MergeTree ORDER BY id
            SETTINGS non_replicated_deduplication_window = 100`,
  });
});

afterAll(async () => {
  for (const c of open) await c.close();
  await warehouse?.drop();
});

const tricky = "it's a \\ backslash,\ta tab and\na new line: ünïcødé";

describe('ClickHouse HTTP front (tests only)', () => {
  it('answers /ping and a bare GET with "Ok."', async () => {
    const { base } = bare();
    expect(await fetch(`${base}/ping`).then((r) => r.text())).toBe('Ok.\n');
    expect(await fetch(`${base}/`).then((r) => r.text())).toBe('Ok.\n');
    expect((await client.ping()).success).toBe(true);
  });

  it.each([
    ['in the URL', false],
    ['in a multipart body', true],
  ])('binds parameters %s exactly as given', async (_how, multipart) => {
    const through = connect({ use_multipart_params: multipart });
    const result = await through.query({
      query: `SELECT {s:String} AS s, {list:Array(String)} AS list, {big:Int64} AS big,
                     {at:DateTime64(3, 'UTC')} AS at, {none:Nullable(String)} AS none`,
      query_params: {
        s: tricky,
        list: ["a'b", 'c\\d', tricky],
        big: '9007199254740993',
        at: '2026-11-28 08:30:00.125',
        none: null,
      },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await result.json()).toEqual([
      { s: tricky, list: ["a'b", 'c\\d', tricky], big: '9007199254740993', at: '2026-11-28 08:30:00.125', none: null },
    ]);
  });

  it("applies settings to their own query only: a deduplication token does not drop the next insert's rows", async () => {
    const setting = async (settings?: Record<string, number>) =>
      (
        await (
          await client.query({
            query: "SELECT getSetting('max_threads') AS n",
            format: 'JSONEachRow',
            clickhouse_settings: settings,
          })
        ).json<{ n: number | string }>()
      )[0]!.n;
    expect(Number(await setting({ max_threads: 3 }))).toBe(3);
    expect(Number(await setting())).not.toBe(3);

    const insert = (rows: Array<{ id: number; name: string }>, token?: string) =>
      client.insert({
        table: warehouse.table('front_rows'),
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: token ? { insert_deduplication_token: token } : undefined,
      });
    await insert([{ id: 1, name: tricky }], 'batch-1');
    await insert([{ id: 1, name: tricky }], 'batch-1');
    await insert([{ id: 2, name: 'second' }]);
    await insert([{ id: 3, name: 'third' }]);
    const rows = await (
      await client.query({ query: `SELECT id, name FROM ${warehouse.table('front_rows')} ORDER BY id`, format: 'JSON' })
    ).json<{ id: number; name: string }>();
    expect(rows.data).toEqual([
      { id: 1, name: tricky },
      { id: 2, name: 'second' },
      { id: 3, name: 'third' },
    ]);
  });

  it('compresses with gzip both ways when asked', async () => {
    const gzip = connect({ compression: { request: true, response: true } });
    await gzip.insert({
      table: warehouse.table('front_rows'),
      values: Array.from({ length: 500 }, (_, i) => ({ id: 1000 + i, name: `row ${i}` })),
      format: 'JSONEachRow',
    });
    const result = await gzip.query({
      query: `SELECT count() AS n FROM ${warehouse.table('front_rows')} WHERE id >= 1000`,
      format: 'JSONEachRow',
    });
    expect((await result.json<{ n: string | number }>()).map((r) => Number(r.n))).toEqual([500]);
  });

  it('fails as a server does: the status for the code, the exception text and its code header', async () => {
    const unknown = await client.query({ query: `SELECT * FROM ${warehouse.table('no_such_table')}` }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(unknown).toBeInstanceOf(ClickHouseError);
    expect(unknown).toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });

    const { base, auth } = bare();
    const syntax = await fetch(`${base}/`, { method: 'POST', headers: { authorization: auth }, body: 'SELEC 1' });
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get('x-clickhouse-exception-code')).toBe('62');
    expect(await syntax.text()).toMatch(/^Code: 62\. DB::Exception: .*\(SYNTAX_ERROR\) \(version \d+\.\d+/s);
    const missing = await fetch(`${base}/?query=${encodeURIComponent('SELECT * FROM nowhere_db.nothing')}`, {
      headers: { authorization: auth },
    });
    expect(missing.status).toBe(404);

    const stranger = connect({ password: 'certainly-not-the-password' });
    const refused = await stranger.query({ query: 'SELECT 1' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    const byHand = await fetch(`${base}/?query=SELECT%201`, { headers: { 'x-clickhouse-user': 'nobody' } });
    expect(byHand.status).toBe(403);
  });

  it("runs Streamwarden's warehouse: migrations, inserts and queries through CLICKHOUSE_URL", async () => {
    const logger = createLogger('test');
    const database = `${warehouse.database}_via_url`;
    const viaUrl = await openWarehouse({ url, database }, logger);
    try {
      expect(viaUrl.kind).toBe('server');
      await migrate(viaUrl, logger);
      await viaUrl.insertCompact(
        'config_documents',
        ['name', 'body', 'version', 'updated_at', 'updated_by'],
        [['front-test', JSON.stringify({ tricky }), 1, '2026-11-28T08:30:00.000Z', 'test']],
      );
      const stored = await (
        await viaUrl.client.query({
          query: `SELECT body FROM ${viaUrl.table('config_documents')} FINAL WHERE name = {name:String}`,
          query_params: { name: 'front-test' },
          format: 'JSONEachRow',
        })
      ).json<{ body: string }>();
      expect(stored.map((s) => JSON.parse(s.body) as unknown)).toEqual([{ tricky }]);
      // An import: its rows go in as the reading thread wrote them (insertEncoded).
      const backup = join(mkdtempSync(join(tmpdir(), 'sw-front-')), 'backup.json');
      createJellystatBackup(backup, generatePlays(40, 4, Date.UTC(2026, 3, 1)), 'json');
      const source = { kind: 'jellystat' as const, path: backup, serverId: 'jf-url' };
      expect(await importHistory(source, viaUrl)).toMatchObject({ read: 42, added: 42, skipped: 0 });
      expect(await importHistory(source, viaUrl)).toMatchObject({ added: 0, skipped: 42 });
      const sessions = await (
        await viaUrl.client.query({
          query: `SELECT count() AS n FROM ${viaUrl.table('sessions')} FINAL WHERE server_id = 'jf-url'`,
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      expect(sessions).toEqual([{ n: '42' }]);
    } finally {
      await viaUrl.client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
      await viaUrl.close();
    }
  });
});
