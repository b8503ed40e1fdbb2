// routes.mjs: the marketplace's HTTP routes on the sync server (http.mjs's route table):
//
//   POST /api/marketplace/webhook          the marketplace's webhooks (webhook.mjs's handleWebhook):
//                                          signature checked (401), de-duplicated by notification
//                                          id in SQLite, applied to the connected shop as device
//                                          `marketplace` (sync.applyServerOp)
//   GET  /api/marketplace/calls[?state=]   (a device's token) the marketplace calls of the
//                                          token's shop that did not go through: failed (with the
//                                          marketplace's code and message) or still being retried
//   POST /api/marketplace/calls/retry {id} (a device's token) sends a failed call again, once
//                                          the seller fixed what the marketplace refused
//   POST /api/marketplace/reconcile        (a device's token of the connected shop) catches up
//                                          now what the webhooks did not bring (reconcile.mjs)
import { SyncError } from '../sync.mjs';
import { handleWebhook, parseWebhook, signatureOf, verifyWebhook } from './webhook.mjs';
import { OUTBOX_KIND } from './outbox-worker.mjs';
import { ReconcileError } from './reconcile.mjs';

const SOURCE = 'marketplace';
const CALL_STATES = new Set(['pending', 'failed', 'done']);
const MAX_CALLS = 100;

// What a seller is shown of an outbox item: the call, where it stands, the marketplace's answer.
function callView(item) {
  const r = item.result ?? {};
  return {
    id: item.id, order_id: item.payload?.order_id ?? null, kind: item.payload?.kind ?? null, op: item.payload?.op ?? null,
    state: item.state, attempts: item.attempts, created_at: item.created_at, settled_at: item.settled_at,
    ...(r.code !== undefined ? { code: r.code } : {}), ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.packages ? { packages: r.packages } : {}),
  };
}

// A command's answer as the webhook's reply carries it: whether it was applied, not the order
// (the marketplace has no use for the core's view, and it holds buyer data, if masked).
const brief = (r) => ({ op: r.op, ok: r.ok, ...(r.ok ? {} : { code: r.response?.error?.code ?? null }) });

/**
 * Mounts the routes. `config` is marketplaceConfig()'s; `shopId` the packdesk shop the marketplace
 * shop is connected to; `fetchOrder` webhook.mjs's orderFetcher over the client; `worker` the
 * outbox worker (woken when a call is sent again).
 */
export function mountRoutes({ api, sync, storage, config, shopId, fetchOrder, worker, reconciler, log }) {
  const credentials = { appKey: config.appKey, appSecret: config.appSecret };

  // A signed, well-formed notification of another marketplace shop (an app may be authorized by
  // several): acknowledged, so it is not sent again, and ignored. Anything else is handleWebhook's.
  function otherShop(rawBody, signature) {
    if (!verifyWebhook(rawBody, signature, credentials)) return null;
    let n;
    try {
      n = parseWebhook(rawBody);
    } catch {
      return null;
    }
    if (n.shopId === undefined || n.shopId === config.shopId) return null;
    log(`marketplace: webhook ${n.id} is for shop ${n.shopId}, not ${config.shopId}: ignored`);
    return { ok: true, notification_id: n.id, ignored: `shop ${n.shopId} is not connected to this server` };
  }

  api.route('POST', '/api/marketplace/webhook', async (ctx) => {
    const rawBody = await ctx.readBody();
    const signature = signatureOf(ctx.req.headers);
    const ignored = otherShop(rawBody, signature);
    if (ignored) return { body: ignored };
    const answer = await handleWebhook({ rawBody, signature }, {
      ...credentials,
      seen: (id) => storage.webhookSeen(SOURCE, id),
      unsee: (id) => storage.webhookForget(SOURCE, id),
      fetchOrder,
      apply: async (commands, notification) => {
        const results = [];
        for (const request of commands) {
          const r = await sync.applyServerOp(shopId, { op: request.op, request });
          if (!r.ok) log(`marketplace: webhook ${notification.id}: ${request.cmd} refused: ${JSON.stringify(r.response?.error ?? null)}`);
          results.push(brief(r));
        }
        return results;
      },
    });
    // Committed (or nothing to do): seen for good. Until here a crash leaves it 'applying', and
    // the next start forgets it, so the marketplace's retry is processed (storage-sqlite.mjs).
    if (answer.status === 200 && answer.body.duplicate === false) await storage.webhookDone(SOURCE, answer.body.notification_id);
    return answer;
  });

  api.route('GET', '/api/marketplace/calls', async (ctx) => {
    const device = await ctx.device();
    const given = ctx.url.searchParams.get('state');
    const states = given === null ? ['pending', 'failed'] : given.split(',');
    if (states.length === 0 || states.some((s) => !CALL_STATES.has(s))) {
      throw new SyncError(400, 'BAD_REQUEST', 'state must be a comma-separated list of pending, failed, done');
    }
    const items = await storage.outboxOfShop(device.shop_id, { kind: OUTBOX_KIND, states, limit: MAX_CALLS });
    return { body: { calls: items.map(callView) } };
  });

  api.route('POST', '/api/marketplace/calls/retry', async (ctx) => {
    const device = await ctx.device();
    const body = await ctx.readJson();
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Number.isSafeInteger(body.id) || body.id < 1) {
      throw new SyncError(400, 'BAD_REQUEST', 'the body must be {id} with the id of a failed call');
    }
    if (!(await storage.requeueOutbox(body.id, device.shop_id, OUTBOX_KIND))) {
      throw new SyncError(404, 'NOT_FOUND', `no failed marketplace call ${body.id} in shop ${device.shop_id}`);
    }
    worker.retryNow(body.id);
    return { body: { id: body.id, state: 'pending' } };
  });

  // No body: what to catch up is the marketplace's to say. The answer comes once a whole run that
  // started after the request is through.
  api.route('POST', '/api/marketplace/reconcile', async (ctx) => {
    const device = await ctx.device();
    if (device.shop_id !== shopId) throw new SyncError(404, 'NOT_FOUND', `shop ${device.shop_id} is not connected to a marketplace`);
    try {
      return { body: { ok: true, ...(await reconciler.run()) } };
    } catch (err) {
      if (err instanceof ReconcileError) throw new SyncError(err.status, err.code, err.message);
      throw err;
    }
  });
}
