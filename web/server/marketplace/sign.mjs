// sign.mjs: the request signature of the legacy (pre-202309) TikTok Shop Open API.
//
//   sign = lowercase hex HMAC-SHA256(key: app secret,
//            secret + path + k1 v1 k2 v2 ... + secret)
//
// over every query parameter but `sign` and `access_token`, keys in byte order, each value as
// sent (decoded). The body is not signed in this version of the API (202309 added it). The 27
// signed queries of ../shared/fixtures/tiktok-legacy/ are the test vectors
// (tests/marketplace.test.mjs verifies every one).
//
// Server side only: it needs the app secret, which never leaves the server.
import { createHmac, timingSafeEqual } from 'node:crypto';

const UNSIGNED = new Set(['sign', 'access_token']);

function byteOrder(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/** The params as [key, value] pairs: a URLSearchParams, a query string, [key, value] pairs or a
 * plain object. */
function pairs(params) {
  if (params instanceof URLSearchParams) return [...params];
  if (Array.isArray(params)) return params.map(([k, v]) => [String(k), String(v)]);
  if (typeof params === 'string') return [...new URLSearchParams(params)];
  return Object.entries(params).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]);
}

/**
 * The signature of a request to `path` (e.g. '/api/orders/detail/query') with these query
 * params. A key given twice counts with its first value (as the marketplace reads it).
 */
export function signRequest(path, params, appSecret) {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('path must start with /');
  if (typeof appSecret !== 'string' || appSecret === '') throw new TypeError('appSecret is required');
  const first = new Map();
  for (const [k, v] of pairs(params)) if (!UNSIGNED.has(k) && !first.has(k)) first.set(k, v);
  const keys = [...first.keys()].sort(byteOrder);
  let text = appSecret + path;
  for (const k of keys) text += k + first.get(k);
  text += appSecret;
  return createHmac('sha256', appSecret).update(text, 'utf8').digest('hex');
}

/**
 * The query string to send: `params` plus `sign`, keys sorted (the order the marketplace's own
 * examples use), so the same request always gives the same URL.
 */
export function signedQuery(path, params, appSecret) {
  const list = pairs(params).filter(([k]) => k !== 'sign');
  list.push(['sign', signRequest(path, list, appSecret)]);
  list.sort(([a], [b]) => byteOrder(a, b));
  return new URLSearchParams(list).toString();
}

/** Constant-time comparison of two hex strings (false when either is not lowercase hex). */
export function sameHex(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string' || !/^[0-9a-f]+$/.test(a) || !/^[0-9a-f]+$/.test(b)) return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether the query's `sign` is the signature of the rest of it for `path`. */
export function verifyRequest(path, query, appSecret) {
  const list = pairs(query);
  const sign = list.find(([k]) => k === 'sign');
  if (!sign) return false;
  return sameHex(sign[1], signRequest(path, list, appSecret));
}
