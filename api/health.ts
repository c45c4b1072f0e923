// /health answers from checks at most a couple of seconds old. Asking the warehouse on every call
// made the answer wait behind whatever the warehouse was doing (an import's inserts queue ahead of
// it on the embedded engine): a load balancer would then take a busy but healthy process out.
export function recentCheck(check: () => Promise<boolean>, maxAgeMs = 2000): () => Promise<boolean> {
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
