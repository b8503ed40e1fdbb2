// calls.mjs: which marketplace call an accepted packdesk operation needs, and delivering it.
//
// Two steps, so the sync server can keep the call in SQLite with the operation (in the same
// transaction) and deliver it later from a worker, exactly once:
//
//   const calls = marketplaceCalls({request, response, order});  // plain JSON, [] for most ops
//   const result = await deliverCall(call, client);               // {status: 'done'|'retry'|'failed', ...}
//
// marketplaceCalls: `request` is the operation as applied, `response` the core's answer, and
// `order` the core's `order.get` result for the order after it (the core's responses carry
// neither the handover method nor a request's kind, and only orders that came from the
// marketplace, `source: "tiktok"`, have anything to tell it):
//   order.ship                            → ship: each package, pickup or drop-off
//   order.cancel                          → cancel_order
//   request.approve / request.reject      → approve_request / reject_request (cancellation,
//                                           return or refund: one reverse-order API for all)
//
// deliverCall: 'done' (the marketplace has it, including an "already shipped" / already
// answered state found on a retry), 'retry' (network, the marketplace busy, or credentials the
// operator must fix: nothing was applied there), 'failed' (refused for good; `packages` lists a
// package the marketplace reported failed inside a successful answer).
import { ERROR, ORDER_STATUS, PACKAGE_STATUS, REVERSE_STATUS, REVERSE_TYPE, CREDENTIAL_CODES } from './legacy.mjs';

const REQUEST_CMDS = new Set(['request.approve', 'request.reject']);

/** The order id of a packdesk request id (`<order_id>/r<n>`). */
export function orderIdOfRequest(requestId) {
  const m = /^(.+)\/r\d+$/.exec(String(requestId ?? ''));
  return m ? m[1] : null;
}

/**
 * The marketplace calls an accepted operation needs: [] when it needs none (refused
 * operations, queries, packdesk's own orders, local steps such as packing). Throws a TypeError
 * when a call is needed but `order` (the order.get result) is missing or is another order.
 */
export function marketplaceCalls({ request, response, order }) {
  if (!request || !response?.ok) return [];
  const cmd = request.cmd;
  if (cmd !== 'order.ship' && cmd !== 'order.cancel' && !REQUEST_CMDS.has(cmd)) return [];
  const orderId = REQUEST_CMDS.has(cmd) ? orderIdOfRequest(request.request_id) : request.order_id;
  if (!order || order.id !== orderId) throw new TypeError(`${cmd}: the order.get result of order ${orderId} is required`);
  if (order.source !== 'tiktok') return [];
  const base = { order_id: orderId, op: request.op ?? null };
  switch (cmd) {
    case 'order.ship':
      return [{ kind: 'ship', ...base, method: order.handover?.method ?? null }];
    case 'order.cancel':
      return [{ kind: 'cancel_order', ...base, reason: String(request.reason ?? '') }];
    default: {
      const asked = (order.requests ?? []).find((r) => r.id === request.request_id);
      const call = { kind: cmd === 'request.approve' ? 'approve_request' : 'reject_request', ...base,
        request_id: request.request_id, request_kind: asked?.kind ?? null };
      if (cmd === 'request.reject') call.reason = String(request.reason ?? '');
      return [call];
    }
  }
}

// ---- delivery ----

/** "Already shipped", by the sandbox's code or the wording of the answer. */
export function isAlreadyShipped(answer) {
  return answer.code === ERROR.PACKAGE_ALREADY_SHIPPED ||
    /already\s+(been\s+)?shipped|has\s+been\s+shipped|already\s+(rts|ready\s+to\s+ship)/i.test(answer.message ?? answer.fail_reason ?? '');
}

/** A refusal as a delivery result: retry what was not the request's fault, fail the rest. */
function refused(answer, what) {
  const detail = { code: answer.code, message: `${what}: ${answer.message}`, request_id: answer.requestId };
  if (answer.transient) return { status: 'retry', ...detail };
  if (CREDENTIAL_CODES.has(answer.code)) return { status: 'retry', reason: 'credentials', ...detail };
  return { status: 'failed', ...detail };
}

async function orderDetail(client, orderId) {
  const r = await client.getOrderDetail([orderId]);
  if (!r.ok) return { answer: r };
  return { order: r.data.order_list?.find((o) => String(o.order_id) === orderId) ?? null };
}

async function shipOne(client, packageId, method) {
  const r = await client.shipPackage({ packageId, method });
  if (r.ok) {
    const failed = (r.data.fail_packages ?? []).find((p) => String(p.package_id) === packageId);
    if (!failed) return { package_id: packageId, status: 'done' };
    if (isAlreadyShipped(failed)) return { package_id: packageId, status: 'done', already: true };
    // A success that lists this package as failed: this package was not shipped.
    return { package_id: packageId, status: 'failed', code: failed.fail_code, message: failed.fail_reason };
  }
  if (isAlreadyShipped(r)) return { package_id: packageId, status: 'done', already: true };
  const result = refused(r, `ship package ${packageId}`);
  if (result.status !== 'failed') return { package_id: packageId, ...result };
  // Refused for another reason: if the package is shipped all the same, the call is done.
  const d = await client.getPackageDetail(packageId);
  const st = d.ok ? Number(d.data.package_status) : 0;
  if (st >= PACKAGE_STATUS.PROCESSING && st !== PACKAGE_STATUS.CANCELLED) return { package_id: packageId, status: 'done', already: true };
  return { package_id: packageId, ...result };
}

async function deliverShip(client, call) {
  if (call.method !== 'pickup' && call.method !== 'dropoff') {
    return { status: 'failed', code: 'NO_HANDOVER_METHOD', message: `order ${call.order_id} has no pickup or drop-off method` };
  }
  const { order, answer } = await orderDetail(client, call.order_id);
  if (answer) return refused(answer, `order detail ${call.order_id}`);
  if (!order) return { status: 'failed', code: ERROR.ORDER_NOT_FOUND, message: `the marketplace does not know order ${call.order_id}` };
  const ids = (order.package_list ?? []).map((p) => String(p.package_id)).filter(Boolean);
  if (ids.length === 0) return { status: 'failed', code: 'NO_PACKAGE', message: `the marketplace lists no package for order ${call.order_id}` };
  const packages = [];
  for (const id of ids) packages.push(await shipOne(client, id, call.method));
  const status = packages.some((p) => p.status === 'retry') ? 'retry'
    : packages.some((p) => p.status === 'failed') ? 'failed' : 'done';
  const first = packages.find((p) => p.status === status && p.status !== 'done');
  return { status, packages, ...(first ? { code: first.code, message: first.message } : {}),
    ...(status === 'done' && packages.every((p) => p.already) ? { already: true } : {}) };
}

/** The marketplace's cancel_reason_key for a packdesk reason (the keys of its reason list). */
export function cancelReasonKey(reason) {
  if (/stock/i.test(reason)) return 'seller_cancel_unpaid_reason_out_of_stock_uk';
  if (/price/i.test(reason)) return 'seller_cancel_reason_wrong_price_uk';
  return 'cancelled_by_customer';
}

async function deliverCancel(client, call, options) {
  const r = await client.cancelOrder({ orderId: call.order_id, reasonKey: (options.cancelReasonKey ?? cancelReasonKey)(call.reason) });
  if (r.ok) return { status: 'done' };
  const result = refused(r, `cancel order ${call.order_id}`);
  if (result.status !== 'failed') return result;
  const { order } = await orderDetail(client, call.order_id);
  if (order && Number(order.order_status) === ORDER_STATUS.CANCELLED) return { status: 'done', already: true };
  return result;
}

async function reverseOrders(client, call) {
  const r = await client.listReverseOrders({ orderId: call.order_id });
  if (!r.ok) return { answer: r };
  const type = call.request_kind ? REVERSE_TYPE[call.request_kind] : undefined;
  const mine = (r.data.reverse_list ?? []).filter((x) => String(x.order_id) === call.order_id &&
    (type === undefined || Number(x.reverse_type) === type));
  const pending = mine.filter((x) => Number(x.reverse_status_value) === REVERSE_STATUS.APPLYING)
    .sort((a, b) => Number(a.reverse_request_time ?? 0) - Number(b.reverse_request_time ?? 0));
  const approve = call.kind === 'approve_request';
  const answered = mine.find((x) => {
    const st = Number(x.reverse_status_value);
    return approve ? st !== REVERSE_STATUS.APPLYING && st !== REVERSE_STATUS.REJECTED : st === REVERSE_STATUS.REJECTED;
  });
  return { pending, answered };
}

async function deliverAnswer(client, call, options) {
  const what = `${call.kind === 'approve_request' ? 'approve' : 'reject'} ${call.request_kind ?? 'request'} of order ${call.order_id}`;
  const found = await reverseOrders(client, call);
  if (found.answer) return refused(found.answer, what);
  if (found.pending.length === 0) {
    if (found.answered) return { status: 'done', already: true, reverse_order_id: String(found.answered.reverse_order_id) };
    return { status: 'failed', code: 'NO_PENDING_REQUEST', message: `${what}: the marketplace has no pending request` };
  }
  const reverseOrderId = String(found.pending[0].reverse_order_id);
  const r = call.kind === 'approve_request'
    ? await client.confirmReverse(reverseOrderId)
    : await client.rejectReverse({ reverseOrderId, reasonKey: options.rejectReasonKey ?? 'reverse_reject_request_reason_1', comments: call.reason });
  if (r.ok) return { status: 'done', reverse_order_id: reverseOrderId };
  const result = refused(r, what);
  if (result.status !== 'failed') return { ...result, reverse_order_id: reverseOrderId };
  const again = await reverseOrders(client, call);
  if (!again.answer && again.pending.length === 0 && again.answered) return { status: 'done', already: true, reverse_order_id: reverseOrderId };
  return { ...result, reverse_order_id: reverseOrderId };
}

/**
 * Sends one call (a marketplaceCalls() item) through a client.mjs client. Never throws for what
 * the marketplace answers; options: {cancelReasonKey(reason), rejectReasonKey}.
 */
export async function deliverCall(call, client, options = {}) {
  switch (call?.kind) {
    case 'ship': return deliverShip(client, call);
    case 'cancel_order': return deliverCancel(client, call, options);
    case 'approve_request':
    case 'reject_request': return deliverAnswer(client, call, options);
    default: throw new TypeError(`not a marketplace call: ${JSON.stringify(call?.kind)}`);
  }
}
