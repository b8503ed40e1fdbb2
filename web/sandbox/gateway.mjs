// gateway.mjs: what the marketplace checks before any endpoint runs, answered the way it
// answers: the envelope {code, message, request_id}, HTTP 400 for missing or invalid
// credentials, timestamp and identifiers (code 36009004), 401 for a signature that does not
// verify (106001) or a wrong access token, 404 for a path it does not have (36009009). The
// messages are the marketplace's documented ones (its "common errors" page).
import { randomBytes } from 'node:crypto';
import { verifyRequest } from '../server/marketplace/sign.mjs';
import { ERROR } from '../server/marketplace/legacy.mjs';

const SKEW_S = 300; // the marketplace refuses a timestamp more than 5 minutes off

/** A request id like the marketplace's: UTC yyyyMMddHHmmss + 20 hex digits. */
export function requestId(nowMs) {
  const stamp = new Date(nowMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}

export class GatewayError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function refuse(status, code, message) {
  throw new GatewayError(status, code, message);
}

/**
 * Checks a request's query (URLSearchParams) for `path` against the shop's credentials; throws a
 * GatewayError for the first thing wrong, in the order the marketplace checks them.
 */
export function checkRequest(path, query, { appKey, appSecret, shopId, accessToken }, nowMs) {
  for (const name of ['app_key', 'timestamp']) {
    if (!query.get(name)) refuse(400, ERROR.PARAM, `Missing credentials. The request does not include the \`${name}\` query parameter.`);
  }
  if (!query.get('sign')) refuse(400, ERROR.PARAM, 'Missing credentials. The request does not include a required signature in the query.');
  if (query.get('app_key') !== appKey) refuse(400, ERROR.PARAM, 'Invalid credentials. Invalid `app_key` query parameter.');
  const ts = query.get('timestamp');
  if (!/^\d{1,12}$/.test(ts)) refuse(400, ERROR.PARAM, 'Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.');
  const now = Math.floor(nowMs / 1000);
  if (Number(ts) < now - SKEW_S) {
    refuse(400, ERROR.PARAM, 'Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.');
  }
  if (Number(ts) > now + SKEW_S) {
    refuse(400, ERROR.PARAM, 'Invalid timestamp. The value of the `timestamp` query parameter must not be later than 5 minutes after the current time.');
  }
  if (!verifyRequest(path, query, appSecret)) refuse(401, ERROR.SIGN, 'Invalid credentials. The `sign` query parameter is invalid.');
  if (query.get('access_token') !== accessToken) refuse(401, ERROR.PARAM, 'Invalid credentials. The `access_token` query parameter is invalid.');
  if (query.get('shop_id') !== shopId) refuse(400, ERROR.PARAM, 'Invalid identifier. The `shop_id` query parameter is invalid.');
}
