// sw.js: the console's service worker (a classic worker at the site root). It keeps the app shell
// (index.html, the page's modules, styles and icon, the JS over the wasm and the wasm build) in a
// cache named after the shell's version, so the console loads and works with the network off. The
// store is IndexedDB, which needs no network.
//
// - The version and the file list are filled in by web/server.mjs when it serves /sw.js: the
//   version is a hash of the shell's files, so any change to them is a new worker.
// - install: every shell file is fetched past the HTTP cache and must carry this version in its
//   `x-packdesk-version` header; a mix of two versions (the server changed mid-install) fails
//   the install, and the browser tries again on its next update check.
// - fetch: cache-first for the shell (a navigation in scope gets index.html), network-only for
//   everything else (it is not handled here at all).
// - Updates never take over an open tab by themselves: no skipWaiting() at install. A new
//   version waits until the page asks (web/sw-client.mjs shows "update available — reload" and
//   posts {type: 'skip-waiting'} when the seller accepts), or until every tab of the old one is
//   closed. So a tab runs one version's shell, start to finish.
// - activate: delete every other version's cache.
'use strict';

const VERSION = '__PACKDESK_VERSION__';
const SHELL = ['__PACKDESK_SHELL__'];
const PREFIX = 'packdesk-shell-';
const CACHE = PREFIX + VERSION;
const SHELL_PATHS = new Set(SHELL);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const responses = await Promise.all(SHELL.map(async (url) => {
      const response = await fetch(new Request(url, { cache: 'no-store', credentials: 'same-origin' }));
      if (!response.ok) throw new Error(`sw: ${url}: HTTP ${response.status}`);
      const version = response.headers.get('x-packdesk-version');
      if (version !== VERSION) throw new Error(`sw: ${url} is version ${version}, not ${VERSION}`);
      return [url, response];
    }));
    const cache = await caches.open(CACHE);
    try {
      await Promise.all(responses.map(([url, response]) => cache.put(url, response)));
    } catch (err) {
      await caches.delete(CACHE); // no half-filled cache left behind
      throw err;
    }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
  })());
});

self.addEventListener('message', (event) => {
  const type = event.data?.type;
  if (type === 'skip-waiting') self.skipWaiting();
  else if (type === 'version') event.ports[0]?.postMessage({ type: 'version', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  let key = null;
  if (request.mode === 'navigate') {
    if (url.pathname === '/' || url.pathname === '/index.html') key = '/';
  } else if (SHELL_PATHS.has(url.pathname) && url.pathname !== '/') {
    key = url.pathname;
  }
  if (key === null) return; // network-only
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(key);
    return hit ?? fetch(request);
  })());
});
