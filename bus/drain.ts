// Waiting, at shutdown, until a consumer group has committed everything on its topics: a graceful
// stop then leaves nothing for the next start to redo.
import type { Bus } from './types.ts';

export async function waitUntilDrained(
  bus: Bus,
  groupId: string,
  topicNames: string[],
  timeoutMs = 15_000,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let behind = false;
    for (const topic of topicNames) {
      const [committed, ends] = await Promise.all([bus.committedOffsets(groupId, topic), bus.endOffsets(topic)]);
      for (const [partition, end] of ends)
        if (BigInt(end) > BigInt(committed.get(partition) ?? '0') && BigInt(end) > 0n) behind = true;
    }
    if (!behind) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
