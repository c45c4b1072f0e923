// A big Jellystat backup imported the way a user does it: uploaded to a running API (the real
// routes, the embedded ClickHouse), while /health is polled as a load balancer would. Reports plays
// imported per second, the process's peak RSS growth over its level before the upload, and /health
// latency during the import. BENCH_IMPORT_ROWS sets the size (default 1,000,000 plays, ~0.5 GB).
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { buildApi } from '../api/app.ts';
import { GeoIp } from '../core/geoip.ts';
import { openConfiguration } from '../api/configuration.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { jellystatActivity, jellystatUser, generatePlays } from '../testing/import-fixtures.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { sampleEngineMemory } from './engine-memory.ts';
import { type Figure, percentile, rate } from './report.ts';

/** Writes a backup in Jellystat's layout (one JSON document) without holding it in memory. */
async function writeBackup(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const users = 500;
  const sample = generatePlays(users, users);
  await write(
    `[{"jf_libraries":[]},{"jf_users":${JSON.stringify(sample.map(jellystatUser))}},{"jf_playback_activity":[`,
  );
  const perBatch = 10_000;
  for (let from = 0; from < rows; from += perBatch) {
    const plays = generatePlays(Math.min(perBatch, rows - from), users, Date.UTC(2024, 0, 1) + from * 60_000).slice(
      0,
      Math.min(perBatch, rows - from),
    );
    const text = plays.map((p, i) => JSON.stringify(jellystatActivity({ ...p, id: from + i + 1 }))).join(',');
    await write(from === 0 ? text : `,${text}`);
  }
  await write(']}]');
  out.end();
  await once(out, 'finish');
}

/**
 * Sends the file as a browser would, holding a few chunks at a time: the bench's own memory counts
 * in the figure. `fetch` with a web stream made from the file read it ahead of the socket, holding
 * up to ~300 MiB of a 280 MB file in this process (stop 40), which the peak RSS growth counted.
 */
async function uploadFile(url: string, file: string, cookie: string): Promise<{ id: string }> {
  const headers = { cookie, 'content-type': 'application/octet-stream', 'content-length': String(statSync(file).size) };
  const req = request(url, { method: 'POST', headers });
  const answer = once(req, 'response') as Promise<[IncomingMessage]>;
  await pipeline(createReadStream(file), req);
  const [res] = await answer;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (res.statusCode !== 202) throw new Error(`upload answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as { id: string };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20).toLocaleString('en-US');

export async function importBench(rows = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000)): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-import-'));
  const file = join(dir, 'backup.json');
  await writeBackup(file, rows);
  const logger = createLogger('bench', 'warn');
  const warehouse = await openWarehouse({ embeddedPath: join(dir, 'clickhouse') }, logger);
  await migrate(warehouse, logger);
  const geo = await GeoIp.open();
  const app = await buildApi({
    warehouse,
    logger,
    configuration: openConfiguration(warehouse, { secrets: new SecretBox('bench-secret-key-0123456789'), pollMs: 0 }),
    clientId: 'bench',
    geo,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const cookie = await setupAndSignIn(base);

  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const heapBaseline = process.memoryUsage().heapUsed;
  let peakHeap = heapBaseline;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  // Where the growth is: the engine's own accounting beside the process's.
  const stopEngineSampling = await sampleEngineMemory(warehouse);
  const health: number[] = [];
  let importing = true;
  const poller = (async () => {
    while (importing) {
      const started = performance.now();
      await fetch(`${base}/health`).then((r) => r.arrayBuffer());
      health.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { id } = await uploadFile(
    `${base}/api/v1/imports/file?kind=jellystat&serverId=jf-bench&name=backup.json`,
    file,
    cookie,
  );
  const uploaded = performance.now();
  let job: { status: string; error: string | null; progress: { read: number; added: number } };
  do {
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = (await (await fetch(`${base}/api/v1/imports/${id}`, { headers: { cookie } })).json()) as typeof job;
  } while (job.status === 'running');
  const finished = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  importing = false;
  await poller;
  clearInterval(sampler);
  const engine = await stopEngineSampling();
  if (job.status !== 'done') throw new Error(`import ${job.status}: ${job.error}`);
  const sorted = [...health].sort((a, b) => a - b);
  const megabytes = statSync(file).size / 2 ** 20;

  await app.close();
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      suite: 'import',
      name: `Jellystat backup, ${rows.toLocaleString('en-US')} plays (${Math.round(megabytes)} MB): upload + import`,
      value: rate(job.progress.read, finished - started),
      unit: 'plays/s',
      note: `${job.progress.added.toLocaleString('en-US')} added, upload ${Math.round(uploaded - started)} ms, ${Math.round((finished - started) / 1000)} s in all`,
    },
    {
      suite: 'import',
      name: 'CPU time per play, all threads (the engine too)',
      value: Math.round((cpu.user + cpu.system) / job.progress.read),
      unit: 'µs',
      note: `${((cpu.user + cpu.system) / 1000 / (finished - started)).toFixed(2)} cores busy on average`,
    },
    {
      suite: 'import',
      name: 'peak RSS growth over the idle API',
      value: Math.round((peak - baseline) / 2 ** 20),
      unit: 'MiB',
      note: `JS heap in use +${mib(peakHeap - heapBaseline)} MiB at its peak; the engine's tracked memory +${mib(engine.peak - engine.baseline)} MiB at its peak, merges ${mib(engine.merges)} MiB at theirs`,
    },
    { suite: 'import', name: '/health during the import, p50', value: Math.round(percentile(sorted, 50)), unit: 'ms' },
    {
      suite: 'import',
      name: '/health during the import, p99',
      value: Math.round(percentile(sorted, 99)),
      unit: 'ms',
      note: `max ${Math.round(sorted[sorted.length - 1] ?? 0)} ms over ${sorted.length} checks`,
    },
  ];
}
