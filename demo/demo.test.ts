// `npm run demo` (a smaller fleet): live sessions on all three servers and violations within a
// minute of start.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const demo = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
  env: {
    ...process.env,
    PORT: '0',
    DEMO_USERS: '80',
    STREAMWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'sw-demo-')),
    KAFKA_BROKERS: '',
    CLICKHOUSE_URL: '',
    LOG_LEVEL: 'error',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

afterAll(async () => {
  if (demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
  }
}, 60_000);

async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 300)}\n${output}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('npm run demo', () => {
  it('shows live sessions on Plex, Jellyfin and Emby, and violations, within a minute', async () => {
    const base = await poll(
      async () => /Streamwarden demo: (http:\/\/\S+)/.exec(output)?.[1],
      Boolean,
      'the demo to start',
      120_000,
    );
    expect(output).toMatch(/80 viewers in \d+ countries/);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'streamwarden-demo' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const get = async <T>(path: string) => (await (await fetch(base + path, { headers: { cookie } })).json()) as T;

    const active = await poll(
      () => get<{ sessions: Array<{ serverId: string; countryCode: string }> }>('/api/v1/sessions/active'),
      (r) => new Set(r.sessions.map((s) => s.serverId)).size === 3 && r.sessions.length >= 10,
      'live sessions on all three servers',
    );
    expect(new Set(active.sessions.map((s) => s.countryCode)).size).toBeGreaterThan(3);
    const violations = await poll(
      () => get<{ violations: Array<{ rule: string }> }>('/api/v1/violations'),
      (r) => r.violations.length > 0,
      'violations',
    );
    expect(violations.violations.map((v) => v.rule)).toContain('SIMULTANEOUS_LOCATIONS');
  }, 240_000);
});
