// /health: warehouse and bus reachable, and damage the bus found in its own storage, for every
// role. It answers from checks at most a couple of seconds old. Asking the warehouse on every call
// made the answer wait behind whatever the warehouse was doing (an import's inserts queue ahead of
// it on the embedded engine): a load balancer would then take a busy but healthy process out.
import type { Bus } from '../bus/types.ts';
import type { Warehouse } from '../warehouse/client.ts';

function recentCheck(check: () => Promise<boolean>, maxAgeMs = 2000): () => Promise<boolean> {
  let last: { ok: boolean; at: number } | undefined;
  let running: Promise<boolean> | undefined;
  const run = () =>
    (running ??= check()
      .catch(() => false)
      .then((ok) => {
        last = { ok, at: Date.now() };
        running = undefined;
        return ok;
      }));
  return async () => {
    if (last && Date.now() - last.at < maxAgeMs) return last.ok;
    const pending = run();
    // A check under way: the previous answer stands until it ends.
    return last ? last.ok : pending;
  };
}

export interface HealthAnswer {
  code: 200 | 503;
  body: { status: 'ok' | 'warning' | 'degraded'; warehouse: boolean; bus: boolean | null; problems: string[] };
}

/** The /health answer of a process with this warehouse and (if any) bus. */
export function healthProbe(warehouse: Warehouse, bus?: Bus): () => Promise<HealthAnswer> {
  const warehouseUp = recentCheck(() => warehouse.ping());
  const busUp = bus && recentCheck(() => bus.endOffsets('streamwarden.playback-events').then(() => true));
  return async () => {
    const answer = { warehouse: await warehouseUp(), bus: busUp ? await busUp() : null };
    const ok = answer.warehouse && answer.bus !== false;
    // Damage found in the embedded log: the process runs on with what was intact, and says so.
    const problems = bus?.problems?.() ?? [];
    return {
      code: ok ? 200 : 503,
      body: { status: !ok ? 'degraded' : problems.length ? 'warning' : 'ok', ...answer, problems },
    };
  };
}
