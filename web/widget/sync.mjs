// sync.mjs: the one place where a widget's shop meets its sync server (docs/sync.md), called by
// cores.mjs once per shop and page when the widget has a `server` attribute (an origin, checked by
// the element). The device loop is web/sync-client.mjs (issue 6, being built); it is not in the
// tree yet, so for now a widget with a server works on its local store alone, offline-first,
// exactly as one without: the store is seeded with the demo shop when empty.
//
// To wire it: import the device loop here, start it on core.store / core.api with core.server as
// the server's origin, call core.changed({cmd: 'sync', source: 'sync'}) after each rebase so every
// widget of the shop repaints, and return an object with stop() (cores.mjs calls it when the
// last widget of the shop goes). Returning non-null also stops the demo seeding: the server's
// orders fill the store. The storefront's CSP already lists the server in connect-src.

/** @returns {{stop(): void} | null} the running sync loop, or null while there is none. */
export function attachSync(core) {
  void core;
  return null;
}
