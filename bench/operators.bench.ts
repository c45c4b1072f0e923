// An operator's fleet: BENCH_OPERATOR_SERVERS fake media servers (default 50: Plex, Jellyfin and
// Emby in 2:2:1) with BENCH_OPERATOR_STREAMS plays each (default 100), watched by Streamwarden run
// as `npm start` runs it (one process, every role, the embedded bus and ClickHouse). Plex reports
// through its event source, Jellyfin and Emby through their WebSocket. Every play moves on 10 s
// every 10 s, as clients report; meanwhile a play somewhere is paused or resumed every 100 ms, and
// the bench times each change from the server to the dashboard's live WebSocket. It also reports
// the process's CPU and memory and the requests each server received, which the connectors cap
// at 10 per second per server (connectors/http.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEVICES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import type { FakeMediaServer } from '../connectors/fakes/fake-server.ts';
import type { FakeSession } from '../connectors/fakes/fleet.ts';
import { freePort } from '../runtime/free-port.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { percentile, type Figure } from './report.ts';
import { productArgs } from '../runtime/node-flags.ts';

type Kind = 'plex' | 'jellyfin' | 'emby';
interface Fleet {
  id: string;
  kind: Kind;
  fake: FakeMediaServer;
  plays: FakeSession[];
}

const KINDS: Kind[] = ['plex', 'jellyfin', 'plex', 'jellyfin', 'emby'];

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function processFigures(pid: number): { cpuSeconds: number; rssMiB: number; peakMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    rssMiB: Math.round(kib('VmRSS') / 1024),
    peakMiB: Math.round(kib('VmHWM') / 1024),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`operator bench: ${what} not within ${ms / 1000} s`);
    await sleep(100);
  }
}

export async function operatorsBench(
  serverCount = Number(process.env.BENCH_OPERATOR_SERVERS ?? 50),
  streams = Number(process.env.BENCH_OPERATOR_STREAMS ?? 100),
  seconds = Number(process.env.BENCH_OPERATOR_SECONDS ?? 60),
): Promise<Figure[]> {
  const fleets: Fleet[] = [];
  for (let i = 0; i < serverCount; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const token = `bench-token-${i}-0123456789abcdef`;
    const fake =
      kind === 'plex'
        ? new FakePlexServer(token, `Bench Plex ${i}`)
        : new FakeMediaBrowserServer(kind === 'jellyfin' ? 'JELLYFIN' : 'EMBY', token, `Bench ${kind} ${i}`);
    await fake.start();
    fleets.push({ id: `bench-${kind}-${i}`, kind, fake, plays: [] });
  }

  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-operators-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const product = spawn(process.execPath, productArgs(), {
    env: {
      ...process.env,
      PORT: String(port),
      STREAMWARDEN_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const figures: Figure[] = [];
  try {
    const deadline = Date.now() + 120_000;
    while (
      !(await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (product.exitCode !== null) throw new Error(`operator bench: the product exited (${product.exitCode})`);
      if (Date.now() > deadline) throw new Error('operator bench: the product did not answer within 2 minutes');
      await sleep(250);
    }
    const cookie = await setupAndSignIn(base);
    const json = { 'content-type': 'application/json', cookie };
    for (const f of fleets) {
      const added = await fetch(`${base}/api/v1/servers`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          id: f.id,
          name: f.fake.constructor.name,
          type: f.kind,
          url: f.fake.url,
          token: f.fake.token,
        }),
      });
      if (!added.ok) throw new Error(`adding ${f.id} answered ${added.status}: ${await added.text()}`);
    }

    // What the dashboard's live feed says now, play by play.
    const seen = new Map<string, string>();
    const waiting = new Map<string, { state: string; at: number; kind: Kind }>();
    const delays: Record<'push' | Kind, number[]> = { push: [], plex: [], jellyfin: [], emby: [] };
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/live`, { headers: { cookie, origin: base } });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        sessions?: Array<{ serverId: string; userName: string; state: string }>;
        session?: { serverId: string; userName: string; state: string };
      };
      const now = performance.now();
      for (const s of message.sessions ?? (message.session ? [message.session] : [])) {
        const key = `${s.serverId}|${s.userName}`;
        const state = message.type === 'session.stopped' ? 'STOPPED' : s.state;
        seen.set(key, state);
        const change = waiting.get(key);
        if (change && change.state === state) {
          waiting.delete(key);
          delays[change.kind].push(now - change.at);
          delays.push.push(now - change.at);
        }
      }
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));

    // The plays: each its own viewer, device, film and public address.
    for (const [s, f] of fleets.entries()) {
      for (let n = 0; n < streams; n++) {
        const viewer = user(`u${n}`, `viewer-${s}-${n}`);
        const device = { ...DEVICES.tv(`tv-${s}-${n}`), name: `TV ${n}` };
        const ip = `${81 + (n % 40)}.${(s * 7 + n) % 250}.${n % 250}.${1 + (s % 250)}`;
        f.plays.push(f.fake.startSession({ user: viewer, item: movie(`m${n % 40}`, `Film ${n % 40}`), device, ip }));
      }
    }
    const total = serverCount * streams;
    const playing = () => [...seen.values()].filter((state) => state === 'PLAYING').length;
    await until(`all ${total} plays on the live feed`, () => playing() >= total, 180_000);

    const all = fleets.flatMap((f) => f.plays.map((play) => ({ f, play })));
    const requestsBefore = fleets.map((f) => f.fake.requests.length);
    const before = processFigures(product.pid!);
    let peakRss = before.rssMiB;
    const started = performance.now();
    let tick = 0;
    let changes = 0;
    // Every 100 ms: a hundredth of the plays move on 10 s, and one play somewhere is paused or resumed.
    while (performance.now() - started < seconds * 1000) {
      const slice = Math.ceil(all.length / 100);
      for (const { play } of all.slice((tick % 100) * slice, (tick % 100) * slice + slice)) play.progress(10_000);
      const { f, play } = all[(tick * 7919) % all.length]!;
      const key = `${f.id}|${play.spec.user.name}`;
      if (!waiting.has(key)) {
        const pausing = play.state === 'playing';
        if (pausing) play.pause();
        else play.resume();
        waiting.set(key, { state: pausing ? 'PAUSED' : 'PLAYING', at: performance.now(), kind: f.kind });
        changes++;
      }
      if (tick % 10 === 0) peakRss = Math.max(peakRss, processFigures(product.pid!).rssMiB);
      tick++;
      await sleep(Math.max(0, started + tick * 100 - performance.now()));
    }
    const elapsed = (performance.now() - started) / 1000;
    const after = processFigures(product.pid!);
    const perServer = fleets
      .map((f, i) => (f.fake.requests.length - requestsBefore[i]!) / elapsed)
      .sort((a, b) => a - b);
    // Changes still on their way get 5 s more; those never seen are reported.
    await until('the last changes', () => waiting.size === 0, 5_000).catch(() => undefined);
    const unseen = waiting.size;
    socket.close();

    const ms = (list: number[], p: number) =>
      Math.round(
        percentile(
          [...list].sort((a, b) => a - b),
          p,
        ),
      );
    const label = `${serverCount} servers x ${streams} plays`;
    figures.push(
      {
        suite: 'operators',
        name: `${label}: a change on a server to the live WebSocket, p50`,
        value: ms(delays.push, 50),
        unit: 'ms',
        note: `${changes} pauses and resumes in ${Math.round(elapsed)} s, ${unseen} not seen within 5 s`,
      },
      { suite: 'operators', name: `${label}: the same, p99`, value: ms(delays.push, 99), unit: 'ms' },
      ...(['plex', 'jellyfin', 'emby'] as const).map((kind) => ({
        suite: 'operators',
        name: `${label}: ${kind === 'plex' ? 'Plex (event source)' : `${kind === 'jellyfin' ? 'Jellyfin' : 'Emby'} (WebSocket)`}, p50 / p99`,
        value: ms(delays[kind], 99),
        unit: 'ms (p99)',
        note: `p50 ${ms(delays[kind], 50)} ms over ${delays[kind].length} changes`,
      })),
      {
        suite: 'operators',
        name: `${label}: CPU of the process (every role)`,
        value: Number(((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)),
        unit: 'cores',
        note: `while ${Math.round(total / 10)} plays report progress per second`,
      },
      {
        suite: 'operators',
        name: `${label}: resident memory of the process, peak`,
        value: Math.max(peakRss, after.rssMiB),
        unit: 'MiB',
        note: `${after.rssMiB} MiB at the end`,
      },
      {
        suite: 'operators',
        name: `${label}: requests per server, median / most`,
        value: Number(percentile(perServer, 50).toFixed(1)),
        unit: 'requests/s',
        note: `most ${perServer[perServer.length - 1]!.toFixed(1)}/s; each server's queue allows 10/s`,
      },
    );
  } finally {
    product.kill('SIGTERM');
    await new Promise((resolve) => (product.exitCode !== null ? resolve(null) : product.once('exit', resolve)));
    for (const f of fleets) await f.fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
