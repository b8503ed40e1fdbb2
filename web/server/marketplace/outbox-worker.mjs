// outbox-worker.mjs: delivers the marketplace calls the sync server queued in its outbox (SQLite,
// written in the same transaction as the operation that asked for them), one at a time, oldest
// first, through calls.mjs's deliverCall:
//   done    → settled 'done' (the marketplace has it; an "already shipped" on a retry counts);
//   retry   → stays pending, tried again after a growing delay (network, the marketplace busy,
//             credentials the operator must fix): attempts and the last answer are kept;
//   failed  → settled 'failed' with the marketplace's code and message, for the seller to see
//             (GET /api/marketplace/calls) and, once fixed at the marketplace, to send again.
// The worker holds nothing of its own but the delays (in memory): after a restart, even a kill -9,
// it starts over from what the outbox says is pending. A call is sent again only when the server
// died between the marketplace's answer and the settle, and a second ship of the same package is
// answered "already shipped", which counts as done.
//
// Calls of one order go in order: while an earlier call of an order waits to be retried, its later
// calls wait too (a cancel never overtakes the ship it follows). Other orders are not held up.
import { deliverCall } from './calls.mjs';

/** The outbox `kind` of a marketplace call (its payload is the marketplaceCalls() item). */
export const OUTBOX_KIND = 'marketplace';

const PAGE = 100;

/**
 * @param {{storage: object, client: object, log?: (line: string) => void, now?: () => number,
 *          backoffMs?: number, maxBackoffMs?: number}} options
 *   client: a client.mjs client; backoffMs doubles with each try, up to maxBackoffMs.
 */
export function createOutboxWorker({ storage, client, log = () => {}, now = Date.now, backoffMs = 2000, maxBackoffMs = 5 * 60000 }) {
  const notBefore = new Map(); // outbox id → when it may be tried again
  let running = null;
  let again = false;
  let timer = null;
  let stopped = false;

  const delay = (attempts) => Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(Math.max(attempts - 1, 0), 20));

  function schedule(ms) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(wake, Math.max(0, ms));
    timer.unref?.();
  }

  async function deliverOne(item) {
    let result;
    try {
      result = await deliverCall(item.payload, client);
    } catch (err) {
      // Not a call deliverCall can send (a TypeError: a payload this version does not know).
      result = { status: 'failed', code: 'BAD_CALL', message: err.message };
    }
    const what = `${item.payload?.kind} of order ${item.payload?.order_id} (outbox ${item.id})`;
    if (result.status === 'done') {
      notBefore.delete(item.id);
      await storage.settleOutbox(item.id, 'done', result);
    } else if (result.status === 'failed') {
      notBefore.delete(item.id);
      await storage.settleOutbox(item.id, 'failed', result);
      log(`marketplace: ${what} failed: ${result.code} ${result.message}`);
    } else {
      const wait = delay(item.attempts + 1);
      notBefore.set(item.id, now() + wait);
      await storage.settleOutbox(item.id, 'pending', result);
      log(`marketplace: ${what} will be tried again in ${Math.round(wait / 1000)} s: ${result.code} ${result.message}`);
    }
    return result.status;
  }

  // One pass over the pending calls; schedules the next when some wait for their delay.
  async function pass() {
    const waiting = new Set(); // orders with an earlier call not yet through
    let earliest = Infinity;
    let after = 0;
    for (;;) {
      const items = await storage.outboxPending({ after, limit: PAGE });
      for (const item of items) {
        after = item.id;
        if (item.kind !== OUTBOX_KIND) continue;
        if (stopped) return;
        const order = `${item.shop_id}\0${item.payload?.order_id}`;
        if (waiting.has(order)) continue;
        const due = notBefore.get(item.id) ?? 0;
        if (due > now() || (await deliverOne(item)) === 'retry') {
          waiting.add(order);
          earliest = Math.min(earliest, notBefore.get(item.id));
        }
      }
      if (items.length < PAGE) break;
    }
    if (earliest < Infinity) schedule(earliest - now());
  }

  /** Starts a pass now (or right after the one running). */
  function wake() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = null;
    running = pass().catch((err) => {
      log(`marketplace: outbox worker: ${err.stack ?? err}`);
      schedule(backoffMs);
    }).finally(() => {
      running = null;
      if (again) {
        again = false;
        wake();
      }
    });
  }

  return {
    wake,
    /** A failed call put back to pending by the seller: sent at the next pass, without delay. */
    retryNow(id) {
      notBefore.delete(id);
      wake();
    },
    /** Stops; resolves once the call being sent (if any) is settled. */
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
