// Clients asking one path in a loop, run in a worker thread so that receiving and reading the
// answers costs the measured server's thread nothing (a dashboard's browsers are elsewhere too).
import { parentPort, workerData, Worker } from 'node:worker_threads';
import { percentile } from './report.ts';

export interface LoadResult {
  p50: number;
  p99: number;
  perSecond: number;
}

interface Job {
  url: string;
  cookie: string;
  clients: number;
  requests: number;
}

async function run({ url, cookie, clients, requests }: Job): Promise<LoadResult> {
  const latencies: number[] = [];
  let left = requests;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        const response = await fetch(url, { headers: { cookie } });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: requests / seconds };
}

/** `clients` loops asking `url` until `requests` answers came back, from another thread. */
export function httpLoad(job: Job): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (parentPort && (workerData as Job | undefined)?.url) parentPort.postMessage(await run(workerData as Job));
