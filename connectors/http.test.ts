// A media server's images through the request queue, against HTTP servers this test starts on
// 127.0.0.1: a server that never answers is a timeout like any other request to it, and an answer
// that is not a bounded image is refused as malformed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerHttp, type ServerRequestError } from './http.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return; // never answers
    if (req.url?.startsWith('/html')) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no</p>');
    if (req.url?.startsWith('/svg')) return void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg/>');
    if (req.url?.startsWith('/big'))
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(2048));
    if (req.url?.startsWith('/refused')) return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'image/png; charset=binary' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const http = () => new ServerHttp(base, () => ({ 'X-Token': 'secret' }), { timeoutMs: 300 });
const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (err: ServerRequestError) => err.reason,
  );

describe('images from a media server', () => {
  it('reads an image and its type', async () => {
    expect(await http().image('/poster', { width: 80 }, 1024)).toEqual({
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      contentType: 'image/png',
    });
  });

  it('calls a server that never answers a timeout, as it does for its other requests', async () => {
    expect(await reason(http().image('/hang', {}, 1024))).toBe('TIMEOUT');
    expect(await reason(http().request('/hang'))).toBe('TIMEOUT');
  });

  it('refuses what is not an image, an SVG, an image over the bound, and a refused token', async () => {
    expect(await reason(http().image('/html', {}, 1024))).toBe('MALFORMED');
    expect(await reason(http().image('/svg', {}, 1024))).toBe('MALFORMED');
    expect(await reason(http().image('/big', {}, 1024))).toBe('MALFORMED');
    expect(await reason(http().image('/refused', {}, 1024))).toBe('AUTH');
  });
});
