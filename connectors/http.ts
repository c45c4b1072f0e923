// Every request a connector makes to a media server goes through one queue per server: bounded
// concurrency, a rate cap and a per-request timeout, so a slow or flooded server cannot pile up
// requests, and Streamwarden never floods a server itself. Failures are classified so the
// connector can tell "down" from "wrong token" from "answered garbage".
import PQueue from 'p-queue';
import { AppError } from '../core/errors.ts';

export type RequestFailure = 'AUTH' | 'HTTP' | 'TIMEOUT' | 'NETWORK' | 'MALFORMED';

export class ServerRequestError extends AppError {
  readonly status?: number;
  constructor(
    readonly reason: RequestFailure,
    message: string,
    options?: { status?: number; cause?: unknown },
  ) {
    super('upstream', message, { cause: options?.cause });
    this.status = options?.status;
  }
}

export interface FetchedImage {
  bytes: Buffer;
  contentType: string;
}

/** The picture types browsers draw in an <img>; SVG is left out, as it can carry script. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

export interface HttpLimits {
  /** Requests in flight at once (default 2). */
  concurrency?: number;
  /** Requests started per interval (default 10 per second). */
  intervalCap?: number;
  intervalMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** 'empty' for endpoints that answer without a body (commands). */
  expect?: 'json' | 'empty';
}

export class ServerHttp {
  private readonly queue: PQueue;
  private readonly timeoutMs: number;

  constructor(
    private readonly baseUrl: string,
    private readonly headers: () => Record<string, string>,
    limits: HttpLimits = {},
  ) {
    this.timeoutMs = limits.timeoutMs ?? 10_000;
    this.queue = new PQueue({
      concurrency: limits.concurrency ?? 2,
      intervalCap: limits.intervalCap ?? 10,
      interval: limits.intervalMs ?? 1000,
      timeout: this.timeoutMs,
    });
  }

  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.baseUrl.replace(/\/+$/, '') + path);
    for (const [name, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  }

  /** Parsed JSON body (or null for an empty body); throws ServerRequestError on any failure. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const what = `${options.method ?? 'GET'} ${url.pathname}`;
    const init: RequestInit = {
      method: options.method ?? 'GET',
      headers: {
        Accept: 'application/json',
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    };
    return this.exchange(url, what, init, async (response, signal) => {
      const text = await readBody(response, what, signal);
      refuseFailure(response, what, snippet(text));
      if (options.expect === 'empty' || text.trim() === '') return null as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        const type = response.headers.get('content-type') ?? 'no content type';
        throw new ServerRequestError('MALFORMED', `${what}: expected JSON, got ${type}: ${snippet(text)}`, {
          cause: err,
        });
      }
    });
  }

  /**
   * An image: its bytes and type. Refuses anything but an image type, and bodies over `maxBytes`
   * (read as they arrive, so a server sending an endless body costs at most that much memory).
   */
  async image(path: string, query: RequestOptions['query'], maxBytes: number): Promise<FetchedImage> {
    const url = this.url(path, query);
    const what = `GET ${url.pathname}`;
    return this.exchange(url, what, { headers: { Accept: 'image/*' } }, async (response) => {
      if (!response.ok) await response.body?.cancel();
      refuseFailure(response, what);
      const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!IMAGE_TYPES.has(contentType)) {
        await response.body?.cancel();
        throw new ServerRequestError(
          'MALFORMED',
          `${what}: expected an image, got ${contentType || 'no content type'}`,
        );
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      const reader = response.body?.getReader();
      for (let part = await reader?.read(); reader && part && !part.done; part = await reader.read()) {
        size += part.value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new ServerRequestError('MALFORMED', `${what}: image larger than ${maxBytes} bytes`);
        }
        chunks.push(part.value);
      }
      return { bytes: Buffer.concat(chunks), contentType };
    });
  }

  /**
   * One request through the server's queue, with the server's headers: a failure to get an answer
   * classified (TIMEOUT or NETWORK), then `read` makes what the caller wants of the answer.
   */
  private async exchange<T>(
    url: URL,
    what: string,
    init: RequestInit,
    read: (response: Response, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const timedOut = (err: unknown) =>
      new ServerRequestError('TIMEOUT', `${what}: no answer within ${this.timeoutMs} ms`, { cause: err });
    try {
      return (await this.queue.add(
        async ({ signal }) => {
          let response: Response;
          try {
            response = await fetch(url, { ...init, headers: { ...init.headers, ...this.headers() }, signal });
          } catch (err) {
            if (signal?.aborted || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError')
              throw timedOut(err);
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            throw new ServerRequestError(
              'NETWORK',
              `${what}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
              { cause: err },
            );
          }
          return read(response, signal);
        },
        { timeout: this.timeoutMs },
      )) as T;
    } catch (err) {
      if (err instanceof ServerRequestError) throw err;
      // The queue's own timeout can win the race against fetch's abort.
      if ((err as Error).name === 'TimeoutError') throw timedOut(err);
      throw err;
    }
  }

  /** Drops queued requests (in-flight ones finish or time out). */
  clear(): void {
    this.queue.clear();
  }
}

/** A refused token (401, 403) or any other answer that is not a success, as an error. */
function refuseFailure(response: Response, what: string, detail?: string): void {
  if (response.status === 401 || response.status === 403)
    throw new ServerRequestError('AUTH', `${what}: HTTP ${response.status} (token refused)`, {
      status: response.status,
    });
  if (!response.ok)
    throw new ServerRequestError('HTTP', `${what}: HTTP ${response.status}${detail ? ` ${detail}` : ''}`, {
      status: response.status,
    });
}

async function readBody(response: Response, what: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    if (signal?.aborted) throw new ServerRequestError('TIMEOUT', `${what}: body not received in time`, { cause: err });
    throw new ServerRequestError('MALFORMED', `${what}: connection dropped mid-body (${(err as Error).message})`, {
      cause: err,
    });
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 117)}...` : flat);
}
