/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The installable app's offline shell: the app's own files are kept in a cache named after the
// build, so the dashboard opens without a network and says it is offline instead of a browser
// error page. Data never comes from the cache: the API (and its docs, health and metrics) always
// goes to the network, so nothing shown is ever stale or kept after sign-out.
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
