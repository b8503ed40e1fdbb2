// client.mjs: a client of the legacy TikTok Shop Open API (or the sandbox, which speaks it):
// every request signed (sign.mjs), every answer read from its envelope {code, message,
// request_id, data}.
//
//   const api = createClient({baseUrl, appKey, appSecret, shopId, accessToken});
//   const r = await api.getOrderDetail(['576461413038785752']);
//   // → {ok: true, data: {order_list: [...]}, requestId} or
//   //   {ok: false, code, message, requestId, httpStatus, transient}
//
// An API refusal is a result, never a throw: the caller (calls.mjs) decides what it means.
// `transient` marks what deserves another try (network, HTTP 5xx/429, rate limit, internal
// error). Only a programming error (a bad argument) throws.
import { signedQuery } from './sign.mjs';
import { PICK_UP_TYPE, TRANSIENT_CODES } from './legacy.mjs';

const MAX_ANSWER = 8 << 20; // an order page is a few hundred KB at most

function need(value, name) {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} is required (a non-empty string)`);
  return value;
}

function idList(ids, name, max) {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > max) throw new TypeError(`${name} must be 1 to ${max} ids`);
  return ids.map((id) => need(String(id), name));
}

/**
 * A client. `fetch` is injectable (tests, proxies); `now` gives the time in ms (the signed
 * timestamp is its seconds); `timeoutMs` bounds each request.
 */
export function createClient({ baseUrl, appKey, appSecret, shopId, accessToken, fetch = globalThis.fetch,
  now = Date.now, timeoutMs = 15000 } = {}) {
  need(baseUrl, 'baseUrl');
  need(appKey, 'appKey');
  need(appSecret, 'appSecret');
  need(shopId, 'shopId');
  need(accessToken, 'accessToken');
  const base = baseUrl.replace(/\/+$/, '');

  /** The URL of a signed request: what tests compare with the fixtures' queries. */
  function url(path, params = {}) {
    const query = signedQuery(path, {
      ...params, access_token: accessToken, app_key: appKey, shop_id: shopId,
      timestamp: Math.floor(now() / 1000),
    }, appSecret);
    return `${base}${path}?${query}`;
  }

  async function call(method, path, { params, body } = {}) {
    const target = url(path, params);
    const init = { method, headers: { 'content-type': 'application/json', 'user-agent': 'packdesk' },
      signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) init.body = JSON.stringify(body);
    let res;
    let text;
    try {
      res = await fetch(target, init);
      text = await res.text();
    } catch (err) {
      return { ok: false, code: 'NETWORK', message: `${method} ${path}: ${err.message}`, transient: true };
    }
    if (text.length > MAX_ANSWER) {
      return { ok: false, code: 'BAD_ANSWER', message: `${path}: answer over ${MAX_ANSWER} bytes`, httpStatus: res.status, transient: true };
    }
    let env;
    try {
      env = JSON.parse(text);
    } catch {
      env = null;
    }
    if (!env || typeof env !== 'object' || typeof env.code !== 'number') {
      return { ok: false, code: 'BAD_ANSWER', message: `${path}: HTTP ${res.status}, not an API envelope`,
        httpStatus: res.status, transient: res.status >= 500 || res.status === 429 };
    }
    if (env.code !== 0) {
      return { ok: false, code: env.code, message: String(env.message ?? ''), requestId: env.request_id,
        httpStatus: res.status, transient: TRANSIENT_CODES.has(env.code) || res.status >= 500 || res.status === 429 };
    }
    return { ok: true, data: env.data ?? {}, requestId: env.request_id, httpStatus: res.status };
  }

  return {
    url,
    call,
    /** POST /api/orders/search: a page of {order_id, order_status, update_time}. */
    searchOrders({ pageSize = 50, cursor, orderStatus, updateTimeFrom, updateTimeTo } = {}) {
      const body = { page_size: pageSize };
      if (cursor) body.cursor = cursor;
      if (orderStatus !== undefined) body.order_status = orderStatus;
      if (updateTimeFrom !== undefined) body.update_time_from = updateTimeFrom;
      if (updateTimeTo !== undefined) body.update_time_to = updateTimeTo;
      return call('POST', '/api/orders/search', { body });
    },
    /** POST /api/orders/detail/query: the full orders (the shape order.import takes). */
    getOrderDetail(orderIds) {
      return call('POST', '/api/orders/detail/query', { body: { order_id_list: idList(orderIds, 'orderIds', 50) } });
    },
    /**
     * POST /api/fulfillment/rts: the package is ready to ship, handed over by `method`
     * ('pickup' or 'dropoff'); `pickUp` {start, end} (seconds) is the pickup slot when known.
     * Success may still list failed packages in data.fail_packages.
     */
    shipPackage({ packageId, method, pickUp }) {
      if (!(method in PICK_UP_TYPE)) throw new TypeError("method must be 'pickup' or 'dropoff'");
      const body = { package_id: need(String(packageId ?? ''), 'packageId'), pick_up_type: PICK_UP_TYPE[method] };
      if (pickUp) body.pick_up = { pick_up_start_time: pickUp.start, pick_up_end_time: pickUp.end };
      return call('POST', '/api/fulfillment/rts', { body });
    },
    /** GET /api/fulfillment/detail: one package (its status, tracking number, orders). */
    getPackageDetail(packageId) {
      return call('GET', '/api/fulfillment/detail', { params: { package_id: need(String(packageId ?? ''), 'packageId') } });
    },
    /** GET /api/fulfillment/shipping_info: a package's tracking events. */
    getPackageTracking(packageId) {
      return call('GET', '/api/fulfillment/shipping_info', { params: { package_id: need(String(packageId ?? ''), 'packageId') } });
    },
    /** GET /api/logistics/ship/get: an order's tracking events. */
    getOrderTracking(orderId) {
      return call('GET', '/api/logistics/ship/get', { params: { order_id: need(String(orderId ?? ''), 'orderId') } });
    },
    /** POST /api/reverse/order/cancel: the seller cancels an order. */
    cancelOrder({ orderId, reasonKey }) {
      return call('POST', '/api/reverse/order/cancel', {
        body: { cancel_reason_key: need(reasonKey, 'reasonKey'), order_id: need(String(orderId ?? ''), 'orderId') },
      });
    },
    /**
     * POST /api/reverse/reverse_order/list: cancellation, refund and return requests (a page by
     * offset; `updateTimeFrom`/`To` in seconds select by their last update).
     */
    listReverseOrders({ orderId, reverseType, reverseOrderStatus, updateTimeFrom, updateTimeTo, offset = 0, size = 100 } = {}) {
      const body = { offset, size };
      if (updateTimeFrom !== undefined) body.update_time_from = updateTimeFrom;
      if (updateTimeTo !== undefined) body.update_time_to = updateTimeTo;
      if (orderId !== undefined) body.order_id = need(String(orderId), 'orderId');
      if (reverseType !== undefined) body.reverse_type = reverseType;
      if (reverseOrderStatus !== undefined) body.reverse_order_status = reverseOrderStatus;
      return call('POST', '/api/reverse/reverse_order/list', { body });
    },
    /** POST /api/reverse/reverse_request/confirm: the seller approves a buyer's request. */
    confirmReverse(reverseOrderId) {
      return call('POST', '/api/reverse/reverse_request/confirm', {
        body: { reverse_order_id: need(String(reverseOrderId ?? ''), 'reverseOrderId') },
      });
    },
    /** POST /api/reverse/reverse_request/reject: the seller rejects it, with a reason. */
    rejectReverse({ reverseOrderId, reasonKey, comments }) {
      return call('POST', '/api/reverse/reverse_request/reject', {
        body: {
          reverse_order_id: need(String(reverseOrderId ?? ''), 'reverseOrderId'),
          reverse_reject_reason_key: need(reasonKey, 'reasonKey'),
          reverse_reject_comments: String(comments ?? ''),
        },
      });
    },
  };
}
