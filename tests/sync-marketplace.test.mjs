// sync-marketplace.test.mjs: the marketplace loop through the sync server (web/server/marketplace/
// index.mjs), with real processes only: the marketplace sandbox (web/sandbox/server.mjs) and
// web/server.mjs with a temp data folder, each on a free port, talking over HTTP; devices are wasm
// cores in this process synced by web/sync-client.mjs. The sandbox's own counters (GET
// /sandbox/stats: ship calls per package) and the server's SQLite file are the witnesses.
//
// Proven: a sandbox order reaches the server by signed webhook (and order fetch) and a device pulls
// it; a replayed webhook is applied once (also when both copies arrive together, and after a
// restart); a bad signature is 401 and changes nothing; a ship pushed twice makes one ship call,
// and a server killed (-9) after the commit, before the delivery, sends it once when it is back
// (from the outbox); a buyer's cancellation while a device ships offline ends with the order
// cancelled on the device, the refusal as a conflict, and no ship call; a ship call the sandbox
// refuses is shown to the seller (GET /api/marketplace/calls) and can be sent again; web/sandbox/
// is not served; `web/server.mjs --sandbox` (make run) runs the loop by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createCore } from './lib/engines.mjs';
import { packForHandover, startSandboxProcess } from './lib/marketplace.mjs';
import { call, openServerDb, pair, pairingCode, startServer, tempDataDir } from './lib/sync-server.mjs';
import { SyncClient } from '../web/sync-client.mjs';
import { SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { signWebhook } from '../web/server/marketplace/webhook.mjs';
import { until } from './lib/until.mjs';

const WEBHOOK = '/api/marketplace/webhook';
const cleanups = [];
after(async () => {
  for (const f of cleanups.reverse()) await f();
});

// The server's environment: the connector's default (the sandbox) on the given port, never a
// MARKETPLACE_URL from the environment the tests run in.
const serverEnv = (sandboxPort) => ({ SANDBOX_PORT: String(sandboxPort), MARKETPLACE_URL: '' });

async function sandboxProcess(args = []) {
  const s = await startSandboxProcess(args);
  s.port = Number(new URL(s.url).port);
  cleanups.push(() => s.stop());
  return s;
}

async function control(s, method, route, body) {
  const res = await fetch(new URL(route.slice(1), s.url), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
const stats = async (s) => (await control(s, 'GET', '/sandbox/stats')).body;

async function pointWebhooks(s, server) {
  assert.equal((await control(s, 'PUT', '/sandbox/webhook', { url: server.origin + WEBHOOK })).status, 200);
}

function rows(dataDir, sql, ...args) {
  const db = openServerDb(dataDir);
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}
const counts = (dataDir) => rows(dataDir, `SELECT (SELECT COUNT(*) FROM ops) AS ops, (SELECT COUNT(*) FROM webhooks) AS webhooks,
  (SELECT COUNT(*) FROM outbox) AS outbox, (SELECT version FROM shops WHERE shop_id = 'demo') AS version`)[0];
const outboxOf = (dataDir, orderId) => rows(dataDir, "SELECT id, kind, payload, state, attempts, result FROM outbox WHERE json_extract(payload, '$.order_id') = ?", orderId)
  .map((r) => ({ ...r, payload: JSON.parse(r.payload), result: r.result && JSON.parse(r.result) }));

/**
 * A device of shop demo: a wasm core in this process, synced by SyncClient with `server`. exec()
 * gives every changing command an op (so it is kept pending for the server); `online` may be
 * turned off (its fetch then fails as with no network). connect(server) follows a restarted one.
 */
async function demoDevice(server, name) {
  const paired = await pair(server.origin, 'demo', server.code);
  const core = await createCore();
  cleanups.push(() => core.close());
  let n = 0;
  const dev = {
    ...paired, core, online: true,
    exec(request) {
      const query = request.cmd === 'order.get' || request.cmd.endsWith('.list');
      return core.exec(query ? request : { ...request, op: `${name}-${++n}` });
    },
    get: (orderId) => core.exec({ cmd: 'order.get', at: Date.now(), order_id: orderId }),
    connect(s) {
      dev.client = new SyncClient({
        store: { exec: (request) => ({ response: core.exec(request), saved: Promise.resolve() }) },
        serverUrl: s.origin, token: paired.token, deviceId: paired.device_id, intervalMs: 0,
        fetch: (url, init) => (dev.online ? fetch(url, init) : Promise.reject(new TypeError('fetch failed: offline'))),
      });
    },
    async sync() {
      const r = await dev.client.sync();
      if (dev.online) assert.equal(r.status, 'synced', JSON.stringify(r));
      return r;
    },
    // Syncs until the order is here (it comes by webhook: no telling when).
    async waitFor(orderId) {
      await until(`order ${orderId} on device ${name}`, async () => (await dev.sync()) && dev.get(orderId).ok);
      return dev.get(orderId).result;
    },
  };
  dev.connect(server);
  return dev;
}

async function newSandboxOrder(s, body = {}) {
  const r = await control(s, 'POST', '/sandbox/orders', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const [id] = r.body.order_ids;
  const held = (await control(s, 'GET', `/sandbox/orders/${id}`)).body;
  return { id, pkg: held.packages[0].package_id };
}

// A notification as the marketplace sends it: {raw, signature}.
function notification(id, data, { type = 1, shopId = SANDBOX_CREDENTIALS.shopId, secret = SANDBOX_CREDENTIALS.appSecret } = {}) {
  const raw = JSON.stringify({ type, tts_notification_id: id, shop_id: shopId, timestamp: Math.floor(Date.now() / 1000), data });
  return { raw, signature: signWebhook(raw, SANDBOX_CREDENTIALS.appKey, secret) };
}
const postWebhook = (server, { raw, signature }, headers = {}) =>
  call(server.origin, WEBHOOK, { raw, headers: { ...(signature === undefined ? {} : { authorization: signature }), ...headers } });

// Packs an order on a device up to its handover (pickup), then marks it shipped: all pending.
function shipOnDevice(dev, orderId, method = 'pickup') {
  const at = packForHandover({ exec: (r) => dev.exec(r) }, orderId, Date.now(), method);
  const shipped = dev.exec({ cmd: 'order.ship', at, order_id: orderId });
  assert.equal(shipped.ok, true, JSON.stringify(shipped));
}

let sandbox;
let dataDir;
let server;
before(async () => {
  sandbox = await sandboxProcess();
  dataDir = await tempDataDir();
  cleanups.push(async () => (await import('node:fs/promises')).rm(dataDir, { recursive: true, force: true }));
  server = await startServer(dataDir, serverEnv(sandbox.port));
  cleanups.push(() => server.stop());
  await pointWebhooks(sandbox, server);
});

test('marketplace loop: a sandbox order arrives by signed webhook and a device pulls it', async () => {
  const dev = await demoDevice(server, 'arrive');
  await dev.sync();
  const { id } = await newSandboxOrder(sandbox);
  const o = await dev.waitFor(id);
  assert.deepEqual([o.source, o.stage, o.marketplace_status], ['tiktok', 'awaiting_confirmation', 'AWAITING_SHIPMENT']);
  assert.match(o.buyer.phone, /\*{4}/, 'the buyer\'s phone comes masked (S1)');
  // It came as device `marketplace`'s operation, its op named after the notification.
  const [op] = rows(dataDir, "SELECT op, cmd, ok FROM ops WHERE device_id = 'marketplace' AND json_extract(request, '$.order.order_id') = ?", id);
  assert.equal(op.cmd, 'order.import');
  assert.equal(op.ok, 1);
  const nid = /^mk-(.+)-0$/.exec(op.op)[1];
  assert.deepEqual(rows(dataDir, 'SELECT state FROM webhooks WHERE notification_id = ?', nid), [{ state: 'done' }]);
  assert.ok((await stats(sandbox)).api_calls['/api/orders/detail/query'] >= 1, 'the order was fetched from the marketplace');
});

test('marketplace loop: a replayed webhook is applied once, even when both copies arrive together', async () => {
  const dev = await demoDevice(server, 'replay');
  await dev.sync();
  const { id } = await newSandboxOrder(sandbox);
  await dev.waitFor(id);
  const update = { order_id: id, order_status: 'AWAITING_SHIPMENT', update_time: Math.floor(Date.now() / 1000) };
  const n = notification('replay-1', update);
  await until('the sandbox\'s webhooks settled', async () => (await stats(sandbox)).webhooks.queued === 0);
  const first = await postWebhook(server, n);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual([first.body.duplicate, first.body.commands, first.body.results], [false, 1, [{ op: 'mk-replay-1-0', ok: true }]]);
  const before1 = counts(dataDir);
  const again = await postWebhook(server, n);
  assert.deepEqual([again.status, again.body.duplicate, again.body.commands], [200, true, 0]);
  assert.deepEqual(counts(dataDir), before1, 'the replay changed nothing');
  // Two copies of a new notification at once: one is applied, the other answered as a duplicate.
  const twin = notification('replay-2', { ...update, order_status: 'AWAITING_SHIPMENT' });
  const both = await Promise.all([postWebhook(server, twin), postWebhook(server, twin)]);
  assert.deepEqual(both.map((r) => r.status), [200, 200]);
  assert.deepEqual(both.map((r) => r.body.duplicate).sort(), [false, true]);
  assert.equal(rows(dataDir, "SELECT COUNT(*) AS n FROM ops WHERE op = 'mk-replay-2-0'")[0].n, 1, 'one operation for the notification');
  // A cancellation request replayed: one request on the order, not two.
  const cancel = notification('replay-3', { order_id: id, cancellations_role: 'BUYER', cancel_status: 'CANCELLATION_REQUEST_PENDING',
    cancel_reason: 'changed my mind', update_time: Math.floor(Date.now() / 1000) }, { type: 11 });
  assert.equal((await postWebhook(server, cancel)).body.duplicate, false);
  assert.equal((await postWebhook(server, cancel)).body.duplicate, true);
  await dev.sync();
  assert.deepEqual(dev.get(id).result.requests.map((r) => [r.kind, r.reason, r.state]), [['cancel', 'changed my mind', 'pending']]);
});

test('marketplace loop: a bad signature is 401 and changes nothing; malformed or foreign notifications change nothing either', async () => {
  const { id } = await newSandboxOrder(sandbox);
  const data = { order_id: id, order_status: 'AWAITING_SHIPMENT', update_time: Math.floor(Date.now() / 1000) };
  const good = notification('bad-sig-1', data);
  await until('the sandbox\'s webhooks settled', async () => (await stats(sandbox)).webhooks.queued === 0);
  const before1 = counts(dataDir);
  const unsigned = [
    ['no signature', { raw: good.raw }],
    ['another secret', notification('bad-sig-1', data, { secret: 'not-the-secret' })],
    ['a body changed after signing', { raw: good.raw.replace('AWAITING_SHIPMENT', 'CANCELLED'), signature: good.signature }],
    ['the signature in upper case', { raw: good.raw, signature: good.signature.toUpperCase() }],
    ['an empty signature', { raw: good.raw, signature: '' }],
  ];
  for (const [what, n] of unsigned) {
    const r = await postWebhook(server, n);
    assert.equal(r.status, 401, what);
    assert.equal(r.body.error.code, 'BAD_SIGNATURE', what);
  }
  const malformed = [
    ['not JSON', '{"type": 1,', 400],
    ['no notification id', JSON.stringify({ type: 1, shop_id: SANDBOX_CREDENTIALS.shopId, timestamp: 1, data }), 400],
    ['no order id', JSON.stringify({ type: 1, tts_notification_id: 'bad-1', timestamp: 1, data: { order_status: 'X' } }), 400],
  ];
  for (const [what, raw, status] of malformed) {
    const r = await postWebhook(server, { raw, signature: signWebhook(raw, SANDBOX_CREDENTIALS.appKey, SANDBOX_CREDENTIALS.appSecret) });
    assert.equal(r.status, status, what);
    assert.equal(r.body.error.code, 'BAD_REQUEST', what);
  }
  const tooBig = await call(server.origin, WEBHOOK, { raw: 'x'.repeat(2 << 20), headers: { authorization: good.signature } });
  assert.equal(tooBig.status, 413);
  const foreign = await postWebhook(server, notification('foreign-1', data, { shopId: '42' }));
  assert.deepEqual([foreign.status, foreign.body.ignored], [200, 'shop 42 is not connected to this server']);
  assert.deepEqual(counts(dataDir), before1, 'nothing was applied nor recorded');
  // The signed original still goes through afterwards: nothing above marked it seen.
  const ok = await postWebhook(server, good);
  assert.deepEqual([ok.status, ok.body.duplicate], [200, false]);
});

test('marketplace loop: a ship pushed twice is one ship call; the server killed after the commit sends it once when back', async (t) => {
  const s = await sandboxProcess();
  const dir = await tempDataDir(t);
  let srv = await startServer(dir, serverEnv(s.port));
  t.after(() => srv.stop());
  await pointWebhooks(s, srv);
  const dev = await demoDevice(srv, 'twice');
  await dev.sync();
  const x = await newSandboxOrder(s);
  const y = await newSandboxOrder(s);
  await dev.waitFor(x.id);
  await dev.waitFor(y.id);

  // X: packed, handed over and shipped on the device; the same push sent twice, then the
  // device's own round (a third time, acked).
  shipOnDevice(dev, x.id);
  const { ops } = dev.core.exec({ cmd: 'sync.pending', at: Date.now(), limit: 200 }).result;
  const body = { ops: ops.map(({ seq, op, request }) => ({ seq, op, request: JSON.parse(request) })) }; // kept as received
  assert.equal(body.ops.at(-1).request.cmd, 'order.ship');
  const push1 = await call(srv.origin, '/api/sync/push', { token: dev.token, body });
  const push2 = await call(srv.origin, '/api/sync/push', { token: dev.token, body });
  assert.equal(push1.status, 200, JSON.stringify(push1.body));
  assert.ok(push1.body.results.every((r) => r.ok), JSON.stringify(push1.body.results.filter((r) => !r.ok)));
  assert.deepEqual(push2.body.results, push1.body.results, 'the second push gets the stored answers');
  // (The shop's version may have moved in between: the ship call's webhook can come back first.)
  assert.ok(push2.body.version >= push1.body.version);
  await dev.sync();
  assert.equal(dev.get(x.id).result.stage, 'awaiting_collection');
  await until('X\'s ship call settled', () => outboxOf(dir, x.id)[0]?.state === 'done');
  const [callX, ...moreX] = outboxOf(dir, x.id);
  assert.deepEqual(moreX, [], 'one call queued for X');
  assert.deepEqual([callX.kind, callX.payload.kind, callX.payload.method, callX.attempts], ['marketplace', 'ship', 'pickup', 1]);
  let st = await stats(s);
  assert.deepEqual([st.ship_calls[x.pkg], st.shipped[x.pkg]], [1, 1], 'one ship call for X\'s package');

  // Y: the server restarts with the marketplace unreachable, commits the ship, is killed (-9)
  // before anything reached the marketplace, and comes back with it reachable.
  await srv.stop();
  const deadPort = await new Promise((ok) => { // a port nobody listens on: connections refused
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
  srv = await startServer(dir, serverEnv(deadPort));
  dev.connect(srv);
  shipOnDevice(dev, y.id);
  await dev.sync();
  assert.equal(dev.get(y.id).result.stage, 'awaiting_collection');
  const pending = await until('Y\'s call tried once', () => {
    const [c] = outboxOf(dir, y.id);
    return c?.attempts >= 1 && c;
  });
  assert.deepEqual([pending.state, pending.result.status, pending.result.code], ['pending', 'retry', 'NETWORK']);
  // The seller sees it waiting, with why.
  const waiting = await call(srv.origin, '/api/marketplace/calls', { method: 'GET', token: dev.token });
  assert.equal(waiting.status, 200);
  const shown = waiting.body.calls.find((c) => c.order_id === y.id);
  assert.deepEqual([shown.kind, shown.state, shown.code], ['ship', 'pending', 'NETWORK']);
  await srv.kill9();
  assert.equal((await stats(s)).ship_calls[y.pkg], undefined, 'nothing reached the marketplace');

  srv = await startServer(dir, serverEnv(s.port));
  await pointWebhooks(s, srv);
  await until('Y\'s ship call settled after the restart', () => outboxOf(dir, y.id)[0]?.state === 'done');
  st = await stats(s);
  assert.deepEqual([st.ship_calls[y.pkg], st.shipped[y.pkg]], [1, 1], 'one ship call for Y\'s package');
  assert.deepEqual([st.ship_calls[x.pkg], st.shipped[x.pkg]], [1, 1], 'X was not sent again');
  assert.equal(outboxOf(dir, y.id).length, 1);
  // The notifications seen before the kill are still seen after it.
  const [{ op }] = rows(dir, "SELECT op FROM ops WHERE device_id = 'marketplace' AND json_extract(request, '$.order.order_id') = ? ORDER BY id LIMIT 1", x.id);
  const nid = /^mk-(.+)-0$/.exec(op)[1];
  assert.deepEqual(rows(dir, 'SELECT state FROM webhooks WHERE notification_id = ?', nid), [{ state: 'done' }]);
});

test('marketplace loop: a buyer cancels while a device ships offline: the device ends cancelled, with the conflict, and no ship call', async () => {
  const d1 = await demoDevice(server, 'offline');
  const d2 = await demoDevice(server, 'other');
  await d1.sync();
  await d2.sync();
  const z = await newSandboxOrder(sandbox);
  await d1.waitFor(z.id);
  // Device 1 goes offline, packs, hands over and ships.
  d1.online = false;
  shipOnDevice(d1, z.id);
  assert.equal(d1.get(z.id).result.stage, 'awaiting_collection');
  assert.equal((await d1.client.sync()).status, 'offline');
  // Meanwhile the buyer asks the marketplace to cancel; device 2 (online) approves.
  assert.equal((await control(sandbox, 'POST', `/sandbox/orders/${z.id}/cancel-request`, { reason: 'ordered twice' })).status, 201);
  const request = await until('the buyer\'s request on device 2', async () => {
    await d2.sync();
    const o = d2.get(z.id);
    return o.ok && o.result.requests?.find((r) => r.state === 'pending');
  });
  assert.deepEqual([request.kind, request.reason], ['cancel', 'ordered twice']);
  const approved = d2.exec({ cmd: 'request.approve', at: Date.now(), request_id: request.id });
  assert.equal(approved.ok, true, JSON.stringify(approved));
  await d2.sync();
  assert.equal(d2.get(z.id).result.stage, 'cancelled');
  // The answer reaches the marketplace, which cancels the order there.
  await until('the approval delivered', () => outboxOf(dataDir, z.id).find((c) => c.payload.kind === 'approve_request')?.state === 'done');
  await until('the sandbox order cancelled', async () => (await control(sandbox, 'GET', `/sandbox/orders/${z.id}`)).body.detail.order_status === 140);
  await until('its webhooks applied', async () => (await stats(sandbox)).webhooks.queued === 0);
  // Device 1 back online: its ship is refused, the order is cancelled, the refusal a conflict.
  d1.online = true;
  const r = await d1.sync();
  assert.equal(r.pending, 0);
  const o = d1.get(z.id).result;
  assert.equal(o.stage, 'cancelled');
  const ship = o.conflicts.find((c) => c.cmd === 'order.ship');
  assert.ok(ship, JSON.stringify(o.conflicts));
  assert.equal(ship.code, 'ILLEGAL_TRANSITION');
  assert.equal(ship.because.event, 'cancelled', JSON.stringify(ship));
  assert.ok(o.actions.includes('conflict.dismiss'));
  // The marketplace got no ship call for it, and the outbox holds none.
  assert.equal((await stats(sandbox)).ship_calls[z.pkg], undefined);
  assert.deepEqual(outboxOf(dataDir, z.id).map((c) => c.payload.kind), ['approve_request']);
});

test('marketplace loop: a ship call the marketplace refuses is shown to the seller, and sent again once fixed', async () => {
  const dev = await demoDevice(server, 'failing');
  await dev.sync();
  const f = await newSandboxOrder(sandbox, { fail_ship: true });
  await dev.waitFor(f.id);
  shipOnDevice(dev, f.id, 'dropoff');
  await dev.sync();
  await until('the ship call failed', () => outboxOf(dataDir, f.id)[0]?.state === 'failed');
  // The seller's devices read it, with the marketplace's code and message.
  const listed = await call(server.origin, '/api/marketplace/calls', { method: 'GET', token: dev.token });
  assert.equal(listed.status, 200);
  const failed = listed.body.calls.find((c) => c.order_id === f.id);
  assert.deepEqual({ kind: failed.kind, state: failed.state, code: failed.code, message: failed.message, attempts: failed.attempts },
    { kind: 'ship', state: 'failed', code: 206108, message: 'invalid tracking number', attempts: 1 });
  assert.deepEqual(failed.packages, [{ package_id: f.pkg, status: 'failed', code: 206108, message: 'invalid tracking number' }]);
  assert.match(failed.op, /^failing-\d+$/, 'the device operation that asked for it');
  let st = await stats(sandbox);
  assert.deepEqual([st.ship_calls[f.pkg], st.shipped[f.pkg]], [1, undefined]);
  // Bad asks are refused and change nothing; another shop sees none of it.
  const other = await pair(server.origin, 'other', await pairingCode(dataDir, 'other'));
  const bad = [
    [{ method: 'GET' }, '/api/marketplace/calls', 401],
    [{ method: 'GET', token: dev.token }, '/api/marketplace/calls?state=lost', 400],
    [{ token: dev.token, body: { id: 'one' } }, '/api/marketplace/calls/retry', 400],
    [{ token: dev.token, raw: '{' }, '/api/marketplace/calls/retry', 400],
    [{ token: dev.token, body: { id: 1e9 } }, '/api/marketplace/calls/retry', 404],
    [{ token: other.token, body: { id: failed.id } }, '/api/marketplace/calls/retry', 404],
    [{ body: { id: failed.id } }, '/api/marketplace/calls/retry', 401],
  ];
  for (const [options, route, status] of bad) {
    const r = await call(server.origin, route, options);
    assert.equal(r.status, status, `${route} ${JSON.stringify(options.body ?? options.raw ?? '')}`);
    assert.equal(typeof r.body.error.code, 'string');
  }
  assert.deepEqual((await call(server.origin, '/api/marketplace/calls', { method: 'GET', token: other.token })).body, { calls: [] });
  assert.equal(outboxOf(dataDir, f.id)[0].state, 'failed');
  // Fixed at the marketplace, the seller sends it again: it goes through, once.
  assert.equal((await control(sandbox, 'DELETE', `/sandbox/orders/${f.id}/ship-failure`)).status, 200);
  const retry = await call(server.origin, '/api/marketplace/calls/retry', { token: dev.token, body: { id: failed.id } });
  assert.deepEqual([retry.status, retry.body], [200, { id: failed.id, state: 'pending' }]);
  await until('the call sent again', () => outboxOf(dataDir, f.id)[0]?.state === 'done');
  st = await stats(sandbox);
  assert.deepEqual([st.ship_calls[f.pkg], st.shipped[f.pkg]], [2, 1]);
  const done = await call(server.origin, '/api/marketplace/calls?state=done', { method: 'GET', token: dev.token });
  assert.equal(done.body.calls.find((c) => c.order_id === f.id).state, 'done');
  assert.equal((await call(server.origin, '/api/marketplace/calls/retry', { token: dev.token, body: { id: failed.id } })).status, 404,
    'a call that went through is not sent again');
});

test('marketplace loop: web/sandbox/ and web/server/ are not served, nor in the offline shell', async () => {
  for (const p of ['/sandbox/server.mjs', '/sandbox/embedded.mjs', '/sandbox/', '/server/marketplace/config.mjs', '/server/marketplace/index.mjs']) {
    assert.equal((await fetch(server.origin + p)).status, 404, p);
  }
  const sw = await (await fetch(`${server.origin}/sw.js`)).text();
  assert.doesNotMatch(sw, /\/sandbox\/|\/server\//);
  assert.doesNotMatch(sw, /packdesk-sandbox-secret/);
});

test('marketplace loop: `web/server.mjs --sandbox` (make run) runs the sandbox and its orders reach shop demo; bad settings stop it', async (t) => {
  const dir = await tempDataDir(t);
  const srv = await startServer(dir, { SANDBOX_PORT: '0', SANDBOX_ORDER_EVERY: '0.2', SANDBOX_PLAY_EVERY: '0', MARKETPLACE_URL: '' }, ['--sandbox']);
  t.after(() => srv.stop());
  const line = await until('the sandbox line', () => /marketplace sandbox \(TikTok Shop API, local\): (http:\/\/127\.0\.0\.1:\d+\/) .*webhooks to (\S+)\)/.exec(srv.output()));
  assert.equal(line[2], `${srv.origin}${WEBHOOK}`);
  const dev = await demoDevice(srv, 'run');
  const tiktok = await until('sandbox orders on the device', async () => {
    await dev.sync();
    const list = dev.core.exec({ cmd: 'orders.export', at: Date.now(), limit: 1000 }).result.orders.filter((o) => o.source === 'tiktok');
    return list.length >= 2 && list;
  });
  const sandboxIds = (await (await fetch(new URL('sandbox/orders', line[1]))).json()).order_ids;
  for (const o of tiktok) assert.ok(sandboxIds.includes(o.id), o.id);

  for (const [env, message] of [
    [{ MARKETPLACE_URL: 'https://open-api.example.com' }, /MARKETPLACE_URL is set, so MARKETPLACE_APP_KEY, .* must be set too/],
    [{ SANDBOX_ORDER_EVERY: 'often' }, /SANDBOX_ORDER_EVERY must be a number of seconds/],
    [{ PACKDESK_MARKETPLACE_SHOP: 'No Shop!' }, /PACKDESK_MARKETPLACE_SHOP is not a shop id/],
  ]) {
    const bad = await tempDataDir(t);
    const r = await startServer(bad, { SANDBOX_PORT: '0', MARKETPLACE_URL: '', ...env }, ['--sandbox']).then(
      (s) => s.stop().then(() => assert.fail(`started with ${JSON.stringify(env)}`)), (err) => err);
    assert.match(r.message, message, JSON.stringify(env));
    assert.match(r.message, /exited \(1\)/);
  }
});

test('marketplace loop: a data folder of schema 1 (before webhooks were kept) is upgraded in place, its data kept', async (t) => {
  const { openSqliteStorage } = await import('../web/server/storage-sqlite.mjs');
  const dir = await tempDataDir(t);
  let storage = await openSqliteStorage({ dir });
  await storage.createShop('old', [{ order_id: 'A', state: 'c3RhdGU=' }]);
  await storage.close();
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(`${dir}/packdesk.sqlite`);
  db.exec('DROP TABLE webhooks; DROP TABLE reconcile_marks');
  db.pragma('user_version = 1');
  db.close();
  storage = await openSqliteStorage({ dir });
  t.after(() => storage.close());
  assert.deepEqual(await storage.orderStates('old'), [{ order_id: 'A', state: 'c3RhdGU=' }]);
  assert.equal(await storage.webhookSeen('marketplace', 'n1'), false);
  assert.equal(await storage.webhookSeen('marketplace', 'n1'), true);
  await storage.webhookDone('marketplace', 'n1');
  assert.equal(await storage.webhookSeen('marketplace', 'n2'), false);
  assert.equal(await storage.webhooksRestart(), 1, 'the one left applying is forgotten at the next start');
  assert.equal(await storage.webhookSeen('marketplace', 'n1'), true, 'a done one is kept');
  assert.equal(await storage.webhookSeen('marketplace', 'n2'), false);
  assert.equal(await storage.reconcileMark('old', 'marketplace', '7'), null, 'the reconciliation\'s table is there too');
  await storage.setReconcileMark('old', 'marketplace', '7', 1700000000);
  assert.equal((await storage.reconcileMark('old', 'marketplace', '7')).watermark, 1700000000);
  const newer = new Database(`${dir}/newer.sqlite`);
  newer.pragma('user_version = 99');
  newer.close();
  const { rename } = await import('node:fs/promises');
  const other = await tempDataDir(t);
  await rename(`${dir}/newer.sqlite`, `${other}/packdesk.sqlite`);
  await assert.rejects(openSqliteStorage({ dir: other }), /schema version 99, this server knows \d+/);
});
