// index.mjs: the marketplace connector mounted in the sync server (web/server/main.mjs calls
// mount() at start). One marketplace shop (config.mjs: the local sandbox by default, the real
// TikTok Shop API with MARKETPLACE_URL and its credentials) is connected to one packdesk shop
// (PACKDESK_MARKETPLACE_SHOP, default `demo`):
//
// - In: the marketplace's webhooks (routes.mjs) become core commands applied to that shop as
//   device `marketplace`, so devices pull the new orders, scans and buyers' requests like any
//   change.
// - Out: each accepted operation of that shop that the marketplace must know (order.ship,
//   order.cancel, request.approve, request.reject on an order that came from it) gets its calls
//   (calls.mjs's marketplaceCalls, from the core's order.get as the operation left the order),
//   queued in the outbox in the operation's own SQLite transaction: accepted ⇔ queued. The
//   worker (outbox-worker.mjs) sends them, resuming from the outbox after any restart.
// - A call the marketplace refuses for good stays in the outbox as 'failed' with its code and
//   message: the seller reads it (GET /api/marketplace/calls) and can send it again.
// - Caught up: webhooks the marketplace gave up on (the server was down too long) are made up for
//   by the reconciliation (reconcile.mjs): at start and every PACKDESK_RECONCILE_MS (5 min; 0:
//   only on POST /api/marketplace/reconcile), the orders and requests updated since its watermark.
//
// Operations from the marketplace itself (device `marketplace`) never make calls: what the
// marketplace told us is not told back.
import { isShopId } from '../sync.mjs';
import { createClient } from './client.mjs';
import { marketplaceCalls, orderIdOfRequest } from './calls.mjs';
import { marketplaceConfig } from './config.mjs';
import { createOutboxWorker, OUTBOX_KIND } from './outbox-worker.mjs';
import { createReconciler } from './reconcile.mjs';
import { mountRoutes } from './routes.mjs';
import { orderFetcher } from './webhook.mjs';

const CALL_CMDS = new Set(['order.ship', 'order.cancel', 'request.approve', 'request.reject']);
export const MARKETPLACE_DEVICE = 'marketplace';

/** The packdesk shop the marketplace is connected to: PACKDESK_MARKETPLACE_SHOP or `demo`. */
export function connectedShop(env = process.env) {
  const shopId = env.PACKDESK_MARKETPLACE_SHOP?.trim() || 'demo';
  if (!isShopId(shopId)) throw new Error(`PACKDESK_MARKETPLACE_SHOP is not a shop id: ${JSON.stringify(shopId)}`);
  return shopId;
}

/** PACKDESK_RECONCILE_MS: how often the reconciliation runs (ms; 0: only when asked). */
export function reconcileEvery(env = process.env) {
  const given = env.PACKDESK_RECONCILE_MS?.trim();
  if (!given) return 5 * 60000;
  const ms = Number(given);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 24 * 3600000) {
    throw new Error(`PACKDESK_RECONCILE_MS must be a number of milliseconds from 0 to 86400000, not ${JSON.stringify(given)}`);
  }
  return ms;
}

/**
 * The mount point (see main.mjs). `env` (default process.env) holds the settings: config.mjs's
 * MARKETPLACE_* and SANDBOX_PORT, PACKDESK_MARKETPLACE_SHOP. Throws on a bad setting, which stops
 * the server's start with its message. Resolves to {close()}.
 */
export async function mount({ api, sync, storage, log = () => {}, env = process.env, backoffMs }) {
  const config = marketplaceConfig(env);
  const shopId = connectedShop(env);
  const everyMs = reconcileEvery(env);
  if (await storage.ensureShop(shopId)) log(`marketplace: created shop ${shopId}, empty, for the marketplace's orders`);
  const dropped = await storage.webhooksRestart();
  if (dropped) log(`marketplace: ${dropped} webhook notification(s) left unfinished or expired were forgotten`);
  const client = createClient(config);
  const worker = createOutboxWorker({ storage, client, log, backoffMs });

  sync.onAccepted(({ shopId: shop, deviceId, request, response, exec }) => {
    if (shop !== shopId || deviceId === MARKETPLACE_DEVICE || !CALL_CMDS.has(request.cmd)) return [];
    const orderId = request.cmd.startsWith('request.') ? orderIdOfRequest(request.request_id) : request.order_id;
    const got = exec({ cmd: 'order.get', at: request.at, order_id: orderId });
    // An accepted operation's order is there; if not, the commit fails rather than lose the call.
    if (!got.ok) throw new Error(`marketplace: order.get ${orderId} after ${request.cmd}: ${JSON.stringify(got.error)}`);
    return marketplaceCalls({ request, response, order: got.result }).map((call) => ({ kind: OUTBOX_KIND, payload: call }));
  });
  sync.onCommitted(({ outbox }) => {
    if (outbox > 0) worker.wake();
  });
  const reconciler = createReconciler({ client, sync, storage, shopId, account: config.shopId, log });
  mountRoutes({ api, sync, storage, config, shopId, fetchOrder: orderFetcher(client), worker, reconciler, log });
  log(`marketplace: ${config.sandbox ? 'the sandbox' : 'TikTok Shop'} at ${config.baseUrl} (shop ${config.shopId}) ` +
    `is connected to shop ${shopId}; webhooks: POST /api/marketplace/webhook`);
  worker.wake(); // what a previous run left pending
  if (everyMs > 0) reconciler.start(everyMs); // what the webhooks missed while the server was down
  return {
    close: async () => {
      await reconciler.close();
      await worker.close();
    },
  };
}
