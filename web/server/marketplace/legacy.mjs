// legacy.mjs: the numbers of the legacy TikTok Shop Open API that both sides of packdesk's
// marketplace loop read: the connector (web/server/marketplace/) and the sandbox (web/sandbox/),
// so the two cannot drift apart.

/** Order statuses (order_status, integers in the legacy API; names in webhooks and 202309). */
export const ORDER_STATUS = Object.freeze({
  UNPAID: 100,
  ON_HOLD: 105,
  AWAITING_SHIPMENT: 111,
  AWAITING_COLLECTION: 112,
  PARTIALLY_SHIPPING: 114,
  IN_TRANSIT: 121,
  DELIVERED: 122,
  COMPLETED: 130,
  CANCELLED: 140,
});
export const ORDER_STATUS_NAME = Object.freeze(Object.fromEntries(Object.entries(ORDER_STATUS).map(([k, v]) => [v, k])));

/** pick_up_type of /api/fulfillment/rts: the handover method. */
export const PICK_UP_TYPE = Object.freeze({ pickup: 1, dropoff: 2 });

/** package_status of /api/fulfillment/detail and search. */
export const PACKAGE_STATUS = Object.freeze({ TO_FULFILL: 1, PROCESSING: 2, FULFILLING: 3, COMPLETED: 4, CANCELLED: 5 });

/** reverse_type of the reverse-order API, by packdesk's request kind. */
export const REVERSE_TYPE = Object.freeze({ refund: 2, return: 3, cancel: 4 });
export const REQUEST_KIND_OF_REVERSE_TYPE = Object.freeze({ 2: 'refund', 3: 'return', 4: 'cancel' });

/** reverse_status_value: 1 waits for the seller's answer; 2 the seller rejected it. */
export const REVERSE_STATUS = Object.freeze({ APPLYING: 1, REJECTED: 2, RETURNING: 3, SUCCESS: 50, CLOSED: 99 });

/** Webhook `type`s packdesk reads (others are acknowledged and ignored). */
export const WEBHOOK_TYPE = Object.freeze({
  ORDER_STATUS_CHANGE: 1,
  PACKAGE_UPDATE: 4,
  CANCELLATION_STATUS_CHANGE: 11,
  RETURN_STATUS_CHANGE: 12,
});

/**
 * Error codes. The gateway's (credentials, signature, timestamp, path, rate, internal) are the
 * marketplace's documented common errors. The fixtures document no business error code (only
 * the fail_code 206108 of a failed package), so the business codes below are the sandbox's;
 * the connector never relies on them alone (see calls.mjs: an "already shipped" answer is also
 * recognized by its message and by the package's status).
 */
export const ERROR = Object.freeze({
  PARAM: 36009004, // missing credentials, invalid timestamp, app_key, access_token, shop_id, bad body
  SIGN: 106001, // "Invalid credentials. The `sign` query parameter is invalid."
  PATH: 36009009, // no such endpoint
  RATE_LIMIT: 36009002,
  INTERNAL: 36009003,
  // sandbox business codes
  ORDER_NOT_FOUND: 21001001,
  ORDER_STATUS_NOT_ALLOWED: 21001002,
  ORDER_ALREADY_CANCELLED: 21001003,
  PACKAGE_NOT_FOUND: 21011001,
  PACKAGE_ALREADY_SHIPPED: 21011002,
  REVERSE_NOT_FOUND: 26001001,
  REVERSE_STATUS_NOT_ALLOWED: 26001002,
  INVALID_TRACKING_NUMBER: 206108, // the fixture's fail_code of a failed package
});

/** Codes worth another try later: the marketplace was busy or broken, not the request. */
export const TRANSIENT_CODES = new Set([ERROR.RATE_LIMIT, ERROR.INTERNAL]);

/** Codes that say the credentials or clock are wrong: fixable by the operator, then retried. */
export const CREDENTIAL_CODES = new Set([ERROR.PARAM, ERROR.SIGN, 105001, 105002, 36004004]);
