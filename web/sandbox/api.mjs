// api.mjs: the sandbox's endpoints of the legacy TikTok Shop Open API, same paths, methods and
// bodies as the marketplace's (see ../shared/fixtures/tiktok-legacy/): each reads its
// arguments, checks them the way the API does (ApiError 36009004 for a bad one), and calls
// the shop.
import { ApiError } from './shop.mjs';
import { ERROR } from '../server/marketplace/legacy.mjs';

function param(message) {
  return new ApiError(ERROR.PARAM, `Invalid parameter. ${message}`);
}

function object(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw param('The request body must be a JSON object.');
  return body;
}

function id(v, name, required = true) {
  if (v === undefined || v === null || v === '') {
    if (required) throw param(`\`${name}\` is required.`);
    return undefined;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v !== 'string' || !/^\d{1,24}$/.test(v)) throw param(`\`${name}\` must be an id (a string of digits).`);
  return v;
}

function int(v, name, { min = 0, max = Number.MAX_SAFE_INTEGER, required = false } = {}) {
  if (v === undefined || v === null) {
    if (required) throw param(`\`${name}\` is required.`);
    return undefined;
  }
  if (!Number.isSafeInteger(v) || v < min || v > max) throw param(`\`${name}\` must be an integer from ${min} to ${max}.`);
  return v;
}

function cursorOffset(cursor) {
  if (cursor === undefined || cursor === '') return 0;
  const m = typeof cursor === 'string' ? /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64').toString('utf8')) : null;
  if (!m) throw param('`cursor` is not a cursor this API gave.');
  return Number(m[1]);
}

/**
 * The endpoints that only read: nothing to save after them (state-file.mjs), which spares
 * serializing the whole shop on every order fetch.
 */
export const READS = new Set(['POST /api/orders/search', 'POST /api/orders/detail/query', 'GET /api/fulfillment/detail',
  'GET /api/fulfillment/shipping_info', 'GET /api/logistics/ship/get', 'POST /api/reverse/reverse_order/list']);

/** method + path → handler(shop, {query, body}) → data. */
export const ENDPOINTS = {
  'POST /api/orders/search': (shop, { body }) => {
    const b = object(body);
    return shop.searchOrders({
      pageSize: int(b.page_size, 'page_size', { min: 1, max: 100, required: true }), offset: cursorOffset(b.cursor),
      orderStatus: int(b.order_status, 'order_status'), updateTimeFrom: int(b.update_time_from, 'update_time_from'),
      updateTimeTo: int(b.update_time_to, 'update_time_to'),
    });
  },
  'POST /api/orders/detail/query': (shop, { body }) => {
    const list = object(body).order_id_list;
    if (!Array.isArray(list) || list.length < 1 || list.length > 50) throw param('`order_id_list` must hold 1 to 50 order ids.');
    return shop.orderDetail(list.map((v) => id(v, 'order_id_list[]')));
  },
  'POST /api/fulfillment/rts': (shop, { body }) => {
    const b = object(body);
    return shop.shipPackage(id(b.package_id, 'package_id'), int(b.pick_up_type, 'pick_up_type', { required: true }));
  },
  'GET /api/fulfillment/detail': (shop, { query }) => shop.packageDetail(id(query.get('package_id'), 'package_id')),
  'GET /api/fulfillment/shipping_info': (shop, { query }) => shop.packageTracking(id(query.get('package_id'), 'package_id')),
  'GET /api/logistics/ship/get': (shop, { query }) => shop.orderTracking(id(query.get('order_id'), 'order_id')),
  'POST /api/reverse/order/cancel': (shop, { body }) => {
    const b = object(body);
    if (typeof b.cancel_reason_key !== 'string' || b.cancel_reason_key === '') throw param('`cancel_reason_key` is required.');
    return shop.cancelOrder(id(b.order_id, 'order_id'), b.cancel_reason_key);
  },
  'POST /api/reverse/reverse_order/list': (shop, { body }) => {
    const b = object(body);
    return shop.reverseList({
      offset: int(b.offset, 'offset', { required: true }), size: int(b.size, 'size', { min: 1, max: 100, required: true }),
      orderId: id(b.order_id, 'order_id', false), reverseOrderId: id(b.reverse_order_id, 'reverse_order_id', false),
      reverseType: int(b.reverse_type, 'reverse_type'), reverseStatus: int(b.reverse_order_status, 'reverse_order_status'),
      updateTimeFrom: int(b.update_time_from, 'update_time_from'), updateTimeTo: int(b.update_time_to, 'update_time_to'),
    });
  },
  'POST /api/reverse/reverse_request/confirm': (shop, { body }) => shop.confirmReverse(id(object(body).reverse_order_id, 'reverse_order_id')),
  'POST /api/reverse/reverse_request/reject': (shop, { body }) => {
    const b = object(body);
    if (typeof b.reverse_reject_reason_key !== 'string' || b.reverse_reject_reason_key === '') {
      throw param('`reverse_reject_reason_key` is required.');
    }
    if (b.reverse_reject_comments !== undefined && typeof b.reverse_reject_comments !== 'string') {
      throw param('`reverse_reject_comments` must be a string.');
    }
    return shop.rejectReverse(id(b.reverse_order_id, 'reverse_order_id'), b.reverse_reject_reason_key, b.reverse_reject_comments ?? '');
  },
};
