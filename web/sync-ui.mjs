// sync-ui.mjs: the console as a device of its shop (issue 6; docs/sync.md). When the server that
// serves the console also runs the sync API (`make run`, web/server.mjs with a data folder), the
// console pairs itself once (GET /api/local-pairing, then sync.pair in the core: sync-link.mjs)
// and from then on opens the store `shop-<shop_id>`: empty at first, it is filled by the first
// pull (the server's shop, not the local demo). Without a sync API (a 204 or 404 there, or no
// network on a first visit) the console stays what it was: the standalone store `default`,
// seeded with the demo shop. The two never mix: a standalone shop's orders are not pushed to a
// server that never had them. A "no sync here" is remembered (sync-link.mjs's startLink), so a
// standalone console's next start opens its store at once instead of waiting for the check
// (issue 4); it asks again once its list is on screen, and a server that pairs it by then makes
// it that shop's device in place (app.mjs's switchTo).
//
// While paired: the device loop (web/sync-client.mjs) runs in the writer tab, at start, on
// `online`, every 30 s and shortly after each local command; its state is in the status bar
// (views/sync-status.mjs), and the console repaints after a round that changed the store. What
// the server refused shows on the order (views/conflicts.mjs, from order.get's `conflicts`).
// After each round that went through, the marketplace calls the server could not make are read
// (views/marketplace-calls.mjs): a notice on their order, a count in the bar. When the server no
// longer knows this device (a 401: its data folder was reset, the token lost), the console
// offers to pair again (views/pair-again.mjs, sync-link.mjs's pairAgain) and then syncs as the
// new device, the operations that were waiting kept and pushed under it.
import { h } from './dom.mjs';
import { onLanguage } from './i18n.mjs';
import { connect, findLink, pairAgain, startLink } from './sync-link.mjs';
import { createMarketplaceCalls } from './views/marketplace-calls.mjs';
import { LOST_DEVICE, paintPairAgain } from './views/pair-again.mjs';
import { paintSyncStatus } from './views/sync-status.mjs';

export { findLink, startLink };

/** The store the console opens: `shop-<shop_id>` for a paired console, `default` standalone. */
export const storeNameFor = (link) => (link ? `shop-${link.shop_id}` : 'default');

/**
 * Starts the console's sync on its open store: the status elements go after `anchor` (the save
 * status), the offer to pair again under the bar that holds it; every accepted command of `shop`
 * asks for a round, refresh({keepInputs}) repaints after a round that changed something. Returns
 * {status(), sync(), notice(orderId), calls(), pairing()}: the last status detail, a round now
 * (resolves to its status), the refused marketplace calls' notice for an order (or null), the
 * refused calls, and the device's pairing {shop_id, device_id} (for tests and tools).
 */
export function startConsoleSync({ link: first, store, shop, anchor, refresh }) {
  // Not a live region: it changes at every round (every 30 s); what needs the seller's eyes (a
  // refused change) is on the order itself.
  const el = h('p', { class: 'status', id: 'sync' });
  const market = h('p', { class: 'status', id: 'marketplace-calls', hidden: true });
  anchor.after(el, market);
  const panel = h('section', { class: 'pair-again', id: 'pair-again', hidden: true, 'aria-labelledby': 'pair-again-title' });
  anchor.closest('header').after(panel);
  let link = first;
  let detail = null;
  let offer = null; // {mode, pending, busy, error?} while the server does not know this device
  let connection = null;
  const calls = createMarketplaceCalls({
    link: () => link,
    onChange: () => {
      paint();
      refresh({ keepInputs: true });
    },
  });
  const paint = () => {
    paintSyncStatus(el, detail);
    calls.paintCount(market);
    paintPairAgain(panel, offer, { onLocal: () => again(), onCode: (code) => again(code) });
  };

  // A device loop for the current link; statuses of a loop that was replaced are not shown.
  const open = (repaired) => {
    const mine = connect({
      store, link, again: repaired,
      onStatus: (d) => connection === mine && onStatus(d),
      onChange: () => refresh({ keepInputs: true }),
    });
    connection = mine;
    mine.start();
  };

  function onStatus(d) {
    detail = d;
    if (d.status === 'synced') {
      offer = null;
      calls.refresh();
    } else if (d.status === 'sync-failed' && LOST_DEVICE.has(d.error?.code)) {
      lost(d);
    }
    paint();
  }

  // The server refused this device. Another tab of this console may have paired it again already
  // (the page's kept pairing is the core's device): then that pairing is used, nothing asked.
  async function lost(d) {
    if (offer) {
      offer = { ...offer, pending: d.pending };
      return;
    }
    if (d.error.code === 'PAIRED_ELSEWHERE') {
      const kept = (await findLink()).link;
      const core = store.exec({ cmd: 'sync.status', at: Date.now() }).response;
      if (kept && core.ok && kept.device_id === core.result.device_id && kept.token !== link.token) {
        connection.stop();
        link = kept;
        return open(false);
      }
    }
    offer = { mode: link.via === 'code' ? 'code' : 'local', pending: d.pending, busy: false };
    paint();
  }

  // Pairs again (local pairing, or with the operator's code); then the loop runs as the new device.
  async function again(code) {
    offer = { ...offer, busy: true, error: null };
    paint();
    const { link: next, why } = await pairAgain({ link, code });
    if (!next) {
      // NO_SYNC: this server does not pair this page by itself, a code must do.
      offer = { ...offer, busy: false, error: why, mode: why.code === 'NO_SYNC' ? 'code' : offer.mode };
      return paint();
    }
    connection.stop();
    link = next;
    offer = null;
    open(true);
    paint();
  }

  shop.onCommand = () => connection.changed();
  onLanguage(paint);
  open(false);
  paint();
  return {
    status: () => connection.detail(),
    sync: () => connection.sync(),
    notice: (orderId) => calls.notice(orderId),
    calls: () => calls.calls(),
    pairing: () => ({ shop_id: link.shop_id, device_id: link.device_id }),
  };
}
