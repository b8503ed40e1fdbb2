// reconcile.mjs: what the marketplace's webhooks did not bring, caught up by asking. The
// marketplace retries a webhook for a while, then gives up: a sync server down longer than that
// would never hear of a new order or a buyer's request. So, at start and every few minutes
// (index.mjs), the connector searches the marketplace's orders and reverse orders (cancellation,
// return and refund requests) updated since its watermark, and applies what packdesk does not
// have yet, through the webhooks' own path (sync.applyServerOp, as device `marketplace`):
//
//   an order updated         → order.import of the order as the order detail gives it, op
//                              `rc-<order id>-<update_time>-<order_status>`; skipped when packdesk
//                              already shows that marketplace status (the webhook brought it)
//   a pending buyer request  → request.open, op `rc-<order id>-r<reverse order id>`; skipped
//                              when the order already has that request (pending, or submitted
//                              since the marketplace's request time: answered here already)
//
// Every op id names what the marketplace says, so a second run (or the overlap of the next one)
// finds the op already applied and skips it before it reaches the core: nothing is written, not
// even a refused operation. The watermark (SQLite, per packdesk shop and marketplace shop) moves
// only after a whole run went through, to the time the run started; the next run searches from
// it minus `overlapMs`, so a marketplace clock up to that much behind ours loses nothing.
//
// A malformed answer (a page without its list, an id that is not one) fails the run before
// anything is applied; a marketplace that cannot answer fails it too: the watermark stays and the
// next run tries again. Individual refusals by the core (a request the order's stage no longer
// allows) are logged and the run goes on.
import { ORDER_STATUS_NAME, REQUEST_KIND_OF_REVERSE_TYPE, REVERSE_STATUS } from './legacy.mjs';

export const RECONCILE_SOURCE = 'marketplace';

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/; // as webhook.mjs reads ids
const DETAIL_BATCH = 50; // the order detail API's most
const REVERSE_PAGE = 100; // the reverse list API's most
const MAX_PAGES = 1000;
const TEXT_MAX = 500;

/** A run that did not go through: `status` and `code` are the HTTP answer of the route. */
export class ReconcileError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const badAnswer = (message) => new ReconcileError(502, 'BAD_ANSWER', `the marketplace's answer: ${message}`);

// A client result that is not ok, as a ReconcileError.
function unavailable(what, r) {
  return r.transient
    ? new ReconcileError(503, 'MARKETPLACE_UNAVAILABLE', `${what}: ${r.code} ${r.message}`)
    : new ReconcileError(502, 'MARKETPLACE_REFUSED', `${what}: ${r.code} ${r.message}`);
}

function idOf(obj, key, where) {
  const v = obj?.[key];
  if ((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && ID_RE.test(v))) return String(v);
  throw badAnswer(`${where}.${key} is not an id: ${JSON.stringify(v)?.slice(0, 40)}`);
}

function intOf(obj, key, where) {
  const v = obj?.[key];
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (!Number.isSafeInteger(n) || n < 0) throw badAnswer(`${where}.${key} is not a count: ${JSON.stringify(v)?.slice(0, 40)}`);
  return n;
}

function listOf(data, key, where) {
  const v = data?.[key];
  if (v === undefined || v === null) return []; // an empty page may leave its list out
  if (!Array.isArray(v)) throw badAnswer(`${where}.${key} is not a list`);
  return v;
}

function reasonText(given, fallback) {
  const t = typeof given === 'string' ? given.trim().slice(0, TEXT_MAX) : '';
  return t || fallback;
}

/**
 * The reconciler of one packdesk shop with one marketplace shop.
 * @param {{client: object, sync: object, storage: object, shopId: string, account: string,
 *          log?: (line: string) => void, now?: () => number, overlapMs?: number,
 *          lookbackMs?: number, pageSize?: number}} options
 *   client: a client.mjs client; account: the marketplace's shop id (the watermark's key);
 *   lookbackMs: how far back the first run of a shop searches (no watermark yet).
 * Returns {run(), start(everyMs), close()}.
 */
export function createReconciler({ client, sync, storage, shopId, account, log = () => {}, now = Date.now,
  overlapMs = 10 * 60000, lookbackMs = 7 * 24 * 3600000, pageSize = 50 }) {
  let running = null; // the run going on
  let queued = null; // the run asked for while one was going on (one for all who ask)
  let timer = null;
  let stopped = false;

  const stillOn = () => {
    if (stopped) throw new ReconcileError(503, 'STOPPING', 'the server is stopping');
  };

  // Every order updated since `from`: Map order id → its update_time (seconds).
  async function updatedOrders(from) {
    const found = new Map();
    const cursors = new Set();
    let cursor;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) throw badAnswer(`more than ${MAX_PAGES} pages of orders`);
      stillOn();
      const r = await client.searchOrders({ pageSize, cursor, updateTimeFrom: from });
      if (!r.ok) throw unavailable('order search', r);
      const items = listOf(r.data, 'order_list', 'order search');
      const seen = items.map((o, i) => [idOf(o, 'order_id', `order_list[${i}]`), intOf(o, 'update_time', `order_list[${i}]`)]);
      for (const [id, t] of seen) found.set(id, Math.max(t, found.get(id) ?? 0));
      if (r.data.more !== true) return found;
      cursor = r.data.next_cursor;
      if (typeof cursor !== 'string' || cursor === '' || cursors.has(cursor)) throw badAnswer('more pages, but no new next_cursor');
      cursors.add(cursor);
    }
  }

  // The buyers' requests still waiting for the seller, updated since `from`: [{...}] by order.
  async function pendingRequests(from) {
    const found = [];
    for (let offset = 0, page = 0; ; offset += REVERSE_PAGE, page++) {
      if (page === MAX_PAGES) throw badAnswer(`more than ${MAX_PAGES} pages of reverse orders`);
      stillOn();
      const r = await client.listReverseOrders({ updateTimeFrom: from, offset, size: REVERSE_PAGE });
      if (!r.ok) throw unavailable('reverse order list', r);
      const items = listOf(r.data, 'reverse_list', 'reverse order list');
      items.forEach((x, i) => {
        const where = `reverse_list[${i}]`;
        const rev = {
          id: idOf(x, 'reverse_order_id', where), orderId: idOf(x, 'order_id', where),
          type: intOf(x, 'reverse_type', where), status: intOf(x, 'reverse_status_value', where),
          requestedAt: intOf(x, 'reverse_request_time', where), updatedAt: intOf(x, 'reverse_update_time', where),
          reason: x.return_reason,
        };
        if (rev.status === REVERSE_STATUS.APPLYING && REQUEST_KIND_OF_REVERSE_TYPE[rev.type]) found.push(rev);
      });
      if (r.data.more !== true || items.length === 0) return found;
    }
  }

  // The orders as the order detail gives them: Map order id → order (absent: the marketplace
  // does not give it any more).
  async function details(ids) {
    const out = new Map();
    for (let i = 0; i < ids.length; i += DETAIL_BATCH) {
      stillOn();
      const batch = ids.slice(i, i + DETAIL_BATCH);
      const r = await client.getOrderDetail(batch);
      if (!r.ok) throw unavailable('order detail', r);
      listOf(r.data, 'order_list', 'order detail').forEach((o, k) => {
        const id = idOf(o, 'order_id', `order_list[${k}]`);
        intOf(o, 'update_time', `order ${id}`);
        if (batch.includes(id)) out.set(id, o);
      });
    }
    return out;
  }

  async function orderInPackdesk(orderId) {
    const r = await sync.query(shopId, { cmd: 'order.get', at: now(), order_id: orderId });
    return r.ok ? r.result : null;
  }

  // One command, unless its op was applied before; counted in tally (applied, refused, skipped).
  async function apply(request, tally) {
    stillOn();
    if (await storage.opById(shopId, request.op)) {
      tally.skipped++;
      return;
    }
    const r = await sync.applyServerOp(shopId, { op: request.op, request });
    if (r.ok) {
      tally.applied++;
    } else {
      tally.refused++;
      log(`marketplace: reconciliation: ${request.cmd} ${request.op} refused: ${JSON.stringify(r.response?.error ?? null)}`);
    }
  }

  async function once() {
    const startedS = Math.floor(now() / 1000);
    const mark = await storage.reconcileMark(shopId, RECONCILE_SOURCE, account);
    const from = Math.max(0, mark ? mark.watermark - Math.ceil(overlapMs / 1000) : startedS - Math.ceil(lookbackMs / 1000));
    // Everything is read (and checked) before anything is applied.
    const updated = await updatedOrders(from);
    const requests = await pendingRequests(from);
    const when = new Map(updated);
    for (const rev of requests) when.set(rev.orderId, Math.max(rev.updatedAt, when.get(rev.orderId) ?? 0));
    const ids = [...when.keys()].sort((a, b) => when.get(a) - when.get(b) || (a < b ? -1 : 1));
    const orders = await details(ids);
    const tally = { applied: 0, refused: 0, skipped: 0 };
    for (const orderId of ids) {
      const order = orders.get(orderId);
      if (!order) {
        log(`marketplace: reconciliation: the marketplace lists order ${orderId} but does not give it: left out`);
        continue;
      }
      const updateTime = intOf(order, 'update_time', `order ${orderId}`);
      const known = await orderInPackdesk(orderId);
      if (known && known.marketplace_status === (ORDER_STATUS_NAME[order.order_status] ?? order.order_status)) {
        tally.skipped++; // the webhook brought it
      } else {
        await apply({ cmd: 'order.import', at: Math.min(updateTime * 1000, now()),
          op: `rc-${orderId}-${updateTime}-${String(order.order_status).slice(0, 24)}`, order }, tally);
      }
      for (const rev of requests.filter((x) => x.orderId === orderId)) {
        const kind = REQUEST_KIND_OF_REVERSE_TYPE[rev.type];
        const at = Math.min(rev.requestedAt * 1000, now());
        const op = `rc-${orderId}-r${rev.id}`;
        const current = await orderInPackdesk(orderId);
        // Already there: pending (the webhook opened it), or answered here since (its answer is on
        // its way to the marketplace, which still shows it waiting).
        if (current?.requests?.some((q) => q.kind === kind && (q.state === 'pending' || q.submitted_at >= at - overlapMs))) {
          tally.skipped++;
          continue;
        }
        await apply({ cmd: 'request.open', at, op, order_id: orderId, kind,
          reason: reasonText(rev.reason, `the buyer asked for a ${kind === 'cancel' ? 'cancellation' : kind} on the marketplace`) }, tally);
      }
    }
    stillOn();
    const watermark = Math.max(startedS, mark?.watermark ?? 0);
    await storage.setReconcileMark(shopId, RECONCILE_SOURCE, account, watermark);
    if (tally.applied || tally.refused) {
      log(`marketplace: reconciliation caught up ${tally.applied} change(s) the webhooks did not bring` +
        `${tally.refused ? ` (${tally.refused} refused)` : ''}`);
    }
    return { from, watermark, orders: ids.length, requests: requests.length, ...tally };
  }

  /**
   * One run, started after this call (one already running is waited for first; callers who ask
   * meanwhile share the next). Resolves to {from, watermark, orders, requests, applied, refused,
   * skipped}; rejects with a ReconcileError (nothing past the failure applied, the watermark kept).
   */
  function run() {
    if (stopped) return Promise.reject(new ReconcileError(503, 'STOPPING', 'the server is stopping'));
    if (!running) {
      running = once().finally(() => {
        running = null;
      });
      return running;
    }
    if (!queued) {
      queued = running.catch(() => {}).then(() => {
        queued = null;
        return run();
      });
    }
    return queued;
  }

  function background() {
    if (running || stopped) return; // the one running will do
    run().catch((err) => {
      if (err.code !== 'STOPPING') log(`marketplace: reconciliation failed (tried again in the next round): ${err.code ?? ''} ${err.message}`);
    });
  }

  return {
    run,
    /** Runs now, then every everyMs (0: never again). */
    start(everyMs) {
      background();
      if (everyMs > 0) {
        timer = setInterval(background, everyMs);
        timer.unref?.();
      }
    },
    /** Stops; resolves once the run going on (if any) has stopped at its next step. */
    async close() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
      await queued?.catch(() => {});
    },
  };
}
