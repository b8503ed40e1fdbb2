// sandbox.test.mjs: the marketplace sandbox (web/sandbox/server.mjs) as a real process on a free
// port, driven by the connector's real client: signed calls succeed, unsigned or badly signed
// ones are refused the way the API refuses them, a package shipped twice answers "already
// shipped", a success can list a failed package, and webhooks reach a receiver signed. The last
// test runs the whole loop through the real core.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createCore, ROOT } from './lib/engines.mjs';
import { mustExec, packForHandover, startReceiver, startSandboxProcess } from './lib/marketplace.mjs';
import { createClient } from '../web/server/marketplace/client.mjs';
import { SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { deliverCall, marketplaceCalls } from '../web/server/marketplace/calls.mjs';
import { handleWebhook, memorySeen, orderFetcher, verifyWebhook } from '../web/server/marketplace/webhook.mjs';
import { until } from './lib/until.mjs';

const running = [];
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
});

async function sandbox(args = [], env = {}) {
  const s = await startSandboxProcess(args, env);
  running.push(s);
  return s;
}

// A receiver closed after the tests even when one fails (an open server keeps the file's process alive).
async function receiverOf(handler) {
  const r = await startReceiver(handler);
  running.push({ stop: r.close });
  return r;
}

function client(url, overrides = {}) {
  return createClient({ baseUrl: url, ...SANDBOX_CREDENTIALS, ...overrides });
}

async function control(url, method, route, body) {
  const res = await fetch(new URL(route.slice(1), url), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const stats = async (url) => (await control(url, 'GET', '/sandbox/stats')).body;
const REQUEST_ID = /^\d{14}[0-9A-F]{20}$/;

test('sandbox: signed calls succeed; its orders are the order-detail shape and import into the core', async () => {
  const s = await sandbox();
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const created = await control(s.url, 'POST', '/sandbox/orders', { count: 3 });
  assert.equal(created.status, 201);
  const ids = created.body.order_ids;
  assert.equal(ids.length, 3);
  const api = client(s.url);
  const detail = await api.getOrderDetail(ids);
  assert.equal(detail.ok, true, JSON.stringify(detail));
  assert.match(detail.requestId, REQUEST_ID);
  assert.deepEqual(detail.data.order_list.map((o) => o.order_id), ids);
  const search = await api.searchOrders({ pageSize: 2 });
  assert.equal(search.ok, true);
  assert.equal(search.data.order_list.length, 2);
  assert.equal(search.data.more, true);
  const rest = await api.searchOrders({ pageSize: 2, cursor: search.data.next_cursor });
  assert.deepEqual([...search.data.order_list, ...rest.data.order_list].map((o) => o.order_id).sort(), [...ids].sort());
  const core = await createCore();
  for (const order of detail.data.order_list) {
    assert.equal(order.order_status, 111);
    assert.match(order.create_time, /^\d{13}$/);
    assert.match(order.recipient_address.phone, /^\(\+84\)\d{9}$/, 'unmasked, as the marketplace sends it');
    assert.equal(order.package_list.length, 1);
    const r = mustExec(core, { cmd: 'order.import', at: Date.now(), order });
    assert.equal(r.result.order.stage, 'awaiting_confirmation');
    assert.ok(!JSON.stringify(r).includes(order.recipient_address.phone.slice(4)), 'the core masks the phone');
  }
});

test('sandbox: unsigned, badly signed, stale or foreign requests are refused the way the API refuses them, and change nothing', async () => {
  const s = await sandbox();
  const { order_ids: [id] } = (await control(s.url, 'POST', '/sandbox/orders', {})).body;
  const pkg = (await client(s.url).getOrderDetail([id])).data.order_list[0].package_list[0].package_id;
  const raw = async (url, init) => {
    const res = await fetch(url, init);
    return { status: res.status, body: await res.json() };
  };
  const base = new URL('api/fulfillment/rts', s.url);
  const ship = JSON.stringify({ package_id: pkg, pick_up_type: 1 });
  const signed = new URL(client(s.url).url('/api/fulfillment/rts'));
  const tamper = (f) => {
    const u = new URL(signed);
    f(u.searchParams);
    return u;
  };
  const cases = [
    ['no query at all', base, 400, 36009004, /`app_key` query parameter/],
    ['no sign', tamper((q) => q.delete('sign')), 400, 36009004, /does not include a required signature/],
    ['a sign that does not verify', tamper((q) => q.set('sign', '0'.repeat(64))), 401, 106001, /The `sign` query parameter is invalid/],
    ['a signed param changed', tamper((q) => q.set('shop_id', '1')), 401, 106001, /`sign`/],
    ['another app key', tamper((q) => q.set('app_key', 'someone-else')), 400, 36009004, /Invalid `app_key`/],
    ['a timestamp that is not a number', tamper((q) => q.set('timestamp', 'soon')), 400, 36009004, /must not be lesser than 0/],
  ];
  for (const [what, url, status, code, message] of cases) {
    const r = await raw(url, { method: 'POST', body: ship });
    assert.equal(r.status, status, what);
    assert.equal(r.body.code, code, what);
    assert.match(r.body.message, message, what);
    assert.match(r.body.request_id, REQUEST_ID, what);
    assert.equal(r.body.data, undefined, what);
  }
  // Through the client: a stale clock, the wrong secret, token or shop.
  const refusals = [
    [{ now: () => Date.now() - 10 * 60 * 1000 }, 400, 36009004, /earlier than 5 minutes before/],
    [{ now: () => Date.now() + 10 * 60 * 1000 }, 400, 36009004, /later than 5 minutes after/],
    [{ appSecret: 'not-the-secret' }, 401, 106001, /`sign`/],
    [{ accessToken: 'expired-token' }, 401, 36009004, /`access_token`/],
    [{ shopId: '42' }, 400, 36009004, /`shop_id`/],
  ];
  for (const [override, status, code, message] of refusals) {
    const r = await client(s.url, override).shipPackage({ packageId: pkg, method: 'pickup' });
    assert.deepEqual([r.ok, r.httpStatus, r.code, r.transient], [false, status, code, false], JSON.stringify(override));
    assert.match(r.message, message);
  }
  const bodyless = await client(s.url).call('POST', '/api/fulfillment/rts', { body: { package_id: pkg } });
  assert.deepEqual([bodyless.httpStatus, bodyless.code], [200, 36009004]);
  assert.match(bodyless.message, /`pick_up_type` is required/);
  const notJson = await raw(client(s.url).url('/api/fulfillment/rts'), { method: 'POST', body: '{nope' });
  assert.deepEqual([notJson.status, notJson.body.code], [400, 36009004]);
  const noPath = await raw(client(s.url).url('/api/orders/teleport'), { method: 'POST', body: '{}' });
  assert.deepEqual([noPath.status, noPath.body.code], [404, 36009009]);
  const wrongMethod = await client(s.url).call('GET', '/api/fulfillment/rts');
  assert.deepEqual([wrongMethod.httpStatus, wrongMethod.code], [404, 36009009]);
  // Nothing happened to the package: no ship call reached it.
  const st = await stats(s.url);
  assert.equal(st.ship_calls[pkg], undefined, 'no call reached the package');
  assert.equal(st.shipped[pkg], undefined);
  assert.equal((await control(s.url, 'GET', `/sandbox/orders/${id}`)).body.packages[0].package_status, 1);
});

test('sandbox: a package shipped twice answers "already shipped"; the connector counts the retry as done', async () => {
  const s = await sandbox();
  const { order_ids: [a, b] } = (await control(s.url, 'POST', '/sandbox/orders', { count: 2 })).body;
  const api = client(s.url);
  const pkgOf = async (id) => (await api.getOrderDetail([id])).data.order_list[0].package_list[0].package_id;
  const pa = await pkgOf(a);
  const first = await api.shipPackage({ packageId: pa, method: 'pickup' });
  assert.deepEqual([first.ok, first.data], [true, { fail_packages: [] }]);
  const second = await api.shipPackage({ packageId: pa, method: 'pickup' });
  assert.deepEqual([second.ok, second.httpStatus, second.code], [false, 200, 21011002]);
  assert.match(second.message, /already been shipped/);
  const retry = await deliverCall({ kind: 'ship', order_id: a, method: 'pickup' }, api);
  assert.deepEqual(retry, { status: 'done', packages: [{ package_id: pa, status: 'done', already: true }], already: true });
  const after1 = (await control(s.url, 'GET', `/sandbox/orders/${a}`)).body;
  assert.deepEqual([after1.detail.order_status, after1.packages[0].package_status, after1.packages[0].pick_up_type], [112, 2, 1]);
  assert.match(after1.detail.tracking_number, /^SBX\d+$/);
  // A drop-off through the connector, once.
  const pb = await pkgOf(b);
  assert.equal((await deliverCall({ kind: 'ship', order_id: b, method: 'dropoff' }, api)).status, 'done');
  const st = await stats(s.url);
  assert.deepEqual([st.ship_calls[pa], st.shipped[pa], st.ship_calls[pb], st.shipped[pb]], [3, 1, 1, 1]);
  const tracking = await api.getPackageTracking(pb);
  assert.equal(tracking.data.tracking_info_list[0].description, 'Your order was processed and your package is ready to ship.');
  assert.equal((await api.getPackageDetail(pb)).data.pick_up_type, 2);
});

test('sandbox: a success that lists the package as failed leaves it unshipped; the connector reports that package failed', async () => {
  const s = await sandbox();
  const { order_ids: [id] } = (await control(s.url, 'POST', '/sandbox/orders', { fail_ship: true })).body;
  const api = client(s.url);
  const pkg = (await api.getOrderDetail([id])).data.order_list[0].package_list[0].package_id;
  const r = await api.shipPackage({ packageId: pkg, method: 'pickup' });
  assert.equal(r.ok, true, 'code 0: the call itself succeeded');
  assert.deepEqual(r.data.fail_packages, [{ fail_code: 206108, fail_reason: 'invalid tracking number', package_id: pkg }]);
  const delivered = await deliverCall({ kind: 'ship', order_id: id, method: 'pickup' }, api);
  assert.deepEqual(delivered, { status: 'failed', code: 206108, message: 'invalid tracking number',
    packages: [{ package_id: pkg, status: 'failed', code: 206108, message: 'invalid tracking number' }] });
  const held = (await control(s.url, 'GET', `/sandbox/orders/${id}`)).body;
  assert.deepEqual([held.detail.order_status, held.packages[0].package_status], [111, 1]);
  // Fixed at the marketplace: the same call now goes through, once.
  assert.equal((await control(s.url, 'DELETE', `/sandbox/orders/${id}/ship-failure`)).status, 200);
  assert.equal((await deliverCall({ kind: 'ship', order_id: id, method: 'pickup' }, api)).status, 'done');
  const st = await stats(s.url);
  assert.deepEqual([st.ship_calls[pkg], st.shipped[pkg]], [3, 1]);
});

test('sandbox: webhooks reach the receiver signed, in order, and are retried until accepted', async () => {
  let refuseFirst = true;
  const receiver = await receiverOf(async (req) => {
    if (refuseFirst) {
      refuseFirst = false;
      return { status: 503, body: { error: 'busy' } };
    }
    return { status: 200, body: {} };
  });
  const s = await sandbox(['--webhook-url', receiver.url]);
  const { order_ids: [a, b] } = (await control(s.url, 'POST', '/sandbox/orders', { count: 2 })).body;
  const api = client(s.url);
  assert.equal((await deliverCall({ kind: 'ship', order_id: a, method: 'pickup' }, api)).status, 'done');
  assert.equal((await control(s.url, 'POST', `/sandbox/orders/${a}/scan`, {})).body.event, 'picked_up');
  assert.equal((await control(s.url, 'POST', `/sandbox/orders/${b}/cancel-request`, { reason: 'wrong size' })).status, 201);
  assert.equal((await deliverCall({ kind: 'approve_request', order_id: b, request_kind: 'cancel' }, api)).status, 'done');
  await until('webhooks delivered', async () => {
    const st = (await stats(s.url)).webhooks;
    return st.sent === 8 && st.delivered === 8 && st.queued === 0 && st;
  });
  const got = receiver.received.map((r) => ({ ...r, body: JSON.parse(r.raw) }));
  assert.equal(got.length, 9, 'the refused first delivery came again');
  assert.equal(got[0].body.tts_notification_id, got[1].body.tts_notification_id);
  for (const r of got) {
    assert.equal(r.url, '/api/marketplace/webhook');
    assert.match(r.headers.authorization, /^[0-9a-f]{64}$/);
    assert.ok(verifyWebhook(r.raw, r.headers.authorization, { appKey: SANDBOX_CREDENTIALS.appKey, appSecret: SANDBOX_CREDENTIALS.appSecret }));
    assert.equal(verifyWebhook(r.raw, r.headers.authorization, { appKey: SANDBOX_CREDENTIALS.appKey, appSecret: 'other' }), false);
    assert.equal(r.body.shop_id, SANDBOX_CREDENTIALS.shopId);
  }
  const seq = got.slice(1).map(({ body: { type, data } }) => [type, data.order_id === a ? 'a' : 'b',
    data.order_status ?? data.tracking_event ?? data.cancel_status]);
  assert.deepEqual(seq, [
    [1, 'a', 'AWAITING_SHIPMENT'], [1, 'b', 'AWAITING_SHIPMENT'],
    [1, 'a', 'AWAITING_COLLECTION'],
    [4, 'a', 'PICKED_UP'], [1, 'a', 'IN_TRANSIT'],
    [11, 'b', 'CANCELLATION_REQUEST_PENDING'],
    [11, 'b', 'CANCELLATION_REQUEST_SUCCESS'], [1, 'b', 'CANCELLED'],
  ]);
  assert.equal(got.find((r) => r.body.type === 11).body.data.cancel_reason, 'wrong size');
});

test('sandbox: its control routes refuse what cannot happen, with a clear error', async () => {
  const s = await sandbox();
  const { order_ids: [id] } = (await control(s.url, 'POST', '/sandbox/orders', { paid: false })).body;
  const cases = [
    ['POST', '/sandbox/orders', { count: 0 }, 400, /count must be an integer from 1 to 100/],
    ['POST', '/sandbox/orders', { lines: [{ seller_sku: 'NOPE', quantity: 1 }] }, 400, /no such seller_sku/],
    ['POST', '/sandbox/orders', { fail_ship: 'yes' }, 400, /fail_ship must be/],
    ['GET', '/sandbox/orders/1', undefined, 404, /no order 1/],
    ['POST', `/sandbox/orders/${id}/scan`, {}, 409, /has no package on its way/],
    ['POST', `/sandbox/orders/${id}/scan`, { event: 'teleported' }, 400, /event must be one of/],
    ['POST', `/sandbox/orders/${id}/cancel-request`, {}, 409, /UNPAID/],
    ['POST', `/sandbox/orders/${id}/return-request`, { kind: 'exchange' }, 400, /kind must be/],
    ['POST', `/sandbox/orders/${id}/return-request`, {}, 409, /once delivered/],
    ['PUT', '/sandbox/webhook', { url: 'ftp://x' }, 400, /url must be/],
    ['POST', '/sandbox/teleport', {}, 404, /no such sandbox route/],
  ];
  for (const [method, route, body, status, message] of cases) {
    const r = await control(s.url, method, route, body);
    assert.equal(r.status, status, `${method} ${route}`);
    assert.match(r.body.error.message, message, `${method} ${route}`);
  }
  const notJson = await fetch(new URL('sandbox/orders', s.url), { method: 'POST', body: '{' });
  assert.equal(notJson.status, 400);
  // An unpaid order cannot be shipped, and paying it announces the change.
  const api = client(s.url);
  assert.equal((await deliverCall({ kind: 'ship', order_id: id, method: 'pickup' }, api)).status, 'failed');
  assert.equal((await control(s.url, 'POST', `/sandbox/orders/${id}/pay`)).body.detail.order_status, 111);
  assert.equal((await deliverCall({ kind: 'ship', order_id: id, method: 'pickup' }, api)).status, 'done');
});

test('sandbox: --order-every creates orders and --play-every moves shipped parcels on; bad options exit 2', async () => {
  const s = await sandbox(['--order-every', '0.05', '--play-every', '0.05', '--seed', '3']);
  await until('paced orders', async () => (await stats(s.url)).orders_created >= 2);
  const [id] = (await control(s.url, 'GET', '/sandbox/orders')).body.order_ids;
  const shipped = await deliverCall({ kind: 'ship', order_id: id, method: 'dropoff' }, client(s.url));
  assert.equal(shipped.status, 'done', JSON.stringify(shipped)); // a played cancel request only asks: it cancels nothing
  await until('the parcel played to delivery', async () => (await control(s.url, 'GET', `/sandbox/orders/${id}`)).body.detail.order_status === 122);
  const tracking = (await control(s.url, 'GET', `/sandbox/orders/${id}`)).body.packages[0].tracking.map((t) => t.description);
  assert.deepEqual(tracking, ['Your package was delivered.', 'Your package was dropped off at the carrier.',
    'Your order was processed and your package is ready to ship.']);
  for (const args of [['--order-every', '-1'], ['--port', '70000'], ['--play-every', 'often']]) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'web/sandbox/server.mjs'), ...args], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /sandbox: /);
  }
});

test('sandbox: the whole loop through the real core: orders in, shipped once, scans and a return back', async () => {
  const core = await createCore();
  const seen = memorySeen();
  let api;
  const apply = async (commands) => commands.map((c) => core.exec(c));
  const answers = [];
  const receiver = await receiverOf(async (req) => {
    const r = await handleWebhook({ rawBody: req.raw, signature: req.headers.authorization }, {
      appKey: SANDBOX_CREDENTIALS.appKey, appSecret: SANDBOX_CREDENTIALS.appSecret, ...seen, fetchOrder: orderFetcher(api), apply,
    });
    answers.push(r);
    return r;
  });
  const s = await sandbox(['--webhook-url', receiver.url]);
  api = client(s.url);
  const { order_ids: [id] } = (await control(s.url, 'POST', '/sandbox/orders', {})).body;
  const get = () => core.exec({ cmd: 'order.get', at: Date.now(), order_id: id });
  await until('the order imported', () => get().ok);
  assert.equal(get().result.stage, 'awaiting_confirmation');
  // The seller packs and ships in packdesk; the accepted order.ship becomes one ship call.
  const at = packForHandover(core, id, Date.now(), 'pickup');
  const request = { cmd: 'order.ship', at, op: 'dev-9', order_id: id };
  const response = mustExec(core, request);
  const [call] = marketplaceCalls({ request, response, order: get().result });
  assert.equal((await deliverCall(call, api)).status, 'done');
  // The carrier picks it up and delivers it; the buyer asks for a return; the seller approves.
  await control(s.url, 'POST', `/sandbox/orders/${id}/scan`, {});
  await control(s.url, 'POST', `/sandbox/orders/${id}/scan`, { event: 'delivered' });
  await until('delivered', () => get().result.stage === 'delivered');
  await control(s.url, 'POST', `/sandbox/orders/${id}/return-request`, { reason: 'too small' });
  await until('the return request', () => get().result.requests?.length === 1);
  const req = get().result.requests[0];
  assert.deepEqual([req.kind, req.reason, req.state], ['return', 'too small', 'pending']);
  const approve = { cmd: 'request.approve', at: Date.now(), op: 'dev-10', request_id: req.id };
  const [answer] = marketplaceCalls({ request: approve, response: mustExec(core, approve), order: get().result });
  assert.equal((await deliverCall(answer, api)).status, 'done');
  await until('all webhooks', async () => (await stats(s.url)).webhooks.queued === 0 &&
    answers.length === (await stats(s.url)).webhooks.delivered);
  const held = (await control(s.url, 'GET', `/sandbox/orders/${id}`)).body;
  assert.deepEqual([held.detail.order_status, held.reverses[0].reverse_status_value], [122, 3]);
  const o = get().result;
  assert.ok(o.collected_at && o.delivered_at, JSON.stringify([o, answers], null, 1));
  assert.equal(o.tracking_number, held.detail.tracking_number);
  for (const a of answers) {
    assert.equal(a.status, 200, JSON.stringify(a.body));
    for (const r of a.body.results ?? []) assert.equal(r.ok, true, JSON.stringify(r));
  }
  const st = await stats(s.url);
  const pkg = held.packages[0].package_id;
  assert.deepEqual([st.ship_calls[pkg], st.shipped[pkg]], [1, 1], 'shipped exactly once');
});
