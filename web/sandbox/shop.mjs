// shop.mjs: the sandbox marketplace's one shop, in memory: orders, their packages, the buyers'
// cancellation / return requests (reverse orders), and what happens to them, as the API's calls
// (ship, cancel, answer a request) and the sandbox's own plays (new orders, carrier scans, buyer
// requests) make it happen. Every change the real marketplace would announce calls
// `notify(type, data)` (webhooks.mjs signs and sends it).
//
// The API's refusals throw ApiError (the gateway answers it in the API's envelope, HTTP 200);
// a play that makes no sense (a scan with no parcel on its way) throws PlayError (HTTP 409).
//
// snapshot() is everything the shop holds as plain JSON, and createShop({state}) starts from one:
// how the sandbox outlives a restart (state-file.mjs; `make run` keeps it in the data folder).
import { ERROR, ORDER_STATUS, ORDER_STATUS_NAME, PACKAGE_STATUS, PICK_UP_TYPE, REVERSE_STATUS, REVERSE_TYPE,
  WEBHOOK_TYPE } from '../server/marketplace/legacy.mjs';

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class PlayError extends Error {
  constructor(message, status = 409) {
    super(message);
    this.status = status;
  }
}

export const SCANS = ['picked_up', 'dropped_off', 'in_transit', 'delivery_failed', 'delivered', 'damaged'];

const SCAN_TEXT = {
  picked_up: 'The carrier picked up your package.',
  dropped_off: 'Your package was dropped off at the carrier.',
  in_transit: 'Your package is on its way.',
  delivery_failed: 'Delivery attempt failed: the buyer could not be reached.',
  delivered: 'Your package was delivered.',
  damaged: 'The carrier reported the package damaged.',
};

const NOT_SHIPPED = new Set([ORDER_STATUS.UNPAID, ORDER_STATUS.ON_HOLD, ORDER_STATUS.AWAITING_SHIPMENT]);

function clone(v) {
  return structuredClone(v);
}

function count(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

export const STATE_VERSION = 1;

function badState(message) {
  return new Error(`not a sandbox state: ${message}`);
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v) => typeof v === 'string' && /^\d{1,24}$/.test(v);
const counts = (v) => isObject(v) && Object.values(v).every((n) => Number.isSafeInteger(n) && n >= 0);

// Checks a snapshot() read back (a file can be damaged or edited): throws on the first thing wrong.
function checkState(state) {
  if (!isObject(state)) throw badState('not an object');
  if (state.version !== STATE_VERSION) throw badState(`version ${JSON.stringify(state.version)}, this sandbox knows ${STATE_VERSION}`);
  for (const key of ['orders', 'packages', 'reverses']) if (!Array.isArray(state[key])) throw badState(`${key} is not a list`);
  state.orders.forEach((o, i) => {
    if (!isObject(o) || !isObject(o.detail) || !isId(o.detail.order_id) || !Number.isSafeInteger(o.detail.order_status) ||
        !Array.isArray(o.detail.item_list) || !(o.fail_ship === null || isObject(o.fail_ship))) throw badState(`orders[${i}] is not an order`);
  });
  state.packages.forEach((p, i) => {
    if (!isObject(p) || !isId(p.package_id) || !isId(p.order_id) || !Array.isArray(p.tracking)) throw badState(`packages[${i}] is not a package`);
  });
  state.reverses.forEach((r, i) => {
    if (!isObject(r) || !isId(r.reverse_order_id) || !isId(r.order_id)) throw badState(`reverses[${i}] is not a reverse order`);
  });
  if (typeof state.reverse_seq !== 'string' || !/^\d{1,15}$/.test(state.reverse_seq)) throw badState('reverse_seq is not a count');
  const st = state.stats;
  if (!isObject(st) || !Number.isSafeInteger(st.orders_created) || !counts(st.ship_calls) || !counts(st.shipped)) throw badState('stats are not counts');
}

/**
 * The shop. `factory` makes orders (orders.mjs), `now()` gives ms, `notify(type, data)` is
 * called for every change a webhook announces; `state` (a snapshot()) is where it starts from.
 * Throws on a state that does not read as one.
 */
export function createShop({ factory, now = Date.now, notify = () => {}, state = null }) {
  const orders = new Map(); // order_id → {detail, failShip}
  const packages = new Map(); // package_id → {package_id, order_id, package_status, pick_up_type, tracking_number, tracking}
  const reverses = new Map(); // reverse_order_id → reverse order (the API's shape)
  let reverseSeq = 0n;
  const stats = { orders_created: 0, ship_calls: {}, shipped: {}, api_calls: {}, refused: {} };
  if (state !== null) {
    checkState(state);
    for (const o of state.orders) orders.set(o.detail.order_id, { detail: structuredClone(o.detail), failShip: o.fail_ship });
    for (const p of state.packages) packages.set(p.package_id, structuredClone(p));
    for (const r of state.reverses) reverses.set(r.reverse_order_id, structuredClone(r));
    reverseSeq = BigInt(state.reverse_seq);
    Object.assign(stats, { orders_created: state.stats.orders_created, ship_calls: { ...state.stats.ship_calls }, shipped: { ...state.stats.shipped } });
  }
  const seconds = () => Math.floor(now() / 1000);

  function orderOf(orderId, Err = ApiError) {
    const o = orders.get(String(orderId));
    if (!o) throw Err === ApiError ? new ApiError(ERROR.ORDER_NOT_FOUND, `Order ${orderId} does not exist`) : new PlayError(`no order ${orderId}`, 404);
    return o;
  }

  function packagesOf(orderId) {
    return [...packages.values()].filter((p) => p.order_id === orderId);
  }

  function setStatus(o, status) {
    const before = o.detail.order_status;
    o.detail.order_status = status;
    o.detail.update_time = seconds();
    if (before !== status) {
      notify(WEBHOOK_TYPE.ORDER_STATUS_CHANGE, { order_id: o.detail.order_id, order_status: ORDER_STATUS_NAME[status], update_time: o.detail.update_time });
    }
  }

  function track(pkg, text) {
    pkg.tracking.unshift({ update_time: seconds(), description: text });
    pkg.update_time = seconds();
  }

  // ---- plays ----

  /** New orders (`count` of them); `failShip` {fail_code, fail_reason} makes its ship call fail. */
  function createOrders({ count: n = 1, paid = true, lines, failShip = null } = {}) {
    const made = [];
    for (let i = 0; i < n; i++) {
      const detail = factory.next({ nowMs: now(), paid, lines });
      orders.set(detail.order_id, { detail, failShip });
      for (const { package_id: id } of detail.package_list) {
        packages.set(id, { package_id: id, order_id: detail.order_id, package_status: PACKAGE_STATUS.TO_FULFILL,
          pick_up_type: 0, tracking_number: '', create_time: seconds(), update_time: seconds(), tracking: [] });
      }
      stats.orders_created++;
      made.push(detail.order_id);
      notify(WEBHOOK_TYPE.ORDER_STATUS_CHANGE, { order_id: detail.order_id, order_status: ORDER_STATUS_NAME[detail.order_status], update_time: detail.update_time });
    }
    return made;
  }

  function pay(orderId) {
    const o = orderOf(orderId, PlayError);
    if (o.detail.order_status !== ORDER_STATUS.UNPAID) throw new PlayError(`order ${orderId} is not unpaid`);
    o.detail.paid_time = seconds();
    setStatus(o, ORDER_STATUS.AWAITING_SHIPMENT);
  }

  function setShipFailure(orderId, failure) {
    orderOf(orderId, PlayError).failShip = failure;
  }

  /** A carrier scan of the order's package; without `event`, the next natural one. */
  function scan(orderId, event) {
    const o = orderOf(orderId, PlayError);
    const pkg = packagesOf(o.detail.order_id).find((p) => p.package_status >= PACKAGE_STATUS.PROCESSING &&
      p.package_status <= PACKAGE_STATUS.FULFILLING);
    if (!pkg) throw new PlayError(`order ${orderId} has no package on its way (not shipped, or already delivered)`);
    const handedOver = pkg.package_status === PACKAGE_STATUS.FULFILLING;
    const first = pkg.pick_up_type === PICK_UP_TYPE.pickup ? 'picked_up' : 'dropped_off';
    const e = event ?? (handedOver ? 'delivered' : first);
    if (!SCANS.includes(e)) throw new PlayError(`event must be one of ${SCANS.join(', ')}`, 400);
    if (e === 'picked_up' || e === 'dropped_off') {
      if (handedOver) throw new PlayError(`order ${orderId}'s package is already with the carrier`);
      if (e !== first) throw new PlayError(`order ${orderId}'s package is a ${first === 'picked_up' ? 'pickup' : 'drop-off'}: the scan is ${first}`);
    } else if (e !== 'damaged' && !handedOver) {
      throw new PlayError(`order ${orderId}'s package is not with the carrier yet (${first} first)`);
    }
    track(pkg, SCAN_TEXT[e]);
    let status = o.detail.order_status;
    if (e === 'picked_up' || e === 'dropped_off') {
      pkg.package_status = PACKAGE_STATUS.FULFILLING;
      status = ORDER_STATUS.IN_TRANSIT;
    } else if (e === 'delivered') {
      pkg.package_status = PACKAGE_STATUS.COMPLETED;
      status = ORDER_STATUS.DELIVERED;
    }
    // The package update first, then the order's status: a receiver that applies them in order
    // records the scan itself before the status it implies.
    notify(WEBHOOK_TYPE.PACKAGE_UPDATE, { order_id: o.detail.order_id, package_id: pkg.package_id, package_status: pkg.package_status,
      tracking_number: pkg.tracking_number, tracking_event: e.toUpperCase(), update_time: seconds() });
    setStatus(o, status);
    return { order_id: o.detail.order_id, event: e, package_id: pkg.package_id };
  }

  function openReverse(o, type, reason) {
    reverseSeq += 1n;
    const t = seconds();
    const rev = {
      reverse_order_id: String(4035225000000000000n + BigInt(t) * 1000n + reverseSeq), order_id: o.detail.order_id,
      reverse_type: type, reverse_status_value: REVERSE_STATUS.APPLYING, return_reason: reason,
      refund_total: String(o.detail.payment_info.total_amount), currency: o.detail.payment_info.currency,
      return_item_list: o.detail.item_list.map((it) => ({ return_product_id: it.product_id, return_product_name: it.product_name,
        sku_id: it.sku_id, seller_sku: it.seller_sku, sku_name: it.sku_name, return_quantity: it.quantity, product_images: '' })),
      reverse_record_list: [{ description: '', update_time: t, reason_text: reason, additional_message: '', additional_image_list: [] }],
      reverse_request_time: t, reverse_update_time: t, return_tracking_id: '',
    };
    reverses.set(rev.reverse_order_id, rev);
    return rev;
  }

  function pendingReverse(orderId) {
    return [...reverses.values()].find((r) => r.order_id === orderId && r.reverse_status_value === REVERSE_STATUS.APPLYING);
  }

  /** The buyer asks to cancel (before the order is shipped). */
  function buyerCancel(orderId, reason = 'I ordered by mistake') {
    const o = orderOf(orderId, PlayError);
    if (o.detail.order_status !== ORDER_STATUS.AWAITING_SHIPMENT && o.detail.order_status !== ORDER_STATUS.ON_HOLD) {
      throw new PlayError(`order ${orderId} is ${ORDER_STATUS_NAME[o.detail.order_status]}: a buyer asks to cancel a paid order not yet shipped`);
    }
    if (pendingReverse(o.detail.order_id)) throw new PlayError(`order ${orderId} already has a pending request`);
    const rev = openReverse(o, REVERSE_TYPE.cancel, reason);
    notify(WEBHOOK_TYPE.CANCELLATION_STATUS_CHANGE, { order_id: o.detail.order_id, cancellations_role: 'BUYER',
      cancel_status: 'CANCELLATION_REQUEST_PENDING', cancel_id: rev.reverse_order_id, cancel_reason: reason,
      create_time: rev.reverse_request_time, update_time: rev.reverse_update_time });
    return rev.reverse_order_id;
  }

  /** The buyer asks for a return (kind 'return') or a refund only (kind 'refund') once delivered. */
  function buyerReturn(orderId, kind = 'return', reason = 'The item does not match the description') {
    const o = orderOf(orderId, PlayError);
    if (kind !== 'return' && kind !== 'refund') throw new PlayError("kind must be 'return' or 'refund'", 400);
    if (o.detail.order_status !== ORDER_STATUS.DELIVERED && o.detail.order_status !== ORDER_STATUS.COMPLETED) {
      throw new PlayError(`order ${orderId} is ${ORDER_STATUS_NAME[o.detail.order_status]}: a buyer asks for a ${kind} once delivered`);
    }
    if (pendingReverse(o.detail.order_id)) throw new PlayError(`order ${orderId} already has a pending request`);
    const rev = openReverse(o, REVERSE_TYPE[kind], reason);
    notify(WEBHOOK_TYPE.RETURN_STATUS_CHANGE, { order_id: o.detail.order_id, return_role: 'BUYER',
      return_type: kind === 'refund' ? 'REFUND' : 'RETURN_AND_REFUND', return_status: 'RETURN_OR_REFUND_REQUEST_PENDING',
      return_id: rev.reverse_order_id, return_reason: reason, create_time: rev.reverse_request_time, update_time: rev.reverse_update_time });
    return rev.reverse_order_id;
  }

  // ---- the API ----

  function searchOrders({ orderStatus, updateTimeFrom, updateTimeTo, offset, pageSize }) {
    const all = [...orders.values()].map((o) => o.detail).filter((d) =>
      (orderStatus === undefined || d.order_status === orderStatus) &&
      (updateTimeFrom === undefined || d.update_time >= updateTimeFrom) &&
      (updateTimeTo === undefined || d.update_time <= updateTimeTo));
    const page = all.slice(offset, offset + pageSize);
    const more = offset + pageSize < all.length;
    return {
      order_list: page.map((d) => ({ order_id: d.order_id, order_status: d.order_status, update_time: d.update_time })),
      more, next_cursor: more ? Buffer.from(`offset:${offset + pageSize}`).toString('base64') : '',
    };
  }

  function orderDetail(ids) {
    return { order_list: ids.filter((id) => orders.has(id)).map((id) => clone(orders.get(id).detail)) };
  }

  function packageOf(packageId) {
    const pkg = packages.get(String(packageId));
    if (!pkg) throw new ApiError(ERROR.PACKAGE_NOT_FOUND, `Package ${packageId} does not exist`);
    return pkg;
  }

  /** /api/fulfillment/rts: every call is counted, whatever it answers. */
  function shipPackage(packageId, pickUpType) {
    count(stats.ship_calls, String(packageId));
    const pkg = packageOf(packageId);
    if (pickUpType !== PICK_UP_TYPE.pickup && pickUpType !== PICK_UP_TYPE.dropoff) {
      throw new ApiError(ERROR.PARAM, 'Invalid parameter. pick_up_type must be 1 (pickup) or 2 (drop-off).');
    }
    const o = orderOf(pkg.order_id);
    if (pkg.package_status >= PACKAGE_STATUS.PROCESSING && pkg.package_status <= PACKAGE_STATUS.COMPLETED) {
      throw new ApiError(ERROR.PACKAGE_ALREADY_SHIPPED, `Package ${pkg.package_id} has already been shipped`);
    }
    if (o.detail.order_status === ORDER_STATUS.CANCELLED) throw new ApiError(ERROR.ORDER_STATUS_NOT_ALLOWED, 'The order has been cancelled');
    if (o.detail.order_status === ORDER_STATUS.UNPAID) throw new ApiError(ERROR.ORDER_STATUS_NOT_ALLOWED, 'The order has not been paid');
    if (o.failShip) {
      // Success overall, this package failed: the shape of fulfillment/8-ShipPackage.json.
      return { fail_packages: [{ fail_code: o.failShip.fail_code, fail_reason: o.failShip.fail_reason, package_id: pkg.package_id }] };
    }
    pkg.package_status = PACKAGE_STATUS.PROCESSING;
    pkg.pick_up_type = pickUpType;
    pkg.tracking_number = `SBX${pkg.package_id.slice(-10)}`;
    track(pkg, 'Your order was processed and your package is ready to ship.');
    o.detail.tracking_number = pkg.tracking_number;
    count(stats.shipped, pkg.package_id);
    setStatus(o, ORDER_STATUS.AWAITING_COLLECTION);
    return { fail_packages: [] };
  }

  function packageDetail(packageId) {
    const pkg = packageOf(packageId);
    const o = orderOf(pkg.order_id);
    return {
      package_id: pkg.package_id, package_status: pkg.package_status, pick_up_type: pkg.pick_up_type,
      tracking_number: pkg.tracking_number, shipping_provider: o.detail.shipping_provider,
      shipping_provider_id: o.detail.shipping_provider_id, create_time: pkg.create_time, update_time: pkg.update_time,
      order_info_list: [{ order_id: pkg.order_id, sku_list: o.detail.item_list.map((it) => ({ sku_id: it.sku_id,
        sku_name: it.sku_name, sku_image: it.sku_image, quantity: String(it.quantity) })) }],
      order_line_id_list: o.detail.order_line_list.map((l) => l.order_line_id),
    };
  }

  function packageTracking(packageId) {
    return { tracking_info_list: clone(packageOf(packageId).tracking) };
  }

  function orderTracking(orderId) {
    const o = orderOf(orderId);
    return { tracking_info_list: packagesOf(o.detail.order_id).map((p) => ({
      tracking_info: p.tracking.map((t) => ({ update_time: t.update_time * 1000, description: t.description })),
    })) };
  }

  /** /api/reverse/order/cancel: the seller cancels an order not yet shipped. */
  function cancelOrder(orderId, reasonKey) {
    const o = orderOf(orderId);
    if (o.detail.order_status === ORDER_STATUS.CANCELLED) throw new ApiError(ERROR.ORDER_ALREADY_CANCELLED, 'The order has already been cancelled');
    if (!NOT_SHIPPED.has(o.detail.order_status)) throw new ApiError(ERROR.ORDER_STATUS_NOT_ALLOWED, 'The order has been shipped and can no longer be cancelled');
    for (const rev of reverses.values()) {
      if (rev.order_id === o.detail.order_id && rev.reverse_status_value === REVERSE_STATUS.APPLYING) answered(rev, REVERSE_STATUS.CLOSED);
    }
    closeAsCancelled(o, 'SELLER', reasonKey);
    return { reverse_main_order_id: o.detail.order_id };
  }

  function closeAsCancelled(o, by, reason) {
    o.detail.cancel_user = by;
    o.detail.cancel_reason = reason;
    for (const p of packagesOf(o.detail.order_id)) p.package_status = PACKAGE_STATUS.CANCELLED;
    setStatus(o, ORDER_STATUS.CANCELLED);
  }

  function reverseList({ orderId, reverseOrderId, reverseType, reverseStatus, updateTimeFrom, updateTimeTo, offset, size }) {
    const all = [...reverses.values()].filter((r) =>
      (orderId === undefined || r.order_id === orderId) && (reverseOrderId === undefined || r.reverse_order_id === reverseOrderId) &&
      (reverseType === undefined || r.reverse_type === reverseType) && (reverseStatus === undefined || r.reverse_status_value === reverseStatus) &&
      (updateTimeFrom === undefined || r.reverse_update_time >= updateTimeFrom) && (updateTimeTo === undefined || r.reverse_update_time <= updateTimeTo));
    return { reverse_list: clone(all.slice(offset, offset + size)), more: offset + size < all.length };
  }

  function reverseOf(id) {
    const rev = reverses.get(String(id));
    if (!rev) throw new ApiError(ERROR.REVERSE_NOT_FOUND, `Reverse order ${id} does not exist`);
    if (rev.reverse_status_value !== REVERSE_STATUS.APPLYING) {
      throw new ApiError(ERROR.REVERSE_STATUS_NOT_ALLOWED, 'The reverse order status does not allow this operation');
    }
    return rev;
  }

  function answered(rev, status) {
    rev.reverse_status_value = status;
    rev.reverse_update_time = seconds();
  }

  /** /api/reverse/reverse_request/confirm: the seller approves the buyer's request. */
  function confirmReverse(id) {
    const rev = reverseOf(id);
    const o = orderOf(rev.order_id);
    if (rev.reverse_type === REVERSE_TYPE.cancel) {
      if (!NOT_SHIPPED.has(o.detail.order_status)) throw new ApiError(ERROR.REVERSE_STATUS_NOT_ALLOWED, 'The order has been shipped');
      answered(rev, REVERSE_STATUS.SUCCESS);
      notify(WEBHOOK_TYPE.CANCELLATION_STATUS_CHANGE, { order_id: o.detail.order_id, cancellations_role: 'BUYER',
        cancel_status: 'CANCELLATION_REQUEST_SUCCESS', cancel_id: rev.reverse_order_id, update_time: rev.reverse_update_time });
      closeAsCancelled(o, 'BUYER', rev.return_reason);
    } else {
      const refundOnly = rev.reverse_type === REVERSE_TYPE.refund;
      answered(rev, refundOnly ? REVERSE_STATUS.SUCCESS : REVERSE_STATUS.RETURNING);
      notify(WEBHOOK_TYPE.RETURN_STATUS_CHANGE, { order_id: o.detail.order_id, return_role: 'BUYER',
        return_type: refundOnly ? 'REFUND' : 'RETURN_AND_REFUND', return_status: refundOnly ? 'RETURN_OR_REFUND_REQUEST_COMPLETE' : 'AWAITING_BUYER_SHIP',
        return_id: rev.reverse_order_id, update_time: rev.reverse_update_time });
    }
    return {};
  }

  /** /api/reverse/reverse_request/reject: the seller rejects it, with a reason key. */
  function rejectReverse(id, reasonKey, comments) {
    const rev = reverseOf(id);
    answered(rev, REVERSE_STATUS.REJECTED);
    rev.reverse_record_list.push({ description: comments, update_time: rev.reverse_update_time, reason_text: reasonKey,
      additional_message: '', additional_image_list: [] });
    if (rev.reverse_type === REVERSE_TYPE.cancel) {
      notify(WEBHOOK_TYPE.CANCELLATION_STATUS_CHANGE, { order_id: rev.order_id, cancellations_role: 'BUYER',
        cancel_status: 'CANCELLATION_REQUEST_REJECT', cancel_id: rev.reverse_order_id, update_time: rev.reverse_update_time });
    } else {
      notify(WEBHOOK_TYPE.RETURN_STATUS_CHANGE, { order_id: rev.order_id, return_role: 'BUYER',
        return_type: rev.reverse_type === REVERSE_TYPE.refund ? 'REFUND' : 'RETURN_AND_REFUND',
        return_status: 'RETURN_OR_REFUND_REQUEST_REJECT', return_id: rev.reverse_order_id, update_time: rev.reverse_update_time });
    }
    return {};
  }

  /** What a play may act on next (for --play-every): shipped parcels and orders a buyer may cancel. */
  function playable() {
    const moving = [...packages.values()].filter((p) => p.package_status === PACKAGE_STATUS.PROCESSING || p.package_status === PACKAGE_STATUS.FULFILLING)
      .map((p) => p.order_id);
    const cancellable = [...orders.values()].filter((o) => o.detail.order_status === ORDER_STATUS.AWAITING_SHIPMENT && !pendingReverse(o.detail.order_id))
      .map((o) => o.detail.order_id);
    return { moving, cancellable };
  }

  /** One order as the sandbox holds it (control API, tests): detail, packages, requests. */
  function inspect(orderId) {
    const o = orderOf(orderId, PlayError);
    return {
      detail: clone(o.detail), fail_ship: o.failShip,
      packages: clone(packagesOf(o.detail.order_id)),
      reverses: clone([...reverses.values()].filter((r) => r.order_id === o.detail.order_id)),
    };
  }

  /**
   * Everything the shop holds, as plain JSON (not a copy: serialize it at once). The API's call
   * counters (api_calls, refused) are left out: reads change them, and a read changes no state.
   */
  function snapshot() {
    return {
      version: STATE_VERSION,
      orders: [...orders.values()].map((o) => ({ detail: o.detail, fail_ship: o.failShip })),
      packages: [...packages.values()], reverses: [...reverses.values()], reverse_seq: String(reverseSeq),
      stats: { orders_created: stats.orders_created, ship_calls: stats.ship_calls, shipped: stats.shipped },
    };
  }

  return {
    snapshot, stats, createOrders, pay, setShipFailure, scan, buyerCancel, buyerReturn, playable, inspect,
    searchOrders, orderDetail, shipPackage, packageDetail, packageTracking, orderTracking, cancelOrder,
    reverseList, confirmReverse, rejectReverse,
    orderIds: () => [...orders.keys()],
  };
}
