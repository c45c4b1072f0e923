// Clients asking one path in a loop, run in a worker thread so that receiving the answers costs the
// measured server's thread nothing (a dashboard's browsers are elsewhere too). A latency is the
// time to an answer's last byte; the bytes are counted and not kept or parsed: on two cores a
// client parsing 2.5 MB answers in a loop would measure itself rather than the server.
import { Agent, request } from 'node:http';
import { parentPort, workerData, Worker } from 'node:worker_threads';
import { percentile } from './report.ts';

export interface LoadResult {
  p50: number;
  p99: number;
  perSecond: number;
  /** Mean bytes per answer as sent (compressed when the answer was). */
  bytes: number;
}

interface Job {
  url: string;
  cookie: string;
  clients: number;
  requests: number;
  /** Accept-Encoding to send: a browser, curl --compressed or Python's requests send gzip. */
  acceptEncoding?: string;
}

function get(url: string, agent: Agent, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.once('error', reject);
      response.once('end', () =>
        response.statusCode === 200 ? resolve(bytes) : reject(new Error(`${url} answered ${response.statusCode}`)),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

async function run({ url, cookie, clients, requests, acceptEncoding = 'gzip' }: Job): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const headers = { cookie, 'accept-encoding': acceptEncoding };
  const latencies: number[] = [];
  let left = requests;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        // Not `bytes += await …`: that reads `bytes` before waiting, losing the other clients' counts.
        const answer = await get(url, agent, headers);
        bytes += answer;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: requests / seconds,
    bytes: bytes / requests,
  };
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
