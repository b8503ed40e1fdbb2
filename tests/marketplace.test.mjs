// marketplace.test.mjs: the marketplace connector (web/server/marketplace/): the legacy request
// signature against every signed fixture query, the client's requests against the fixtures'
// requests, webhooks (signature, replay, malformed), their mapping to core commands and the
// calls accepted operations need, each checked against the real core (the wasm build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCore } from './lib/engines.mjs';
import { fixture, fixtureCases, mustExec, packForHandover } from './lib/marketplace.mjs';
import { signRequest, signedQuery, verifyRequest } from '../web/server/marketplace/sign.mjs';
import { createClient } from '../web/server/marketplace/client.mjs';
import { handleWebhook, memorySeen, parseWebhook, signWebhook, verifyWebhook, webhookCommands } from '../web/server/marketplace/webhook.mjs';
import { deliverCall, marketplaceCalls, orderIdOfRequest } from '../web/server/marketplace/calls.mjs';
import { marketplaceConfig, SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { createOrderFactory } from '../web/sandbox/orders.mjs';

const KEY = 'app-key-1';
const SECRET = 'app-secret-1';

// ---- the request signature ----

const SIGNED = fixtureCases().filter((c) => /(^|&)sign=/.test(c.request?.query ?? ''));

test('sign: every signed query of the fixtures verifies, and is rebuilt byte for byte', () => {
  assert.equal(SIGNED.length, fixtureCases().length, 'every fixture case carries a signed query');
  assert.ok(SIGNED.length >= 27, `found ${SIGNED.length} signed queries`);
  const files = new Set();
  for (const c of SIGNED) {
    const { pathname } = new URL(c.request.url);
    assert.ok(verifyRequest(pathname, c.request.query, c.args.app_secret), `${c.file} ${c.name}`);
    const unsigned = new URLSearchParams(c.request.query);
    unsigned.delete('sign');
    assert.equal(signedQuery(pathname, unsigned, c.args.app_secret), c.request.query, `${c.file} ${c.name}`);
    files.add(c.file);
  }
  assert.ok(files.size >= 26, `${files.size} files`);
});

test('sign: a tampered query, path, secret or signature does not verify', () => {
  const c = fixture('fulfillment/3-GetPackageShippingDocument.json');
  const { pathname } = new URL(c.request.url);
  const q = () => new URLSearchParams(c.request.query);
  const tampered = [
    ['a signed value changed', (p) => p.set('package_id', '576463173535499481'), pathname, c.args.app_secret],
    ['the timestamp moved', (p) => p.set('timestamp', '1600000001'), pathname, c.args.app_secret],
    ['a param added', (p) => p.set('extra', '1'), pathname, c.args.app_secret],
    ['a param removed', (p) => p.delete('document_type'), pathname, c.args.app_secret],
    ['another path', () => {}, '/api/fulfillment/detail', c.args.app_secret],
    ['another secret', () => {}, pathname, '124'],
    ['one hex digit of the sign flipped', (p) => p.set('sign', p.get('sign').replace(/^./, (d) => (d === '0' ? '1' : '0'))), pathname, c.args.app_secret],
    ['the sign in capitals', (p) => p.set('sign', p.get('sign').toUpperCase()), pathname, c.args.app_secret],
    ['the sign cut short', (p) => p.set('sign', p.get('sign').slice(0, 63)), pathname, c.args.app_secret],
    ['no sign', (p) => p.delete('sign'), pathname, c.args.app_secret],
  ];
  assert.ok(verifyRequest(pathname, q(), c.args.app_secret), 'the untouched query verifies');
  for (const [what, change, p, secret] of tampered) {
    const query = q();
    change(query);
    assert.equal(verifyRequest(p, query, secret), false, what);
  }
  // access_token is not signed (the marketplace's rule): changing it keeps the signature.
  const token = q();
  token.set('access_token', 'another-token');
  assert.ok(verifyRequest(pathname, token, c.args.app_secret));
});

test('sign: bad arguments are refused clearly', () => {
  assert.throws(() => signRequest('api/no-slash', {}, 's'), /path must start with \//);
  assert.throws(() => signRequest('/api/x', {}, ''), /appSecret is required/);
});

// ---- the client speaks the fixtures' requests ----

function recordingFetch(answer) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url: new URL(url), method: init.method, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const a = typeof answer === 'function' ? await answer(calls.at(-1)) : answer;
    if (a instanceof Error) throw a;
    return new Response(typeof a.body === 'string' ? a.body : JSON.stringify(a.body), { status: a.status ?? 200 });
  };
  return { fetch, calls };
}

function clientFor(c, fetch) {
  return createClient({ baseUrl: 'https://open-api.tiktokglobalshop.com', appKey: c.args.app_key, appSecret: c.args.app_secret,
    shopId: c.args.shop_id, accessToken: c.args.access_token, fetch, now: () => 1600000000 * 1000 });
}

const CLIENT_CASES = [
  ['order/order_detail.json', undefined, (api, a) => api.getOrderDetail(a.order_id)],
  ['order/order_list.json', undefined, (api) => api.searchOrders({ pageSize: 50 })],
  ['fulfillment/8-ShipPackage.json', 'ShipPackage(pickup)', (api, a) => api.shipPackage({ packageId: a.req.package_id, method: 'pickup',
    pickUp: { start: a.req.pick_up.pick_up_start_time, end: a.req.pick_up.pick_up_end_time } })],
  ['fulfillment/8-ShipPackage.json', 'ShipPackage(dropoff)', (api, a) => api.shipPackage({ packageId: a.req.package_id, method: 'dropoff' }),
    (body) => ({ ...body, pick_up: { pick_up_start_time: 0, pick_up_end_time: 0 } })], // Go sends the empty struct
  ['fulfillment/6-GetPackageDetail.json', undefined, (api, a) => api.getPackageDetail(a.req.package_id)],
  ['fulfillment/5-GetPackageShippingInfo.json', undefined, (api, a) => api.getPackageTracking(a.req.package_id)],
  ['logistics/1-GetShippingInfo.json', undefined, (api, a) => api.getOrderTracking(a.req.order_id)],
  ['order/cancel_order.json', undefined, (api, a) => api.cancelOrder({ orderId: a.order_id, reasonKey: a.cancel_reason_key })],
  ['reverseorder/confirm_reverse.json', undefined, (api, a) => api.confirmReverse(a.order_id)],
  ['reverseorder/reject_reverse.json', undefined, (api, a) => api.rejectReverse({ reverseOrderId: a.order_id, reasonKey: a.reason_key, comments: a.comments })],
];

for (const [file, name, send, adjust = (b) => b] of CLIENT_CASES) {
  test(`client: ${file}${name ? ` ${name}` : ''}: the same signed request, the answer read from its envelope`, async () => {
    const c = fixture(file, name);
    const { fetch, calls } = recordingFetch({ status: c.response.status, body: c.response.body });
    const r = await send(clientFor(c, fetch), c.args);
    assert.equal(calls.length, 1);
    const sent = calls[0];
    const want = new URL(c.request.url);
    assert.equal(sent.method, c.request.method);
    assert.equal(sent.url.origin + sent.url.pathname, want.origin + want.pathname);
    assert.equal(sent.url.search.slice(1), c.request.query, 'the query, signature included, is the fixture\'s');
    if (c.request.body) assert.deepEqual(adjust(sent.body), c.request.body);
    else assert.equal(sent.body, undefined);
    assert.equal(r.ok, true);
    assert.equal(r.requestId, c.response.body.request_id);
    assert.deepEqual(r.data, c.response.body.data ?? {});
  });
}

test('client: refusals, broken answers and network errors are results, never throws', async () => {
  const c = fixture('order/order_detail.json');
  const cases = [
    [{ status: 401, body: { code: 106001, message: 'Invalid credentials. The `sign` query parameter is invalid.', request_id: 'R1' } },
      { ok: false, code: 106001, httpStatus: 401, transient: false, requestId: 'R1' }],
    [{ status: 200, body: { code: 36009003, message: 'Internal error', request_id: 'R2' } }, { ok: false, code: 36009003, transient: true }],
    [{ status: 429, body: { code: 36009002, message: 'Too many requests', request_id: 'R3' } }, { ok: false, code: 36009002, transient: true }],
    [{ status: 502, body: '<html>bad gateway</html>' }, { ok: false, code: 'BAD_ANSWER', httpStatus: 502, transient: true }],
    [{ status: 200, body: '{"no":"envelope"}' }, { ok: false, code: 'BAD_ANSWER', transient: false }],
    [new Error('connect ECONNREFUSED'), { ok: false, code: 'NETWORK', transient: true }],
  ];
  for (const [answer, want] of cases) {
    const { fetch } = recordingFetch(answer);
    const r = await clientFor(c, fetch).getOrderDetail(['1']);
    for (const [k, v] of Object.entries(want)) assert.equal(r[k], v, `${JSON.stringify(answer).slice(0, 60)}: ${k}`);
  }
  const api = clientFor(c, recordingFetch({ body: {} }).fetch);
  assert.throws(() => api.getOrderDetail([]), /orderIds must be 1 to 50 ids/);
  assert.throws(() => api.shipPackage({ packageId: '1', method: 'courier' }), /pickup' or 'dropoff/);
  assert.throws(() => createClient({ baseUrl: 'http://x', appKey: 'k', appSecret: '', shopId: 's', accessToken: 't' }), /appSecret is required/);
});

test('config: the sandbox by default, the real API with one setting (and every credential)', () => {
  const sandbox = marketplaceConfig({});
  assert.equal(sandbox.sandbox, true);
  assert.equal(sandbox.baseUrl, 'http://127.0.0.1:8090');
  assert.equal(sandbox.appSecret, SANDBOX_CREDENTIALS.appSecret);
  assert.equal(marketplaceConfig({ SANDBOX_PORT: '9123' }).baseUrl, 'http://127.0.0.1:9123');
  const real = marketplaceConfig({ MARKETPLACE_URL: 'https://open-api.tiktokglobalshop.com/', MARKETPLACE_APP_KEY: 'k',
    MARKETPLACE_APP_SECRET: 's', MARKETPLACE_SHOP_ID: '1', MARKETPLACE_ACCESS_TOKEN: 't' });
  assert.deepEqual(real, { baseUrl: 'https://open-api.tiktokglobalshop.com', appKey: 'k', appSecret: 's', shopId: '1', accessToken: 't', sandbox: false });
  assert.throws(() => marketplaceConfig({ MARKETPLACE_URL: 'https://open-api.tiktokglobalshop.com' }), /MARKETPLACE_APP_KEY, MARKETPLACE_APP_SECRET/);
  assert.throws(() => marketplaceConfig({ MARKETPLACE_URL: 'http://example.com', MARKETPLACE_APP_KEY: 'k', MARKETPLACE_APP_SECRET: 's',
    MARKETPLACE_SHOP_ID: '1', MARKETPLACE_ACCESS_TOKEN: 't' }), /must be https/);
});

// ---- webhooks ----

const T0 = 1764230400; // seconds
const FIXTURE_ORDER = fixture('order/order_detail.json').response.body.data.order_list[0];

function notification(type, data, id = `70000000000000${type}0001`) {
  return JSON.stringify({ type, tts_notification_id: id, shop_id: '7495000000000000001', timestamp: T0, data });
}

/** A route over the real core: apply() runs the commands and keeps the answers. */
async function webhookRoute({ orders = {}, fetchError } = {}) {
  const core = await createCore();
  const store = memorySeen();
  const applied = [];
  // route(raw) signs the body; route(raw, sig) sends `sig` as it is (undefined: no header).
  const route = (raw, ...sig) => handleWebhook({ rawBody: Buffer.from(raw), signature: sig.length ? sig[0] : signWebhook(raw, KEY, SECRET) }, {
    appKey: KEY, appSecret: SECRET, ...store, now: () => (T0 + 3600) * 1000,
    fetchOrder: async (id) => {
      if (fetchError) throw fetchError;
      return orders[id] ?? null;
    },
    apply: async (commands) => commands.map((c) => {
      applied.push(c);
      return core.exec(c);
    }),
  });
  return { core, store, applied, route };
}

test('webhook: a good signature is lowercase hex HMAC-SHA256(secret, app key + raw body)', () => {
  const raw = notification(1, { order_id: '1', order_status: 'UNPAID', update_time: T0 });
  const sig = signWebhook(raw, KEY, SECRET);
  assert.match(sig, /^[0-9a-f]{64}$/);
  assert.ok(verifyWebhook(raw, sig, { appKey: KEY, appSecret: SECRET }));
  assert.ok(verifyWebhook(Buffer.from(raw), sig, { appKey: KEY, appSecret: SECRET }));
  for (const [what, body, s, key, secret] of [
    ['uppercase hex', raw, sig.toUpperCase(), KEY, SECRET],
    ['another app key', raw, sig, 'app-key-2', SECRET],
    ['another secret', raw, sig, KEY, 'other'],
    ['the body re-serialized', JSON.stringify(JSON.parse(raw), null, 1), sig, KEY, SECRET],
    ['one byte changed', raw.replace('UNPAID', 'UNPAIE'), sig, KEY, SECRET],
    ['no signature', raw, undefined, KEY, SECRET],
    ['an empty signature', raw, '', KEY, SECRET],
    ['the body\'s hash without the key', raw, signWebhook(raw, '', SECRET), KEY, SECRET],
  ]) assert.equal(verifyWebhook(body, s, { appKey: key, appSecret: secret }), false, what);
});

test('webhook: a bad signature is 401 and nothing is applied or remembered', async () => {
  const { route, applied, store, core } = await webhookRoute({ orders: { [FIXTURE_ORDER.order_id]: FIXTURE_ORDER } });
  const raw = notification(1, { order_id: FIXTURE_ORDER.order_id, order_status: 'UNPAID', update_time: T0 });
  for (const sig of ['0'.repeat(64), signWebhook(raw, KEY, 'wrong-secret'), signWebhook(raw, KEY, SECRET).toUpperCase(), undefined]) {
    const r = await route(raw, sig);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: { code: 'BAD_SIGNATURE', message: 'the webhook signature does not verify' } });
  }
  assert.equal(applied.length, 0);
  assert.equal(store.size(), 0);
  assert.equal(core.exec({ cmd: 'stats', at: T0 * 1000 }).result.total ?? 0, 0);
  // Then the genuine one is processed: the refusals left no trace.
  const ok = await route(raw);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.commands, 1);
});

test('webhook: a replayed notification is applied once (by its id), and its command is idempotent too', async () => {
  const { route, applied, core } = await webhookRoute({ orders: { [FIXTURE_ORDER.order_id]: { ...FIXTURE_ORDER, order_status: 111 } } });
  const raw = notification(1, { order_id: FIXTURE_ORDER.order_id, order_status: 'AWAITING_SHIPMENT', update_time: T0 }, '7001');
  const first = await route(raw);
  assert.equal(first.status, 200);
  assert.equal(first.body.duplicate, false);
  assert.equal(first.body.results[0].ok, true);
  assert.equal(first.body.results[0].result.created, true);
  const again = await route(raw);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { ok: true, notification_id: '7001', duplicate: true, commands: 0 });
  assert.equal(applied.length, 1, 'the replay reached no command');
  // A copy that slipped past de-duplication (another server's memory) still changes nothing:
  // the command's op, made from the notification id, was applied already.
  const [cmd] = await webhookCommands(parseWebhook(raw), { fetchOrder: async () => ({ ...FIXTURE_ORDER, order_status: 111 }), now: () => Infinity });
  assert.equal(cmd.op, applied[0].op);
  const before = mustExec(core, { cmd: 'order.get', at: (T0 + 7200) * 1000, order_id: FIXTURE_ORDER.order_id }).result;
  mustExec(core, cmd);
  const after = mustExec(core, { cmd: 'order.get', at: (T0 + 7200) * 1000, order_id: FIXTURE_ORDER.order_id }).result;
  assert.deepEqual(after, before);
});

test('webhook: malformed notifications are 400 with a clear message; unknown types are acknowledged', async () => {
  const { route, applied, store } = await webhookRoute();
  const bad = [
    ['not json', 'the body is not JSON'],
    ['[1,2]', 'the body must be a JSON object'],
    [JSON.stringify({ type: '1', tts_notification_id: '1', timestamp: T0, data: {} }), 'type must be an integer'],
    [JSON.stringify({ type: 1, timestamp: T0, data: { order_id: '1', order_status: 'UNPAID' } }), 'notification.tts_notification_id is required'],
    [JSON.stringify({ type: 1, tts_notification_id: 'a b', timestamp: T0, data: {} }), 'notification.tts_notification_id must be an id'],
    [JSON.stringify({ type: 1, tts_notification_id: '1', timestamp: T0, data: [] }), 'data must be an object'],
    [notification(1, { order_status: 'UNPAID' }), 'data.order_id is required'],
    [notification(1, { order_id: 576461413038785752, order_status: 'UNPAID' }), 'data.order_id must be a string: the number has lost digits'],
    [notification(1, { order_id: '1', order_status: 'unpaid <b>' }), 'data.order_status must be an order status'],
    [notification(1, { order_id: '1', order_status: 'UNPAID', update_time: -5 }), 'data.update_time must be a time in seconds'],
    [notification(4, { order_id: '1', tracking_event: 'TELEPORTED' }), 'data.tracking_event is not a carrier scan: "TELEPORTED"'],
    [notification(11, { order_id: '1' }), 'data.cancel_status is required'],
    [notification(12, { order_id: '1', return_status: 5 }), 'data.return_status must be a string'],
    [JSON.stringify({ type: 1, tts_notification_id: '1', data: { order_id: '1', order_status: 'UNPAID' } }), 'notification.timestamp is required'],
  ];
  for (const [raw, message] of bad) {
    const r = await route(raw);
    assert.equal(r.status, 400, raw);
    assert.deepEqual(r.body, { error: { code: 'BAD_REQUEST', message } });
  }
  const big = await handleWebhook({ rawBody: 'x'.repeat(2000), signature: '' }, { appKey: KEY, appSecret: SECRET, seen: () => false,
    fetchOrder: async () => null, apply: async () => [], maxBytes: 1000 });
  assert.equal(big.status, 413);
  const other = await route(notification(6, { shop_id: '1' }, '7006')); // seller deauthorization: not packdesk's business
  assert.equal(other.status, 200);
  assert.equal(other.body.commands, 0);
  assert.equal(applied.length, 0);
  assert.equal(store.size(), 1, 'only the acknowledged one is remembered');
});

test('webhook: an order that cannot be fetched is 503 and not remembered, so the retry is processed', async () => {
  const down = await webhookRoute({ fetchError: new Error('connect ECONNREFUSED') });
  const raw = notification(1, { order_id: FIXTURE_ORDER.order_id, order_status: 'UNPAID', update_time: T0 }, '7100');
  const r = await down.route(raw);
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'MARKETPLACE_UNAVAILABLE');
  assert.equal(down.store.size(), 0);
  const failing = memorySeen();
  const r2 = await handleWebhook({ rawBody: raw, signature: signWebhook(raw, KEY, SECRET) }, { appKey: KEY, appSecret: SECRET, ...failing,
    fetchOrder: async () => FIXTURE_ORDER, apply: async () => { throw new Error('disk full'); } });
  assert.equal(r2.status, 500);
  assert.deepEqual(r2.body, { error: { code: 'APPLY_FAILED', message: 'disk full' } });
  assert.equal(failing.size(), 0);
});

// ---- mapping to commands, accepted by the real core ----

test('mapping: order status change imports the fixture order (unpaid, unmasked phone, cancelled line) into the core', async () => {
  // The fixture's order is from 2021: the webhook comes minutes after it was placed (within its
  // payment window), as its update_time says.
  const orders = { [FIXTURE_ORDER.order_id]: FIXTURE_ORDER };
  const { route, core } = await webhookRoute({ orders });
  const placed = Number(FIXTURE_ORDER.create_time);
  const r = await route(notification(1, { order_id: FIXTURE_ORDER.order_id, order_status: 'UNPAID', update_time: Math.floor(placed / 1000) + 60 }));
  assert.equal(r.status, 200);
  const [answer] = r.body.results;
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.equal(answer.result.order.stage, 'unpaid');
  assert.doesNotMatch(JSON.stringify(answer), /12345678980/, 'the phone is masked');
  assert.equal(answer.result.order.placed_at, placed);
  const order = mustExec(core, { cmd: 'order.get', at: placed + 120000, order_id: FIXTURE_ORDER.order_id }).result;
  assert.equal(order.source, 'tiktok');
  assert.deepEqual(order.lines.map((l) => l.cancelled), [false, false, true]);
  // Paid later: the next status change imports the newer state; the order is not duplicated.
  orders[FIXTURE_ORDER.order_id] = { ...FIXTURE_ORDER, order_status: 111, update_time: FIXTURE_ORDER.update_time + 60 };
  const r2 = await route(notification(1, { order_id: FIXTURE_ORDER.order_id, order_status: 'AWAITING_SHIPMENT', update_time: Math.floor(placed / 1000) + 180 }, '7002'));
  assert.equal(r2.body.results[0].ok, true, JSON.stringify(r2.body.results[0]));
  assert.equal(r2.body.results[0].result.created, false);
  assert.equal(r2.body.results[0].result.order.stage, 'awaiting_confirmation');
  assert.equal(mustExec(core, { cmd: 'orders.list', at: placed + 300000 }).result.orders.length, 1);
});

test('mapping: 40 sandbox orders (the order-detail shape) import into the core', async () => {
  const core = await createCore();
  const factory = createOrderFactory({ seed: 42, startMs: T0 * 1000 });
  for (let i = 0; i < 40; i++) {
    const order = factory.next({ nowMs: (T0 + i) * 1000, paid: i % 5 !== 0 });
    const r = mustExec(core, { cmd: 'order.import', at: (T0 + i) * 1000, op: `imp-${i}`, order });
    assert.equal(r.result.created, true);
    assert.equal(r.result.order.stage, i % 5 ? 'awaiting_confirmation' : 'unpaid');
    assert.equal(r.result.order.total.amount, order.payment_info.total_amount);
    assert.doesNotMatch(JSON.stringify(r), new RegExp(order.recipient_address.phone.replace(/[()+]/g, '.')));
  }
  assert.equal(mustExec(core, { cmd: 'orders.list', at: (T0 + 100) * 1000, limit: 100 }).result.orders.length, 40);
});

test('mapping: the whole order loop (ship, scans, return; cancel request) goes through the core, and each accepted op asks the right call', async () => {
  const factory = createOrderFactory({ seed: 7, startMs: T0 * 1000 });
  const order = factory.next({ nowMs: T0 * 1000 });
  const marketplace = { [order.order_id]: order };
  const { route, core } = await webhookRoute({ orders: marketplace });
  const id = order.order_id;
  let n = 0;
  const hook = async (type, data) => {
    const r = await route(notification(type, { update_time: T0 + 10 + n, ...data }, `71${String(++n).padStart(4, '0')}`));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const a of r.body.results) assert.equal(a.ok, true, JSON.stringify(a));
    return r.body;
  };
  const calls = (request) => {
    const response = mustExec(core, request);
    const got = mustExec(core, { cmd: 'order.get', at: request.at, order_id: orderIdOfRequest(request.request_id) ?? request.order_id }).result;
    return marketplaceCalls({ request, response, order: got });
  };
  await hook(1, { order_id: id, order_status: 'AWAITING_SHIPMENT' });
  let at = packForHandover(core, id, (T0 + 100) * 1000, 'pickup');
  assert.deepEqual(calls({ cmd: 'order.ship', at, op: 'dev-1', order_id: id }), [{ kind: 'ship', order_id: id, op: 'dev-1', method: 'pickup' }]);
  // The marketplace: shipped (awaiting collection), then the carrier's scans. By the time the
  // first notification is read, the parcel is already in transit there: the notification's own
  // status is imported, so the pickup scan that follows is still applied as a scan.
  marketplace[id] = { ...order, order_status: 121, tracking_number: 'SBX1', update_time: T0 + 300 };
  const shipped = await hook(1, { order_id: id, order_status: 'AWAITING_COLLECTION' });
  assert.equal(shipped.results[0].result.order.stage, 'awaiting_collection');
  await hook(4, { order_id: id, package_id: order.package_list[0].package_id, tracking_event: 'PICKED_UP', tracking_number: 'SBX1' });
  await hook(1, { order_id: id, order_status: 'IN_TRANSIT' });
  await hook(4, { order_id: id, tracking_event: 'DELIVERED' });
  at = (T0 + 400) * 1000;
  let o = mustExec(core, { cmd: 'order.get', at, order_id: id }).result;
  assert.equal(o.stage, 'delivered');
  assert.equal(o.tracking_number, 'SBX1');
  assert.ok(o.collected_at, 'the pickup scan was applied as a scan (collected_at), not only as a status');
  // The buyer asks for a return; the seller approves it.
  await hook(12, { order_id: id, return_status: 'RETURN_OR_REFUND_REQUEST_PENDING', return_type: 'RETURN_AND_REFUND', return_id: '9', return_reason: 'too small' });
  o = mustExec(core, { cmd: 'order.get', at, order_id: id }).result;
  assert.deepEqual(o.requests.map((r) => [r.kind, r.reason, r.state]), [['return', 'too small', 'pending']]);
  assert.deepEqual(calls({ cmd: 'request.approve', at, op: 'dev-2', request_id: o.requests[0].id }),
    [{ kind: 'approve_request', order_id: id, op: 'dev-2', request_id: `${id}/r1`, request_kind: 'return' }]);

  // A second order: the buyer asks to cancel; the seller rejects, then the marketplace cancels.
  const other = factory.next({ nowMs: T0 * 1000 });
  marketplace[other.order_id] = other;
  await hook(1, { order_id: other.order_id, order_status: 'AWAITING_SHIPMENT' });
  await hook(11, { order_id: other.order_id, cancel_status: 'CANCELLATION_REQUEST_PENDING', cancellations_role: 'BUYER', cancel_id: '8' });
  o = mustExec(core, { cmd: 'order.get', at, order_id: other.order_id }).result;
  assert.deepEqual(o.requests.map((r) => [r.kind, r.state]), [['cancel', 'pending']]);
  assert.deepEqual(calls({ cmd: 'request.reject', at, op: 'dev-3', request_id: o.requests[0].id, reason: 'already packed' }),
    [{ kind: 'reject_request', order_id: other.order_id, op: 'dev-3', request_id: `${other.order_id}/r1`, request_kind: 'cancel', reason: 'already packed' }]);
  marketplace[other.order_id] = { ...other, order_status: 140, cancel_reason: 'out of stock', update_time: T0 + 500 };
  await hook(11, { order_id: other.order_id, cancel_status: 'CANCELLATION_REQUEST_SUCCESS' });
  assert.equal(mustExec(core, { cmd: 'order.get', at, order_id: other.order_id }).result.stage, 'cancelled');
  // The seller's own cancellation, echoed back by the marketplace, opens no request.
  assert.equal((await hook(11, { order_id: other.order_id, cancel_status: 'CANCELLATION_REQUEST_PENDING', cancellations_role: 'SELLER' })).commands, 0);
});

test('calls: only accepted operations on marketplace orders ask for a call, and the order must be given', async () => {
  const core = await createCore();
  const at = T0 * 1000;
  mustExec(core, { cmd: 'order.import', at, order: { id: 'OWN1', placed_at: at, paid_at: at, currency: 'VND', lines: [{ sku: 'S', quantity: 1 }] } });
  mustExec(core, { cmd: 'order.import', at, order: { ...FIXTURE_ORDER, order_status: 111 } });
  const own = mustExec(core, { cmd: 'order.get', at, order_id: 'OWN1' }).result;
  const tiktok = mustExec(core, { cmd: 'order.get', at, order_id: FIXTURE_ORDER.order_id }).result;
  const cancel = { cmd: 'order.cancel', at, op: 'o1', order_id: FIXTURE_ORDER.order_id, reason: 'Pricing error on the listing' };
  const ok = { ok: true, result: {} };
  assert.deepEqual(marketplaceCalls({ request: { ...cancel, order_id: 'OWN1' }, response: ok, order: own }), [], 'packdesk\'s own order');
  assert.deepEqual(marketplaceCalls({ request: cancel, response: { ok: false, error: { code: 'ILLEGAL_TRANSITION' } }, order: tiktok }), [], 'refused');
  assert.deepEqual(marketplaceCalls({ request: { cmd: 'pack.scan', at, order_id: tiktok.id, sku: 'x' }, response: ok }), [], 'a local step');
  assert.deepEqual(marketplaceCalls({ request: cancel, response: ok, order: tiktok }),
    [{ kind: 'cancel_order', order_id: FIXTURE_ORDER.order_id, op: 'o1', reason: 'Pricing error on the listing' }]);
  assert.throws(() => marketplaceCalls({ request: cancel, response: ok }), /the order\.get result of order 576461413038785752 is required/);
  assert.throws(() => marketplaceCalls({ request: cancel, response: ok, order: own }), /is required/);
  assert.equal(orderIdOfRequest('A/B/r12'), 'A/B');
  assert.equal(orderIdOfRequest('nope'), null);
});

// ---- delivering calls (the marketplace's answers from the fixtures) ----

const SHIP = fixture('fulfillment/8-ShipPackage.json', 'ShipPackage(pickup)');
const FAILED_PACKAGE = SHIP.response.body.data.fail_packages[0].package_id; // 1152935320329685737

/** A marketplace answering by path, recording each call. */
function marketplaceOf(routes) {
  return recordingFetch((call) => {
    const answer = routes[call.url.pathname];
    if (!answer) return { status: 404, body: { code: 36009009, message: 'Invalid path', request_id: 'X' } };
    return typeof answer === 'function' ? answer(call) : answer;
  });
}

function detailWith(packageIds, status = 111) {
  return { body: { code: 0, message: 'Success', request_id: 'D', data: { order_list: [{ ...FIXTURE_ORDER, order_status: status,
    package_list: packageIds.map((package_id) => ({ package_id })) }] } } };
}

test('calls: a ship call whose success lists another package as failed is done; one listing ours has failed', async () => {
  const okMarket = marketplaceOf({ '/api/orders/detail/query': detailWith(['1152927012083369012']), '/api/fulfillment/rts': SHIP.response });
  const call = { kind: 'ship', order_id: FIXTURE_ORDER.order_id, method: 'pickup' };
  const done = await deliverCall(call, clientFor(SHIP, okMarket.fetch));
  assert.equal(done.status, 'done');
  assert.deepEqual(okMarket.calls.map((c) => c.url.pathname), ['/api/orders/detail/query', '/api/fulfillment/rts']);
  assert.deepEqual(okMarket.calls[1].body, { package_id: '1152927012083369012', pick_up_type: 1 });

  const failMarket = marketplaceOf({ '/api/orders/detail/query': detailWith([FAILED_PACKAGE]), '/api/fulfillment/rts': SHIP.response });
  const failed = await deliverCall({ ...call, method: 'dropoff' }, clientFor(SHIP, failMarket.fetch));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.code, 206108);
  assert.equal(failed.message, 'invalid tracking number');
  assert.deepEqual(failed.packages, [{ package_id: FAILED_PACKAGE, status: 'failed', code: 206108, message: 'invalid tracking number' }]);
  assert.equal(failMarket.calls[1].body.pick_up_type, 2);

  // Two packages: one shipped, one failed: the call failed, and says which.
  const both = marketplaceOf({ '/api/orders/detail/query': detailWith(['11', FAILED_PACKAGE]), '/api/fulfillment/rts': SHIP.response });
  const mixed = await deliverCall(call, clientFor(SHIP, both.fetch));
  assert.equal(mixed.status, 'failed');
  assert.deepEqual(mixed.packages.map((p) => [p.package_id, p.status]), [['11', 'done'], [FAILED_PACKAGE, 'failed']]);
});

test('calls: "already shipped" on a retry counts as done; busy or misconfigured is retried; a refusal fails', async () => {
  const call = { kind: 'ship', order_id: FIXTURE_ORDER.order_id, method: 'pickup' };
  const rts = (code, message, status = 200) => ({ status, body: { code, message, request_id: 'Z' } });
  const cases = [
    [rts(21011002, 'Package 1 has already been shipped'), {}, 'done'],
    [rts(12345678, 'The package has been shipped'), {}, 'done'],
    [rts(36009003, 'Internal error'), {}, 'retry'],
    [rts(106001, 'Invalid credentials. The `sign` query parameter is invalid.', 401), {}, 'retry'],
    [rts(21001002, 'The order has been cancelled'), { package_status: 5 }, 'failed'],
    [rts(21001002, 'Order status does not allow'), { package_status: 2 }, 'done'], // shipped after all
  ];
  for (const [answer, pkg, want] of cases) {
    const m = marketplaceOf({ '/api/orders/detail/query': detailWith(['1']), '/api/fulfillment/rts': answer,
      '/api/fulfillment/detail': { body: { code: 0, message: 'Success', request_id: 'P', data: { package_id: '1', ...pkg } } } });
    const r = await deliverCall(call, clientFor(SHIP, m.fetch));
    assert.equal(r.status, want, `${answer.body.message}: ${JSON.stringify(r)}`);
  }
  const network = await deliverCall(call, clientFor(SHIP, recordingFetch(new Error('ECONNRESET')).fetch));
  assert.equal(network.status, 'retry');
  const noPackage = await deliverCall(call, clientFor(SHIP, marketplaceOf({ '/api/orders/detail/query': detailWith([]) }).fetch));
  assert.deepEqual([noPackage.status, noPackage.code], ['failed', 'NO_PACKAGE']);
  const noMethod = await deliverCall({ ...call, method: null }, clientFor(SHIP, recordingFetch({ body: {} }).fetch));
  assert.deepEqual([noMethod.status, noMethod.code], ['failed', 'NO_HANDOVER_METHOD']);
  await assert.rejects(deliverCall({ kind: 'teleport' }, clientFor(SHIP, recordingFetch({ body: {} }).fetch)), /not a marketplace call/);
});

test('calls: approving or rejecting a request answers the pending reverse order of that kind, once', async () => {
  const list = fixture('reverseorder/get_reverse_list.json').response.body;
  const reverse = { ...list.data.reverse_list[0], order_id: FIXTURE_ORDER.order_id, reverse_type: 4, reverse_status_value: 1 };
  const listWith = (items) => ({ body: { ...list, data: { more: false, reverse_list: items } } });
  const confirm = fixture('reverseorder/confirm_reverse.json').response;
  const reject = fixture('reverseorder/reject_reverse.json').response;
  const approveCall = { kind: 'approve_request', order_id: FIXTURE_ORDER.order_id, request_id: `${FIXTURE_ORDER.order_id}/r1`, request_kind: 'cancel' };

  const m = marketplaceOf({ '/api/reverse/reverse_order/list': listWith([{ ...reverse, reverse_type: 3, reverse_order_id: '1' }, reverse]),
    '/api/reverse/reverse_request/confirm': confirm });
  const r = await deliverCall(approveCall, clientFor(SHIP, m.fetch));
  assert.deepEqual(r, { status: 'done', reverse_order_id: reverse.reverse_order_id });
  assert.deepEqual(m.calls[1].body, { reverse_order_id: reverse.reverse_order_id }, 'the cancellation, not the return');

  const rej = marketplaceOf({ '/api/reverse/reverse_order/list': listWith([reverse]), '/api/reverse/reverse_request/reject': reject });
  const r2 = await deliverCall({ ...approveCall, kind: 'reject_request', reason: 'already packed' }, clientFor(SHIP, rej.fetch));
  assert.equal(r2.status, 'done');
  assert.deepEqual(rej.calls[1].body, { reverse_order_id: reverse.reverse_order_id,
    reverse_reject_reason_key: 'reverse_reject_request_reason_1', reverse_reject_comments: 'already packed' });

  // A retry after the answer went through: nothing pending, already approved → done, no call.
  const after = marketplaceOf({ '/api/reverse/reverse_order/list': listWith([{ ...reverse, reverse_status_value: 50 }]) });
  assert.deepEqual(await deliverCall(approveCall, clientFor(SHIP, after.fetch)), { status: 'done', already: true, reverse_order_id: reverse.reverse_order_id });
  assert.equal(after.calls.length, 1);
  // Rejected there while we approved: not done.
  const rejected = marketplaceOf({ '/api/reverse/reverse_order/list': listWith([{ ...reverse, reverse_status_value: 2 }]) });
  const r3 = await deliverCall(approveCall, clientFor(SHIP, rejected.fetch));
  assert.deepEqual([r3.status, r3.code], ['failed', 'NO_PENDING_REQUEST']);
});

test('calls: a seller cancellation sends the reason key; an order already cancelled there is done', async () => {
  const c = fixture('order/cancel_order.json');
  const call = { kind: 'cancel_order', order_id: FIXTURE_ORDER.order_id, reason: 'Coc thuy tinh is out of stock' };
  const m = marketplaceOf({ '/api/reverse/order/cancel': c.response });
  assert.deepEqual(await deliverCall(call, clientFor(c, m.fetch)), { status: 'done' });
  assert.deepEqual(m.calls[0].body, { cancel_reason_key: 'seller_cancel_unpaid_reason_out_of_stock_uk', order_id: FIXTURE_ORDER.order_id });
  const twice = marketplaceOf({ '/api/reverse/order/cancel': { body: { code: 21001003, message: 'The order has already been cancelled', request_id: 'C' } },
    '/api/orders/detail/query': detailWith([], 140) });
  assert.deepEqual(await deliverCall(call, clientFor(c, twice.fetch)), { status: 'done', already: true });
  const shipped = marketplaceOf({ '/api/reverse/order/cancel': { body: { code: 21001002, message: 'The order has been shipped', request_id: 'C' } },
    '/api/orders/detail/query': detailWith([], 112) });
  const r = await deliverCall(call, clientFor(c, shipped.fetch));
  assert.deepEqual([r.status, r.code], ['failed', 21001002]);
});
