// FOR TESTS ONLY. The embedded ClickHouse engine (chdb) of this process behind the ClickHouse HTTP
// interface, so that roles run as separate OS processes with CLICKHOUSE_URL exactly as they do
// against a ClickHouse server, on machines where no server can be started. It speaks the part of
// the interface @clickhouse/client uses: the query in the body, in the URL or split between them
// (an INSERT's rows in the body), `param_*` parameters in the URL or a multipart body, settings
// as URL parameters applying to that query alone, `database`, `default_format`, `query_id`,
// credentials (X-ClickHouse-User/-Key, Basic or URL), gzip both ways, `/ping`, the
// X-ClickHouse-* response headers, and errors as ClickHouse answers them (its HTTP status for the
// code, the exception text, X-ClickHouse-Exception-Code). Not a server: no sessions, no
// cancellation, no access control beyond one user. Production uses a real ClickHouse server.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Session } from 'chdb';

export interface ClickHouseFront {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

export interface FrontOptions {
  /** Data folder of this process's embedded engine. */
  path: string;
  user?: string;
  password?: string;
}

/** URL parameters that are part of the HTTP interface rather than settings of the query. */
const NOT_SETTINGS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'user',
  'password',
  'quota_key',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'role',
]);

/** A setting's or query parameter's name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Exception types and the HTTP status a ClickHouse server answers them with. */
const STATUS_OF_TYPE: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  UNKNOWN_USER: 403,
  WRONG_PASSWORD: 403,
  AUTHENTICATION_FAILED: 403,
  ACCESS_DENIED: 403,
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  TIMEOUT_EXCEEDED: 408,
};
for (const type of [
  'BAD_ARGUMENTS',
  'CANNOT_COMPILE_REGEXP',
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING',
  'CANNOT_PARSE_DATE',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_UUID',
  'DUPLICATE_COLUMN',
  'ILLEGAL_COLUMN',
  'THERE_IS_NO_COLUMN',
  'SYNTAX_ERROR',
  'INCORRECT_DATA',
  'TYPE_MISMATCH',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
])
  STATUS_OF_TYPE[type] = 400;
for (const type of [
  'UNKNOWN_TABLE',
  'UNKNOWN_FUNCTION',
  'UNKNOWN_IDENTIFIER',
  'UNKNOWN_TYPE',
  'UNKNOWN_STORAGE',
  'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING',
  'UNKNOWN_AGGREGATE_FUNCTION',
  'UNKNOWN_FORMAT',
  'UNKNOWN_DATABASE_ENGINE',
  'UNKNOWN_TYPE_OF_QUERY',
])
  STATUS_OF_TYPE[type] = 404;

class FrontError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** An exception as the server prints it: `Code: N. DB::Exception: text. (TYPE) (version V)`. */
function exceptionOf(err: unknown): { code: number; type: string; text: string } {
  if (err instanceof FrontError)
    return { code: err.code, type: err.type, text: `Code: ${err.code}. DB::Exception: ${err.message}. (${err.type})` };
  const message = err instanceof Error ? err.message : String(err);
  const parsed = /Code: (\d+)\. DB::Exception: [\s\S]*\(([A-Z_0-9]+)\)/.exec(message);
  if (parsed) return { code: Number(parsed[1]), type: parsed[2]!, text: parsed[0] };
  return { code: 1001, type: 'STD_EXCEPTION', text: `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)` };
}

/** A value as a single-quoted SQL string (a parameter's or setting's text, unchanged). */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  if (encoding === undefined || encoding === 'identity') return body;
  if (encoding === 'gzip') return gunzipSync(body);
  throw new FrontError(72, 'UNKNOWN_COMPRESSION_METHOD', `Unknown Content-Encoding of HTTP query: ${encoding}`);
}

/** The named parts of a multipart/form-data body (the client sends long parameters this way). */
function formParts(body: Buffer, contentType: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) throw new FrontError(36, 'BAD_ARGUMENTS', 'multipart/form-data without a boundary');
  const parts = new Map<string, string>();
  for (const part of body.toString('utf8').split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /name="([^"]*)"/.exec(part.slice(0, split))?.[1];
    if (name !== undefined) parts.set(name, part.slice(split + 4).replace(/\r\n$/, ''));
  }
  return parts;
}

function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (basic) {
    const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return { user: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return {
    user: String(req.headers['x-clickhouse-user'] ?? url.searchParams.get('user') ?? 'default'),
    password: String(req.headers['x-clickhouse-key'] ?? url.searchParams.get('password') ?? ''),
  };
}

function contentTypeOf(format: string): string {
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^TabSeparated|^TSV/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

export async function startClickHouseFront(options: FrontOptions): Promise<ClickHouseFront> {
  const user = options.user ?? 'default';
  const password = options.password ?? '';
  // Asked of the engine with a query: chdb's version() at module load left a later Kafka engine
  // table in the same process failing with "Shutdown was called".
  const asked = new Session(options.path);
  const engineVersion = (await asked.queryAsync('SELECT version()', { format: 'TabSeparatedRaw' })).text().trim();
  asked.close();

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=UTF-8' }).end(`There is no handle ${url.pathname}\n`);
      return;
    }
    const queryId = url.searchParams.get('query_id') || randomUUID();
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Server-Display-Name', 'streamwarden-test-front');
    res.setHeader('X-ClickHouse-Timezone', 'UTC');
    // Each query has a connection of its own, so its settings and parameters end with it.
    let session: Session | undefined;
    try {
      const given = credentials(req, url);
      if (given.user !== user || given.password !== password)
        throw new FrontError(
          516,
          'AUTHENTICATION_FAILED',
          `${given.user}: Authentication failed: password is incorrect, or there is no user with such name`,
        );
      if (url.searchParams.has('session_id'))
        throw new FrontError(48, 'NOT_IMPLEMENTED', 'sessions are not supported by the test front');
      const body = req.method === 'POST' ? await bodyOf(req) : Buffer.alloc(0);
      const params = new Map<string, string>();
      for (const [key, value] of url.searchParams) if (key.startsWith('param_')) params.set(key.slice(6), value);
      let sql: string;
      const contentType = req.headers['content-type'] ?? '';
      if (contentType.startsWith('multipart/form-data')) {
        const parts = formParts(body, contentType);
        for (const [key, value] of parts) if (key.startsWith('param_')) params.set(key.slice(6), value);
        sql = [url.searchParams.get('query'), parts.get('query')].filter((q) => q).join('\n');
      } else {
        const inUrl = url.searchParams.get('query');
        sql = inUrl ? (body.length > 0 ? `${inUrl}\n${body.toString('utf8')}` : inUrl) : body.toString('utf8');
      }
      if (sql.trim() === '') throw new FrontError(62, 'SYNTAX_ERROR', 'Empty query');
      const statements: string[] = [];
      const database = url.searchParams.get('database');
      if (database) statements.push(`USE \`${database.replace(/`/g, '')}\``);
      for (const [key, value] of url.searchParams) {
        if (NOT_SETTINGS.has(key) || key.startsWith('param_')) continue;
        if (!NAME.test(key)) throw new FrontError(115, 'UNKNOWN_SETTING', `Unknown setting '${key}'`);
        statements.push(`SET ${key} = ${quoted(value)}`);
      }
      for (const [name, value] of params) {
        if (!NAME.test(name)) throw new FrontError(36, 'BAD_ARGUMENTS', `Bad query parameter name '${name}'`);
        statements.push(`SET param_${name} = ${quoted(value)}`);
      }
      // The first line ending in a FORMAT clause: an INSERT's first, before its rows; a SELECT's last.
      const format =
        /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/im.exec(sql)?.[1] ??
        url.searchParams.get('default_format') ??
        'TabSeparated';
      session = new Session(options.path);
      const result = await session.queryAsync([...statements, sql].join(';\n'), { format });
      const isInsert = /^\s*INSERT\b/i.test(sql);
      const summary = {
        read_rows: String(isInsert ? 0 : result.rowsRead),
        read_bytes: String(isInsert ? 0 : result.bytesRead),
        written_rows: String(isInsert ? result.rowsRead : 0),
        written_bytes: String(isInsert ? result.bytesRead : 0),
        total_rows_to_read: '0',
        result_rows: String(isInsert ? 0 : result.rowsRead),
        result_bytes: String(result.bytes().length),
        elapsed_ns: String(Math.round(result.elapsed * 1e9)),
      };
      let payload = Buffer.from(result.bytes());
      const headers: Record<string, string> = {
        'content-type': contentTypeOf(format),
        'x-clickhouse-format': format,
        'x-clickhouse-summary': JSON.stringify(summary),
      };
      if (
        url.searchParams.get('enable_http_compression') === '1' &&
        /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
      ) {
        payload = gzipSync(payload);
        headers['content-encoding'] = 'gzip';
      }
      res.writeHead(200, headers).end(payload);
    } catch (err) {
      const { code, type, text } = exceptionOf(err);
      res
        .writeHead(STATUS_OF_TYPE[type] ?? 500, {
          'content-type': 'text/plain; charset=UTF-8',
          'x-clickhouse-exception-code': String(code),
        })
        .end(`${text} (version ${engineVersion})\n`);
    } finally {
      session?.close();
    }
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
