// A push service on 127.0.0.1 for tests, and the browser's half of a subscription. It checks what
// a real one checks (RFC 8292: a VAPID JWT signed ES256 by the key the browser subscribed with,
// its audience this origin, not expired) and decrypts as the browser would (RFC 8291, aes128gcm),
// with node:crypto alone, so the product's encryption is proved against the RFC, not against the
// library that made it. An endpoint can be told to answer 410 Gone, as for a browser that left.
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface Browser {
  ecdh: ECDH;
  auth: Buffer;
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export interface Received {
  path: string;
  urgency: string;
  ttl: string;
  /** The subject (sub) the sender gave in its JWT. */
  subject: string;
  message: Record<string, unknown>;
}

const hkdf = (ikm: Buffer, salt: Buffer, info: Buffer, length: number) =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, length));

/** RFC 8291 section 3.4 and RFC 8188: one record, padding delimiter 2. */
function decryptPush(body: Buffer, browser: Browser): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const senderKey = body.subarray(21, 21 + idLength);
  const cipher = body.subarray(21 + idLength);
  const shared = browser.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browser.ecdh.getPublicKey(), senderKey]);
  const ikm = hkdf(shared, browser.auth, keyInfo, 32);
  const cek = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(cipher.subarray(cipher.length - 16));
  const plain = Buffer.concat([decipher.update(cipher.subarray(0, cipher.length - 16)), decipher.final()]);
  const end = plain.lastIndexOf(2);
  if (end < 0 || plain.subarray(end + 1).some((b) => b !== 0)) throw new Error('bad padding');
  return plain.subarray(0, end).toString('utf8');
}

/** Checks `vapid t=<jwt>, k=<key>` against the key the browser was given; returns the JWT's claims. */
function checkVapid(header: string, origin: string, applicationServerKey: string): Record<string, unknown> {
  const match = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header);
  if (!match) throw new Error(`not a VAPID authorization: ${header.slice(0, 40)}`);
  const [, jwt, key] = match;
  if (key !== applicationServerKey) throw new Error('signed with another key than the browser subscribed with');
  const [head, claims, signature] = jwt!.split('.');
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature!, 'base64url'),
  );
  if (!ok) throw new Error('the VAPID signature does not verify');
  const body = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as Record<string, unknown>;
  if (body.aud !== origin) throw new Error(`audience ${String(body.aud)} is not ${origin}`);
  if (typeof body.exp !== 'number' || body.exp * 1000 < Date.now() || body.exp * 1000 > Date.now() + 24 * 3600_000)
    throw new Error('expiry missing, past or over 24 hours away');
  return body;
}

export class LocalPushService {
  readonly received: Received[] = [];
  readonly refused: string[] = [];
  private readonly browsers = new Map<string, Browser>();
  private readonly goneIds = new Set<string>();
  private server!: Server;
  origin = '';

  constructor(private readonly applicationServerKey: () => Promise<string>) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const path = req.url ?? '';
          try {
            if (this.goneIds.has(path)) return void res.writeHead(410).end();
            const browser = this.browsers.get(path);
            if (!browser) return void res.writeHead(404).end();
            if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('not aes128gcm');
            const claims = checkVapid(req.headers.authorization ?? '', this.origin, await this.applicationServerKey());
            const message = JSON.parse(decryptPush(Buffer.concat(chunks), browser)) as Record<string, unknown>;
            this.received.push({
              path,
              urgency: String(req.headers.urgency ?? ''),
              ttl: String(req.headers.ttl ?? ''),
              subject: String(claims.sub),
              message,
            });
            res.writeHead(201).end();
          } catch (err) {
            this.refused.push(`${path}: ${(err as Error).message}`);
            res.writeHead(400).end((err as Error).message);
          }
        })();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** A new browser's subscription at this service, as PushManager.subscribe() would give it. */
  browser(name: string): Browser {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const endpoint = `${this.origin}/push/${name}`;
    const browser = {
      ecdh,
      auth,
      subscription: {
        endpoint,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      },
    };
    this.browsers.set(`/push/${name}`, browser);
    return browser;
  }

  /** From now on the browser's endpoint answers 410 Gone. */
  gone(name: string): void {
    this.goneIds.add(`/push/${name}`);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
