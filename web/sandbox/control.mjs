// control.mjs: the sandbox's own routes under /sandbox/: what a test or the demo asks the fake
// marketplace to do (create orders, play a carrier scan or a buyer's request, make a package's
// ship call fail) and what it has seen (stats: ship calls per package, webhooks). Unsigned and
// local: the sandbox listens on 127.0.0.1 only. Answers are JSON; errors {error: {code, message}}.
import { PlayError, SCANS } from './shop.mjs';
import { ERROR } from '../server/marketplace/legacy.mjs';

const TEXT_MAX = 500;

function bad(message) {
  return new PlayError(message, 400);
}

function text(v, name) {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > TEXT_MAX) throw bad(`${name} must be a non-empty string of at most ${TEXT_MAX} characters`);
  return v;
}

function failure(v) {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) return { fail_code: ERROR.INVALID_TRACKING_NUMBER, fail_reason: 'invalid tracking number' };
  if (typeof v !== 'object' || !Number.isSafeInteger(v.fail_code)) throw bad('fail_ship must be true or {fail_code, fail_reason}');
  return { fail_code: v.fail_code, fail_reason: text(v.fail_reason, 'fail_ship.fail_reason') ?? 'failed' };
}

function orderOptions(b) {
  const count = b.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 100) throw bad('count must be an integer from 1 to 100');
  if (b.paid !== undefined && typeof b.paid !== 'boolean') throw bad('paid must be true or false');
  if (b.lines !== undefined && (!Array.isArray(b.lines) || b.lines.some((l) => !l || typeof l.seller_sku !== 'string'))) {
    throw bad('lines must be [{seller_sku, quantity}]');
  }
  return { count, paid: b.paid ?? true, lines: b.lines, failShip: failure(b.fail_ship) };
}

/**
 * Handles a /sandbox/ request: resolves to [status, body]. `sandbox` is {shop, webhooks}.
 * Throws PlayError (its status) for what cannot be done; RangeError from the order factory is
 * a bad request too.
 */
export function control(sandbox, method, parts, body) {
  const { shop, webhooks } = sandbox;
  const b = body ?? {};
  const [what, orderId, action] = parts;
  if (what === 'stats' && method === 'GET' && parts.length === 1) return [200, { ...shop.stats, webhooks: webhooks.stats() }];
  if (what === 'webhooks' && method === 'GET' && parts.length === 1) return [200, { webhooks: webhooks.recent() }];
  if (what === 'webhook' && method === 'PUT' && parts.length === 1) {
    if (b.url !== null && (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))) throw bad('url must be an http(s) URL or null');
    webhooks.setUrl(b.url);
    return [200, { url: webhooks.url() }];
  }
  if (what !== 'orders') throw new PlayError(`no such sandbox route: ${method} /sandbox/${parts.join('/')}`, 404);
  if (parts.length === 1 && method === 'POST') {
    try {
      return [201, { order_ids: shop.createOrders(orderOptions(b)) }];
    } catch (err) {
      if (err instanceof RangeError) throw bad(err.message);
      throw err;
    }
  }
  if (parts.length === 1 && method === 'GET') return [200, { order_ids: shop.orderIds() }];
  if (parts.length === 2 && method === 'GET') return [200, shop.inspect(orderId)];
  const route = `${method} ${action}`;
  switch (parts.length === 3 ? route : '') {
    case 'POST pay':
      shop.pay(orderId);
      return [200, shop.inspect(orderId)];
    case 'POST scan': {
      const event = text(b.event, 'event');
      if (event !== undefined && !SCANS.includes(event)) throw bad(`event must be one of ${SCANS.join(', ')}`);
      return [200, shop.scan(orderId, event)];
    }
    case 'POST cancel-request':
      return [201, { reverse_order_id: shop.buyerCancel(orderId, text(b.reason, 'reason')) }];
    case 'POST return-request':
      return [201, { reverse_order_id: shop.buyerReturn(orderId, b.kind ?? 'return', text(b.reason, 'reason')) }];
    case 'PUT ship-failure':
      shop.setShipFailure(orderId, failure(Object.keys(b).length ? b : true));
      return [200, shop.inspect(orderId)];
    case 'DELETE ship-failure':
      shop.setShipFailure(orderId, null);
      return [200, shop.inspect(orderId)];
    default:
      throw new PlayError(`no such sandbox route: ${method} /sandbox/${parts.join('/')}`, 404);
  }
}
