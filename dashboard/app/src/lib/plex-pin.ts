// plex.tv's PIN flow in the browser, for signing in with Plex and for adding Plex servers: the
// Plex app opens in a window (opened at once, inside the click, so no popup blocker stops it) at
// the PIN's address, then `check` is asked every two seconds until it has an answer.
export function approveInPlex<T>(steps: {
  /** Asks the API for a PIN; its answer says where to approve it. */
  start: () => Promise<{ authUrl: string }>;
  /** The answer once the PIN is approved; null while it waits. */
  check: () => Promise<T | null>;
  /** The PIN is open in Plex and being waited for. */
  waiting?: () => void;
}): { done: Promise<T>; cancel: () => void } {
  const popup = window.open('', 'plex-sign-in', 'width=600,height=700');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pause = () => new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
  const done = (async () => {
    try {
      const { authUrl } = await steps.start();
      if (popup) popup.location.href = authUrl;
      else window.open(authUrl, '_blank', 'noopener');
      steps.waiting?.();
      for (;;) {
        await pause();
        const answer = await steps.check();
        if (answer !== null) return answer;
      }
    } finally {
      popup?.close();
    }
  })();
  // A page left while waiting stops asking.
  return { done, cancel: () => clearTimeout(timer) };
}
