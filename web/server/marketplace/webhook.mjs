// webhook.mjs: the marketplace's webhooks: checked, parsed, de-duplicated and turned into
// packdesk core commands.
//
// Signature: the `Authorization` header is the lowercase hex HMAC-SHA256, keyed with the app
// secret, of the app key followed by the raw body, byte for byte as received (so the route must
// hand over the raw bytes, not re-serialized JSON).
//
// A notification: {type, tts_notification_id, shop_id, timestamp, data}. Each becomes commands:
//   1  order status change        → order.import of the order as the API gives it (fetched:
//                                   the webhook only names the status), with the notification's
//                                   status and time; the core merges it (newer state wins where
//                                   the rules allow, never a duplicate)
//   4  package update             → carrier.event when it carries a carrier scan
//                                   (data.tracking_event), else order.import as for 1
//   11 cancellation status change → request.open {kind: cancel} when the buyer's request is
//                                   pending, else order.import (approved: the order is cancelled)
//   12 return status change       → request.open {kind: return | refund} when pending, else
//                                   order.import
// Other types are acknowledged and ignored. Every command carries an `op` made from the
// notification id, so even a duplicate that slipped past de-duplication applies once.
import { createHmac } from 'node:crypto';
import { sameHex } from './sign.mjs';
import { ORDER_STATUS, WEBHOOK_TYPE } from './legacy.mjs';

export const MAX_WEBHOOK_BYTES = 1 << 20;
const TEXT_MAX = 500;
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const KNOWN_STATUSES = new Set([...Object.keys(ORDER_STATUS), ...Object.values(ORDER_STATUS)]);
const CARRIER_EVENTS = new Set(['picked_up', 'dropped_off', 'in_transit', 'delivery_failed', 'delivered', 'damaged']);

class WebhookError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function bytes(rawBody) {
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (rawBody instanceof Uint8Array) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  throw new TypeError('rawBody must be a Buffer, Uint8Array or string');
}

/** The signature of a webhook body: what the marketplace (and the sandbox) put in Authorization. */
export function signWebhook(rawBody, appKey, appSecret) {
  return createHmac('sha256', appSecret).update(appKey, 'utf8').update(bytes(rawBody)).digest('hex');
}

/** Whether `signature` is the body's (constant-time; anything but lowercase hex is false). */
export function verifyWebhook(rawBody, signature, { appKey, appSecret }) {
  if (!appKey || !appSecret) throw new TypeError('appKey and appSecret are required');
  return sameHex(typeof signature === 'string' ? signature.trim() : '', signWebhook(rawBody, appKey, appSecret));
}

/** The signature header of a request's headers (Node lower-cases their names). */
export function signatureOf(headers) {
  const value = headers?.authorization;
  return Array.isArray(value) ? value[0] : value;
}

// ---- parsing ----

function bad(message) {
  return new WebhookError(400, 'BAD_REQUEST', message);
}

/** An id field: a string (or a safe integer: a larger number has already lost digits). */
function id(obj, key, where, required = true) {
  const v = obj[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(`${where}.${key} is required`);
    return undefined;
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw bad(`${where}.${key} must be a string: the number has lost digits`);
  const s = String(v);
  if ((typeof v !== 'string' && typeof v !== 'number') || !ID_RE.test(s)) throw bad(`${where}.${key} must be an id`);
  return s;
}

function text(obj, key, where) {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${where}.${key} must be a string`);
  return v;
}

/** A time in seconds (or ms, as some payloads have) → ms; undefined when absent. */
function time(obj, key, where) {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
  if (!Number.isSafeInteger(n) || n < 0) throw bad(`${where}.${key} must be a time in seconds`);
  return n > 1e11 ? n : n * 1000;
}

/**
 * Parses a webhook body. Returns {id, type, shopId, at, data}: `at` (ms) is when the change
 * happened (data.update_time, else the notification's timestamp). Throws a WebhookError (400)
 * for anything malformed: a known type must carry what its mapping reads.
 */
export function parseWebhook(rawBody) {
  let n;
  try {
    n = JSON.parse(bytes(rawBody).toString('utf8'));
  } catch {
    throw bad('the body is not JSON');
  }
  if (!n || typeof n !== 'object' || Array.isArray(n)) throw bad('the body must be a JSON object');
  if (!Number.isSafeInteger(n.type)) throw bad('type must be an integer');
  const notificationId = id(n, 'tts_notification_id', 'notification');
  const data = n.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw bad('data must be an object');
  const sent = time(n, 'timestamp', 'notification');
  const at = time(data, 'update_time', 'data') ?? sent;
  if (at === undefined) throw bad('notification.timestamp is required');
  const out = { id: notificationId, type: n.type, shopId: n.shop_id === undefined ? undefined : String(n.shop_id), at, data: {} };
  switch (n.type) {
    case WEBHOOK_TYPE.ORDER_STATUS_CHANGE:
      out.data = { orderId: id(data, 'order_id', 'data'), status: statusOf(data) };
      break;
    case WEBHOOK_TYPE.PACKAGE_UPDATE: {
      const event = text(data, 'tracking_event', 'data');
      if (event !== undefined && !CARRIER_EVENTS.has(event.toLowerCase())) throw bad(`data.tracking_event is not a carrier scan: ${JSON.stringify(event.slice(0, 40))}`);
      out.data = {
        orderId: id(data, 'order_id', 'data'), packageId: id(data, 'package_id', 'data', false),
        event: event?.toLowerCase(), trackingNumber: id(data, 'tracking_number', 'data', false),
      };
      break;
    }
    case WEBHOOK_TYPE.CANCELLATION_STATUS_CHANGE:
      out.data = {
        orderId: id(data, 'order_id', 'data'), status: required(text(data, 'cancel_status', 'data'), 'data.cancel_status'),
        role: text(data, 'cancellations_role', 'data'), reverseId: id(data, 'cancel_id', 'data', false),
        reason: text(data, 'cancel_reason', 'data'),
      };
      break;
    case WEBHOOK_TYPE.RETURN_STATUS_CHANGE:
      out.data = {
        orderId: id(data, 'order_id', 'data'), status: required(text(data, 'return_status', 'data'), 'data.return_status'),
        returnType: text(data, 'return_type', 'data'), role: text(data, 'return_role', 'data'),
        reverseId: id(data, 'return_id', 'data', false), reason: text(data, 'return_reason', 'data'),
      };
      break;
    default:
      break; // not one packdesk reads: acknowledged, ignored
  }
  return out;
}

function required(v, name) {
  if (v === undefined || v === '') throw bad(`${name} is required`);
  return v;
}

function statusOf(data) {
  const v = data.order_status;
  if (typeof v === 'string' && /^[A-Z_]{1,40}$/.test(v)) return v;
  if (Number.isSafeInteger(v)) return v;
  throw bad('data.order_status must be an order status');
}

// ---- mapping ----

function reasonText(given, fallback) {
  const t = typeof given === 'string' ? given.trim().slice(0, TEXT_MAX) : '';
  return t || fallback;
}

/**
 * The core commands of a parsed notification: [{cmd, at, op, ...}] (empty when it asks for
 * nothing). `fetchOrder(orderId)` resolves to the order as the API's order detail gives it, or
 * null when the marketplace does not know it; it may throw (the marketplace is unreachable).
 * `now()` (ms) caps `at`: a marketplace clock ahead of ours never dates a command in the future.
 */
export async function webhookCommands(notification, { fetchOrder, now = Date.now }) {
  const { id: nid, type, data } = notification;
  const at = Math.min(notification.at, now());
  const op = (i) => `mk-${nid}-${i}`;
  const importOrder = async (asOfNotification = false) => {
    const fetched = await fetchOrder(data.orderId);
    if (!fetched) return [];
    // The order is fetched now, and may have moved on since the notification (a parcel already
    // scanned and in transit): imported with the notification's own status and time, each
    // notification applies its own step, in order, and the package update between them (the
    // scan itself) is not skipped over. A status packdesk does not know keeps the fetched one.
    const order = asOfNotification && KNOWN_STATUSES.has(data.status)
      ? { ...fetched, order_status: data.status, update_time: Math.floor(notification.at / 1000) } : fetched;
    return [{ cmd: 'order.import', at, op: op(0), order }];
  };
  switch (type) {
    case WEBHOOK_TYPE.ORDER_STATUS_CHANGE:
      return importOrder(true);
    case WEBHOOK_TYPE.PACKAGE_UPDATE:
      if (!data.event) return importOrder();
      return [{
        cmd: 'carrier.event', at, op: op(0), order_id: data.orderId, event: data.event,
        ...(data.trackingNumber ? { tracking_number: data.trackingNumber } : {}),
      }];
    case WEBHOOK_TYPE.CANCELLATION_STATUS_CHANGE:
      if (data.status !== 'CANCELLATION_REQUEST_PENDING') return importOrder();
      if (data.role === 'SELLER') return []; // the seller's own cancellation: packdesk sent it
      return [{ cmd: 'request.open', at, op: op(0), order_id: data.orderId, kind: 'cancel',
        reason: reasonText(data.reason, 'the buyer asked to cancel on the marketplace') }];
    case WEBHOOK_TYPE.RETURN_STATUS_CHANGE: {
      if (data.status !== 'RETURN_OR_REFUND_REQUEST_PENDING') return importOrder();
      const kind = data.returnType === 'REFUND' ? 'refund' : 'return';
      return [{ cmd: 'request.open', at, op: op(0), order_id: data.orderId, kind,
        reason: reasonText(data.reason, `the buyer asked for a ${kind} on the marketplace`) }];
    }
    default:
      return [];
  }
}

// ---- the route ----

/**
 * An in-memory de-duplication store (tests, or a server without storage): `seen(id)` records
 * the id and tells whether it was already there; `unsee(id)` forgets it.
 */
export function memorySeen() {
  const ids = new Set();
  return {
    seen: (nid) => {
      if (ids.has(nid)) return true;
      ids.add(nid);
      return false;
    },
    unsee: (nid) => ids.delete(nid),
    size: () => ids.size,
  };
}

function answer(status, body) {
  return { status, body };
}

/**
 * The whole of POST /api/marketplace/webhook, transport aside:
 *   {rawBody, signature}: the raw request bytes and the Authorization header;
 *   appKey, appSecret: to check the signature;
 *   seen(id): test-and-set on the notification id (SQLite on the server): true when already
 *     processed. unsee(id) (optional) forgets it when processing then fails, so the
 *     marketplace's retry is processed;
 *   fetchOrder(orderId): see webhookCommands;
 *   apply(commands, notification): applies the commands (as device `marketplace`); its
 *     resolved value is returned as `results`.
 * Resolves to {status, body}: 200 {ok, notification_id, duplicate, commands, results},
 * 401 bad signature, 400 malformed, 413 too large, 503 the order could not be fetched, 500 apply
 * failed. Nothing is recorded as seen unless it was applied (or is being applied).
 */
export async function handleWebhook({ rawBody, signature }, { appKey, appSecret, seen, unsee, fetchOrder, apply,
  now = Date.now, maxBytes = MAX_WEBHOOK_BYTES }) {
  if (typeof seen !== 'function' || typeof apply !== 'function' || typeof fetchOrder !== 'function') {
    throw new TypeError('seen, fetchOrder and apply are required');
  }
  const body = bytes(rawBody ?? '');
  if (body.length > maxBytes) return answer(413, { error: { code: 'TOO_LARGE', message: `webhook body over ${maxBytes} bytes` } });
  if (!verifyWebhook(body, signature, { appKey, appSecret })) {
    return answer(401, { error: { code: 'BAD_SIGNATURE', message: 'the webhook signature does not verify' } });
  }
  let notification;
  try {
    notification = parseWebhook(body);
  } catch (err) {
    if (err instanceof WebhookError) return answer(err.status, { error: { code: err.code, message: err.message } });
    throw err;
  }
  if (await seen(notification.id)) {
    return answer(200, { ok: true, notification_id: notification.id, duplicate: true, commands: 0 });
  }
  let commands;
  try {
    commands = await webhookCommands(notification, { fetchOrder, now });
  } catch (err) {
    await unsee?.(notification.id);
    return answer(503, { error: { code: 'MARKETPLACE_UNAVAILABLE', message: `could not read order ${notification.data.orderId}: ${err.message}` } });
  }
  let results;
  try {
    results = commands.length ? await apply(commands, notification) : [];
  } catch (err) {
    await unsee?.(notification.id);
    return answer(500, { error: { code: 'APPLY_FAILED', message: err.message } });
  }
  return answer(200, { ok: true, notification_id: notification.id, duplicate: false, commands: commands.length, results });
}

/** A fetchOrder over a client.mjs client: the order, null when unknown, a throw when unreachable. */
export function orderFetcher(client) {
  return async (orderId) => {
    const r = await client.getOrderDetail([orderId]);
    if (!r.ok) throw new Error(`order detail: ${r.code} ${r.message}`);
    return r.data.order_list?.find((o) => String(o.order_id) === String(orderId)) ?? null;
  };
}
