// Load for the benchmarks: the generated history, with plays from many different public addresses
// so GeoIP is really consulted.
import type { PlaybackEvent } from '../schemas/index.ts';
import { generateHistory, rng } from '../testing/history.ts';

export function benchEvents(
  plays: number,
  seed = 5,
  accounts = 2000,
  span: { from?: number; days?: number; stepMs?: number } = {},
): PlaybackEvent[] {
  const random = rng(99 + seed);
  const history = generateHistory({ seed, plays, accounts, livePlays: 0, stepMs: 60_000, ...span });
  const addressOf = new Map<string, string>();
  return history.events.map((e) => {
    const key = `${e.serverId}/${e.sessionKey}`;
    if (!addressOf.has(key))
      addressOf.set(
        key,
        `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`,
      );
    return { ...e, clientIp: addressOf.get(key)!, networkLocation: 'WAN' as const };
  });
}
