// HTTP and WebSocket requests with the path sent byte for byte: fetch and URL normalise paths
// (dot segments, case of percent escapes), which would hide the spellings a security test needs.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes as they came (a gzipped answer is not decoded). */
  raw: Buffer;
}

/** A concrete path for a route pattern (from the router or the OpenAPI document): every :param gets a plausible value. */
export const concrete = (url: string): string =>
  url
    .replace(/:(\w+)/g, (_, name: string) =>
      name === 'serverId' ? 'plex-home' : name === 'id' ? '0123456789ab' : 'x1',
    )
    .replace(/\*$/, 'x');

export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        agent: false,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket handshake at a raw path: 101 when the server upgraded, else its status (0: hung up or no answer in 5 s). */
export function rawUpgrade(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const req = request({
      host: hostname,
      port,
      path,
      // A fresh connection each: a refused handshake leaves its socket unusable for another.
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}
