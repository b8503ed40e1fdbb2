// sync.mjs: the one place where a widget's shop meets its sync server (docs/sync.md), called by
// cores.mjs once per shop and page when a widget names a `server` (an origin, checked by the
// element): one device loop per shop per page, whatever the number of widgets, because the
// shared core registry calls this once for the shop.
//
// The device is this storefront origin's: its pairing is kept in the storefront's localStorage
// (web/sync-link.mjs says why there), found there or asked once of the server's
// GET /api/local-pairing (cross-origin, so the server must answer CORS for this origin: it does
// for loopback origins by default, and for PACKDESK_STOREFRONT_ORIGINS). A server that pairs no
// device for this page (204/404/403: a console server without a data folder, or pairing off)
// leaves the widget on its local store, seeded with the demo shop as before; so does a first
// visit with the network off. A server that pairs this machine to another shop is a sync error.
// Paired, the store is not seeded: the server's orders fill it.
//
// Events on the shared core: 'sync' ({status, pending, conflicts, error?}) after every status
// (controller.mjs paints it and tells the host page of a failure), and 'changed' ({cmd: 'sync',
// source: 'sync'}) after a round that changed the store, so every widget of the shop repaints.
import { connect, findLink } from '../sync-link.mjs';

/**
 * Starts syncing `core` (cores.mjs's SharedCore: shop, server, store, api) with core.server.
 * Returns {ready, detail(), sync(), stop()} at once: ready resolves true once the device loop
 * runs, false when this page has no sync with that server (the store then stays local).
 */
export function attachSync(core) {
  let connection = null;
  let stopped = false;
  let told = null; // the last status, kept for a widget that attaches after it was told
  const tell = (detail) => {
    told = detail;
    core.dispatchEvent(new CustomEvent('sync', { detail }));
  };
  const ready = (async () => {
    const { link, why } = await findLink({ server: core.server, shop: core.shop });
    if (stopped) return false;
    if (!link) {
      if (why.code !== 'NO_SYNC' && why.code !== 'OFFLINE') tell({ status: 'sync-failed', pending: null, conflicts: null, error: why });
      return false;
    }
    connection = connect({ store: core.store, link, onStatus: tell, onChange: () => core.changed({ cmd: 'sync', source: 'sync' }) });
    core.api.onCommand = () => connection.changed();
    connection.start();
    return true;
  })().catch((err) => {
    tell({ status: 'sync-failed', pending: null, conflicts: null, error: { code: err.code ?? 'SYNC_FAILED', message: err.message } });
    return false;
  });
  return {
    ready,
    /** The last sync status (a failure to pair included), or null while there is none. */
    detail: () => connection?.detail() ?? told,
    /** A round now (resolves to its status; null without a device loop). */
    sync: async () => ((await ready) ? connection.sync() : null),
    stop() {
      stopped = true;
      connection?.stop();
    },
  };
}
