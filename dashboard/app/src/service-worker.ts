/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The installable app's offline shell: the app's own files are kept in a cache named after the
// build, so the dashboard opens without a network and says it is offline instead of a browser
// error page. Data never comes from the cache: the API (and its docs, health and metrics) always
// goes to the network, so nothing shown is ever stale or kept after sign-out. Web pushes (sent by
// a webpush channel to the browsers users subscribed on their account page) are shown as
// notifications; a click opens the page the message names.
import { build, files, version } from '$service-worker';

const worker = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `streamwarden-shell-${version}`;
// '/' is the app's page (index.html): every page path is that one page.
const SHELL = ['/', ...build, ...files];
const NEVER = /^\/(api|api-docs|health|metrics)(\/|$)/;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== worker.location.origin || NEVER.test(url.pathname)) return;
  if (request.mode === 'navigate') {
    // A page: the network's answer when there is one (it carries the current app), else the shell.
    event.respondWith(fetch(request).catch(async () => (await caches.match('/')) ?? Response.error()));
    return;
  }
  // The app's files are named by their content (or change with the build's cache): cache first.
  event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)));
});

interface PushMessage {
  title?: string;
  body?: string;
  tag?: string;
  url?: string;
  urgent?: boolean;
}

worker.addEventListener('push', (event) => {
  let message: PushMessage = {};
  try {
    message = (event.data?.json() ?? {}) as PushMessage;
  } catch {
    // Not JSON: shown as it came rather than lost.
    message = { body: event.data?.text() ?? '' };
  }
  // Only a path of this app is followed on a click, never an address from elsewhere.
  const url =
    typeof message.url === 'string' && message.url.startsWith('/') && !message.url.startsWith('//') ? message.url : '/';
  event.waitUntil(
    worker.registration.showNotification(message.title || 'Streamwarden', {
      body: message.body ?? '',
      tag: message.tag,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      requireInteraction: message.urgent === true,
      data: { url },
    }),
  );
});

worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL((event.notification.data as { url?: string } | null)?.url ?? '/', worker.location.origin).href;
  event.waitUntil(
    worker.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === worker.location.origin);
      if (!open) return worker.clients.openWindow(url);
      // A window the worker does not control cannot be navigated: a new one then.
      return open
        .focus()
        .then((w) => w.navigate(url))
        .catch(() => worker.clients.openWindow(url));
    }),
  );
});
