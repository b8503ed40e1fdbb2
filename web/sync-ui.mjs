// sync-ui.mjs: the console as a device of its shop (issue 6; docs/sync.md). When the server that
// serves the console also runs the sync API (`make run`, web/server.mjs with a data folder), the
// console pairs itself once (GET /api/local-pairing, then sync.pair in the core: sync-link.mjs)
// and from then on opens the store `shop-<shop_id>`: empty at first, it is filled by the first
// pull (the server's shop, not the local demo). Without a sync API (a 204 or 404 there, or no
// network on a first visit) the console stays what it was: the standalone store `default`,
// seeded with the demo shop. The two never mix: a standalone shop's orders are not pushed to a
// server that never had them.
//
// While paired: the device loop (web/sync-client.mjs) runs in the writer tab, at start, on
// `online`, every 30 s and shortly after each local command; its state is in the status bar
// (views/sync-status.mjs), and the console repaints after a round that changed the store. What
// the server refused shows on the order (views/conflicts.mjs, from order.get's `conflicts`).
import { h } from './dom.mjs';
import { onLanguage } from './i18n.mjs';
import { connect, findLink } from './sync-link.mjs';
import { paintSyncStatus } from './views/sync-status.mjs';

export { findLink };

/** The store the console opens: `shop-<shop_id>` for a paired console, `default` standalone. */
export const storeNameFor = (link) => (link ? `shop-${link.shop_id}` : 'default');

/**
 * Starts the console's sync on its open store: the status element goes after `anchor` (the save
 * status), every accepted command of `shop` asks for a round, refresh({keepInputs}) repaints
 * after a round that changed something. Returns {status(), sync()}: the last status detail, and
 * a round now (resolves to its status), for tests and tools.
 */
export function startConsoleSync({ link, store, shop, anchor, refresh }) {
  // Not a live region: it changes at every round (every 30 s); what needs the seller's eyes (a
  // refused change) is on the order itself.
  const el = h('p', { class: 'status', id: 'sync' });
  anchor.after(el);
  let detail = null;
  const paint = () => paintSyncStatus(el, detail);
  const connection = connect({
    store, link,
    onStatus: (d) => {
      detail = d;
      paint();
    },
    onChange: () => refresh({ keepInputs: true }),
  });
  shop.onCommand = () => connection.changed();
  onLanguage(paint);
  paint();
  connection.start();
  return { status: () => connection.detail(), sync: () => connection.sync() };
}
