// marketplace-reconcile.test.mjs: the connector's reconciliation (web/server/marketplace/
// reconcile.mjs): what the webhooks did not bring, caught up by searching the marketplace.
//
// The first tests put the real parts together in this process: the sandbox (its webhooks going
// nowhere: every notification is lost), the SQLite storage in a temp folder, the wasm core host
// and the sync logic, and the connector's client. The witnesses are the server's SQLite file
// (operations, order states and versions) and the cores' order.get. The last tests run the real
// processes: the sandbox and web/server.mjs, stopped while the sandbox's webhooks fail for good.
//
// Proven: orders and buyers' pending requests updated since the watermark are applied as device
// `marketplace` (paging through the search by cursor), with op ids from the marketplace's ids
// and times, so a second run writes nothing at all; a later change at the marketplace is caught
// by the next run (searched from the watermark minus the overlap); what a webhook brought, or a
// request the seller already answered here, is not applied again; a malformed answer, an
// unreachable or refusing marketplace fail the run with nothing applied and the watermark kept;
// runs asked for together share one; end to end, a new order and a buyer's cancellation whose
// webhooks were given up while the server was down reach a device after the restart, and
// reconciling again (POST /api/marketplace/reconcile) changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSandboxProcess } from './lib/marketplace.mjs';
import { call, openServerDb, pairingCode, pair, startServer, tempDataDir } from './lib/sync-server.mjs';
import { syncedDevice, until } from './lib/synced-device.mjs';
import { startSandbox } from '../web/sandbox/server.mjs';
import { createClient } from '../web/server/marketplace/client.mjs';
import { SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { createReconciler, ReconcileError } from '../web/server/marketplace/reconcile.mjs';
import { createCoreHost } from '../web/server/core-host.mjs';
import { openSqliteStorage } from '../web/server/storage-sqlite.mjs';
import { createSync } from '../web/server/sync.mjs';

const ACCOUNT = SANDBOX_CREDENTIALS.shopId;

function rows(dir, sql, ...args) {
  const db = openServerDb(dir);
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

// Everything a run could write: row counts, the shop's version, every order state, the devices' seqs.
const dbState = (dir) => ({
  counts: rows(dir, `SELECT (SELECT COUNT(*) FROM ops) AS ops, (SELECT COUNT(*) FROM orders) AS orders,
    (SELECT COUNT(*) FROM outbox) AS outbox, (SELECT COUNT(*) FROM webhooks) AS webhooks,
    (SELECT version FROM shops WHERE shop_id = 'demo') AS version`)[0],
  orders: rows(dir, "SELECT order_id, version, state FROM orders WHERE shop_id = 'demo' ORDER BY order_id"),
  devices: rows(dir, 'SELECT device_id, last_seq FROM devices ORDER BY device_id'),
});

const freePort = () => new Promise((ok) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => ok(port));
  });
});

/**
 * The in-process world: a sandbox nobody hears the webhooks of, shop demo on SQLite with its
 * core, and a reconciler over the connector's real client. `fetch` may wrap the client's (to
 * see or spoil what the marketplace answers). Everything is closed by t.after.
 */
async function world(t, { pageSize = 50, fetch = globalThis.fetch, clientOptions = {} } = {}) {
  const sandbox = await startSandbox({ port: 0 });
  const dir = await tempDataDir(t);
  const storage = await openSqliteStorage({ dir });
  await storage.ensureShop('demo');
  const cores = createCoreHost({ storage });
  const sync = createSync({ storage, cores, log: () => {} });
  const sent = []; // [{path, body}] of every API request
  const client = createClient({ baseUrl: sandbox.url, ...SANDBOX_CREDENTIALS, ...clientOptions,
    fetch: (url, init) => {
      sent.push({ path: new URL(url).pathname, body: init.body === undefined ? undefined : JSON.parse(init.body) });
      return fetch(url, init);
    } });
  const logs = [];
  const reconciler = createReconciler({ client, sync, storage, shopId: 'demo', account: ACCOUNT, pageSize, log: (l) => logs.push(l) });
  t.after(async () => {
    await reconciler.close();
    cores.close();
    await storage.close();
    await sandbox.close();
  });
  const get = async (orderId) => (await sync.query('demo', { cmd: 'order.get', at: Date.now(), order_id: orderId }));
  const cores_ = async (ids) => Promise.all(ids.map(async (id) => (await get(id)).result));
  return { sandbox, shop: sandbox.shop, dir, storage, sync, reconciler, sent, logs, get, cores: cores_ };
}

test('reconcile: the first run imports the orders and the buyers\' pending requests, paging by cursor; a second run writes nothing', async (t) => {
  const w = await world(t, { pageSize: 2 });
  const ids = w.shop.createOrders({ count: 4 });
  const [unpaid] = w.shop.createOrders({ count: 1, paid: false });
  const rev = w.shop.buyerCancel(ids[1], 'bought the wrong size');
  assert.equal(w.sandbox.webhooks.stats().delivered, 0, 'no webhook reached anyone');

  const first = await w.reconciler.run();
  assert.deepEqual([first.orders, first.requests, first.applied, first.refused, first.skipped], [5, 1, 6, 0, 0]);
  const searches = w.sent.filter((s) => s.path === '/api/orders/search');
  assert.equal(searches.length, 3, 'five orders, two a page');
  assert.equal(searches[0].body.cursor, undefined);
  assert.ok(searches.slice(1).every((s) => typeof s.body.cursor === 'string' && s.body.cursor), 'the next pages by cursor');
  const orders = await w.cores([...ids, unpaid]);
  assert.deepEqual(orders.map((o) => [o.source, o.stage]), [...ids.map(() => ['tiktok', 'awaiting_confirmation']), ['tiktok', 'unpaid']]);
  assert.deepEqual(orders[1].requests.map((r) => [r.kind, r.reason, r.state]), [['cancel', 'bought the wrong size', 'pending']]);
  // As device `marketplace`, each op named after what the marketplace says.
  const ops = rows(w.dir, "SELECT op, cmd, ok FROM ops WHERE device_id = 'marketplace' ORDER BY id");
  assert.equal(ops.length, 6);
  assert.ok(ops.every((o) => o.ok === 1));
  const detail = w.shop.inspect(ids[0]).detail;
  assert.ok(ops.some((o) => o.cmd === 'order.import' && o.op === `rc-${ids[0]}-${detail.update_time}-111`), JSON.stringify(ops));
  assert.ok(ops.some((o) => o.cmd === 'request.open' && o.op === `rc-${ids[1]}-r${rev}`));
  const mark = await w.storage.reconcileMark('demo', 'marketplace', ACCOUNT);
  assert.equal(mark.watermark, first.watermark);

  const before = dbState(w.dir);
  const states = await w.cores([...ids, unpaid]);
  w.sent.length = 0;
  const second = await w.reconciler.run();
  assert.deepEqual([second.applied, second.refused, second.skipped], [0, 0, 6]);
  assert.equal(second.from, first.watermark - 600, 'searched from the watermark minus the overlap (10 min)');
  assert.equal(w.sent.find((s) => s.path === '/api/orders/search').body.update_time_from, second.from);
  assert.equal(w.sent.find((s) => s.path === '/api/reverse/reverse_order/list').body.update_time_from, second.from);
  assert.deepEqual(dbState(w.dir), before, 'no operation, no version, no order state written');
  assert.deepEqual(await w.cores([...ids, unpaid]), states, 'the cores hold the same orders');

  // A later change at the marketplace is caught by the next run, once.
  w.shop.pay(unpaid);
  const third = await w.reconciler.run();
  assert.equal(third.applied, 1);
  assert.equal((await w.get(unpaid)).result.stage, 'awaiting_confirmation');
  const after3 = dbState(w.dir);
  assert.equal((await w.reconciler.run()).applied, 0);
  assert.deepEqual(dbState(w.dir), after3);
});

test('reconcile: what packdesk already has is left alone: a webhook\'s import and request, a request the seller answered here, an order ahead here', async (t) => {
  const w = await world(t);
  const [a, b, c] = w.shop.createOrders({ count: 3 });
  w.shop.buyerCancel(a, 'ordered twice');
  w.shop.buyerCancel(b, 'too slow');
  const requestedAt = (id) => w.shop.inspect(id).reverses[0].reverse_request_time * 1000;
  // What the webhooks would have applied (their op ids), before any reconciliation.
  for (const [i, id] of [a, b, c].entries()) {
    const order = w.shop.inspect(id).detail;
    const at = Math.min(order.update_time * 1000, Date.now());
    assert.equal((await w.sync.applyServerOp('demo', { op: `mk-n${i}-0`, request: { cmd: 'order.import', at, op: `mk-n${i}-0`, order } })).ok, true);
    if (id === c) continue;
    const open = { cmd: 'request.open', at: requestedAt(id), op: `mk-r${i}-0`, order_id: id, kind: 'cancel', reason: 'from the webhook' };
    assert.equal((await w.sync.applyServerOp('demo', { op: open.op, request: open })).ok, true);
  }
  // The seller rejects b's request here; the marketplace has not heard of it yet (still waiting).
  const [request] = (await w.get(b)).result.requests;
  const reject = { cmd: 'request.reject', at: Date.now(), op: 'seller-1', request_id: request.id, reason: 'already packed' };
  assert.equal((await w.sync.applyServerOp('demo', { op: 'seller-1', request: reject }, 'seller')).ok, true);
  // The seller cancels c here; the marketplace has not heard of it yet either (no connector here).
  const cancel = { cmd: 'order.cancel', at: Date.now(), op: 'seller-2', order_id: c, reason: 'out of stock' };
  assert.equal((await w.sync.applyServerOp('demo', { op: 'seller-2', request: cancel }, 'seller')).ok, true);
  // c's marketplace status is not packdesk's: its import is applied once (and rolls nothing back).
  const r = await w.reconciler.run();
  assert.deepEqual([r.orders, r.requests, r.applied, r.skipped], [3, 2, 1, 4]);
  assert.equal((await w.get(c)).result.stage, 'cancelled');
  const before = dbState(w.dir);
  const again = await w.reconciler.run();
  assert.deepEqual([again.applied, again.skipped], [0, 5]);
  assert.deepEqual(dbState(w.dir), before, 'nothing applied again');
  assert.deepEqual((await w.get(a)).result.requests.map((q) => [q.reason, q.state]), [['from the webhook', 'pending']]);
  assert.deepEqual((await w.get(b)).result.requests.map((q) => [q.reason, q.state]), [['from the webhook', 'rejected']],
    'the answered request is not opened again');
});

test('reconcile: a malformed answer fails the run before anything is applied; the watermark stays', async (t) => {
  let spoil = null; // (path, data) → data, applied to the sandbox's answers
  const fetch = async (url, init) => {
    const res = await globalThis.fetch(url, init);
    if (!spoil) return res;
    const env = await res.json();
    if (env.code === 0) env.data = spoil(new URL(url).pathname, env.data);
    return new Response(JSON.stringify(env), { status: res.status });
  };
  const w = await world(t, { fetch, pageSize: 1 });
  const ids = w.shop.createOrders({ count: 2 });
  w.shop.buyerCancel(ids[0]);
  const empty = dbState(w.dir);
  const onSearch = (f) => (p, d) => (p === '/api/orders/search' ? f(d) : d);
  const onReverse = (f) => (p, d) => (p === '/api/reverse/reverse_order/list' ? f(d) : d);
  const cases = [
    ['the order list is not a list', onSearch((d) => ({ ...d, order_list: { a: 1 } })), /order search\.order_list is not a list/],
    ['an order id is not an id', onSearch((d) => ({ ...d, order_list: [{ ...d.order_list[0], order_id: 'x y' }] })), /order_list\[0\]\.order_id is not an id/],
    ['an order id that lost its digits', onSearch((d) => ({ ...d, order_list: [{ ...d.order_list[0], order_id: 576000000000000001234 }] })), /is not an id/],
    ['an update time that is not a time', onSearch((d) => ({ ...d, order_list: [{ ...d.order_list[0], update_time: -1 }] })), /update_time is not a count/],
    ['more pages and no cursor', onSearch((d) => ({ ...d, more: true, next_cursor: '' })), /no new next_cursor/],
    ['the same cursor again', onSearch((d) => ({ ...d, more: true, next_cursor: 'b2Zmc2V0OjE=' })), /no new next_cursor/],
    ['a request without its id', onReverse((d) => ({ ...d, reverse_list: d.reverse_list.map(({ reverse_order_id: _, ...x }) => x) })), /reverse_list\[0\]\.reverse_order_id is not an id/],
    ['an order detail without its time', (p, d) => (p === '/api/orders/detail/query' ? { order_list: d.order_list.map(({ update_time: _, ...o }) => o) } : d), /update_time is not a count/],
  ];
  for (const [what, f, message] of cases) {
    spoil = f;
    await assert.rejects(w.reconciler.run(), (err) => {
      assert.ok(err instanceof ReconcileError, what);
      assert.deepEqual([err.status, err.code], [502, 'BAD_ANSWER'], what);
      assert.match(err.message, message, what);
      return true;
    });
    assert.deepEqual(dbState(w.dir), empty, `${what}: nothing applied`);
    assert.equal(await w.storage.reconcileMark('demo', 'marketplace', ACCOUNT), null, `${what}: no watermark`);
  }
  spoil = null;
  assert.equal((await w.reconciler.run()).applied, 3, 'the sound answers go through afterwards');
});

test('reconcile: a marketplace that cannot answer, or refuses the credentials, fails the run: nothing applied, the watermark kept', async (t) => {
  const w = await world(t);
  w.shop.createOrders({ count: 1 });
  const first = await w.reconciler.run();
  const kept = await w.storage.reconcileMark('demo', 'marketplace', ACCOUNT);
  w.shop.createOrders({ count: 1 });
  const state = dbState(w.dir);
  const bad = [
    ['unreachable', { baseUrl: `http://127.0.0.1:${await freePort()}` }, 503, 'MARKETPLACE_UNAVAILABLE'],
    ['another app secret', { baseUrl: w.sandbox.url, appSecret: 'not-the-secret' }, 502, 'MARKETPLACE_REFUSED'],
  ];
  for (const [what, options, status, code] of bad) {
    const reconciler = createReconciler({ client: createClient({ ...SANDBOX_CREDENTIALS, ...options }), sync: w.sync, storage: w.storage,
      shopId: 'demo', account: ACCOUNT });
    await assert.rejects(reconciler.run(), (err) => err instanceof ReconcileError && err.status === status && err.code === code, what);
    assert.deepEqual(dbState(w.dir), state, `${what}: nothing applied`);
    assert.deepEqual(await w.storage.reconcileMark('demo', 'marketplace', ACCOUNT), kept, `${what}: the watermark kept`);
  }
  const next = await w.reconciler.run();
  assert.equal(next.applied, 1, 'the next good run catches up');
  assert.equal(next.from, first.watermark - 600);
});

test('reconcile: runs asked for together share one, started after the ask', async (t) => {
  const w = await world(t);
  w.shop.createOrders({ count: 2 });
  const p1 = w.reconciler.run();
  const p2 = w.reconciler.run();
  const p3 = w.reconciler.run();
  assert.notEqual(p1, p2);
  assert.equal(p2, p3, 'the ones asked meanwhile share the next run');
  const [r1, r2] = await Promise.all([p1, p2, p3]);
  assert.equal(r1.applied, 2);
  assert.deepEqual([r2.applied, r2.skipped], [0, 2], 'the next run starts after the first is through');
  await w.reconciler.close();
  await assert.rejects(w.reconciler.run(), (err) => err.code === 'STOPPING');
});

// ---- end to end: real processes ----

// The reconciliation as `make run` has it: at start and every 5 min.
const serverEnv = (port, extra = {}) => ({ SANDBOX_PORT: String(port), MARKETPLACE_URL: '', PACKDESK_RECONCILE_MS: '300000', ...extra });

async function control(s, method, route, body) {
  const res = await fetch(new URL(route.slice(1), s.url), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('reconcile, end to end: a new order and a buyer\'s cancellation whose webhooks were given up while the server was down reach a device after its restart; reconciling again changes nothing', async (t) => {
  const sandbox = await startSandboxProcess(['--webhook-attempts', '2']);
  t.after(() => sandbox.stop());
  const port = Number(new URL(sandbox.url).port);
  const dir = await tempDataDir(t);
  let server = await startServer(dir, serverEnv(port));
  t.after(() => server.stop());
  const point = async () => assert.equal((await control(sandbox, 'PUT', '/sandbox/webhook', { url: `${server.origin}/api/marketplace/webhook` })).status, 200);
  await point();
  const dev = await syncedDevice(t, server, 'rc');
  await dev.sync();
  // K and M arrive by webhook; M's buyer asks to cancel, by webhook too.
  const newOrder = async () => (await control(sandbox, 'POST', '/sandbox/orders', {})).body.order_ids[0];
  const k = await newOrder();
  const m = await newOrder();
  await dev.waitFor(k);
  assert.equal((await control(sandbox, 'POST', `/sandbox/orders/${m}/cancel-request`, { reason: 'found it cheaper' })).status, 201);
  await dev.waitFor(m, (o) => o.requests.length === 1);

  // The server goes down. Meanwhile a new order N, and K's buyer asks to cancel: the sandbox
  // tries each webhook twice and gives up.
  await server.stop();
  const failedBefore = (await control(sandbox, 'GET', '/sandbox/stats')).body.webhooks.failed;
  const n = await newOrder();
  const rev = (await control(sandbox, 'POST', `/sandbox/orders/${k}/cancel-request`, { reason: 'ordered by mistake' })).body.reverse_order_id;
  await until('the sandbox giving up its webhooks', async () => {
    const { webhooks } = (await control(sandbox, 'GET', '/sandbox/stats')).body;
    return webhooks.queued === 0 && webhooks.failed === failedBefore + 2;
  });

  // Back up: the reconciliation at start brings both; the device pulls them.
  server = await startServer(dir, serverEnv(port));
  await point();
  dev.connect(server);
  const got = await dev.waitFor(n, () => true, 'order N on the device');
  assert.deepEqual([got.source, got.stage], ['tiktok', 'awaiting_confirmation']);
  const cancelled = await dev.waitFor(k, (o) => o.requests.length === 1, 'K\'s cancellation request on the device');
  assert.deepEqual(cancelled.requests.map((r) => [r.kind, r.reason, r.state]), [['cancel', 'ordered by mistake', 'pending']]);
  assert.ok(cancelled.actions.includes('request.approve'), 'the seller can answer it');
  assert.equal(rows(dir, "SELECT COUNT(*) AS n FROM ops WHERE device_id = 'marketplace' AND op = ?", `rc-${k}-r${rev}`)[0].n, 1);
  assert.equal(rows(dir, "SELECT COUNT(*) AS n FROM ops WHERE device_id = 'marketplace' AND op LIKE ? AND cmd = 'order.import'", `rc-${n}-%`)[0].n, 1);
  assert.equal(dev.get(m).result.requests.length, 1, 'M\'s request, brought by its webhook, is not opened twice');

  // Reconciling again (the start's run is waited for first) applies nothing, twice.
  const reconcile = (token = dev.token) => call(server.origin, '/api/marketplace/reconcile', { token });
  const r1 = await reconcile();
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body.applied, 0, JSON.stringify(r1.body));
  const state = dbState(dir);
  const onDevice = [k, m, n].map((id) => dev.get(id).result);
  const r2 = await reconcile();
  assert.deepEqual([r2.status, r2.body.applied, r2.body.refused], [200, 0, 0]);
  assert.ok(r2.body.skipped >= 3, JSON.stringify(r2.body));
  assert.deepEqual(dbState(dir), state, 'db counts and order states identical');
  await dev.sync();
  assert.deepEqual([k, m, n].map((id) => dev.get(id).result), onDevice, 'the device\'s orders identical');
  assert.equal(rows(dir, "SELECT COUNT(*) AS n FROM reconcile_marks WHERE shop_id = 'demo' AND account = ?", ACCOUNT)[0].n, 1);

  // Who may ask: a device of the connected shop only.
  const other = await pair(server.origin, 'other', await pairingCode(dir, 'other'));
  for (const [what, r, status] of [
    ['no token', await call(server.origin, '/api/marketplace/reconcile', {}), 401],
    ['a wrong token', await reconcile('x'.repeat(43)), 401],
    ['another shop\'s device', await reconcile(other.token), 404],
    ['GET', await call(server.origin, '/api/marketplace/reconcile', { method: 'GET', token: dev.token }), 405],
  ]) {
    assert.equal(r.status, status, what);
    assert.equal(typeof r.body.error.code, 'string', what);
  }
  assert.deepEqual(dbState(dir).counts, state.counts, 'the refusals changed nothing');
});

test('reconcile, end to end: an unreachable marketplace is a 503 with the watermark kept; a bad PACKDESK_RECONCILE_MS stops the server', async (t) => {
  const dir = await tempDataDir(t);
  const server = await startServer(dir, serverEnv(await freePort()));
  t.after(() => server.stop());
  const dev = await syncedDevice(t, server, 'down');
  const r = await call(server.origin, '/api/marketplace/reconcile', { token: dev.token });
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'MARKETPLACE_UNAVAILABLE');
  assert.match(r.body.error.message, /order search: NETWORK/);
  assert.deepEqual(rows(dir, 'SELECT * FROM reconcile_marks'), []);
  for (const value of ['often', '-1', '1.5', '86400001']) {
    const bad = await tempDataDir(t);
    const err = await startServer(bad, serverEnv(1, { PACKDESK_RECONCILE_MS: value })).then(
      (s) => s.stop().then(() => assert.fail(`started with PACKDESK_RECONCILE_MS=${value}`)), (e) => e);
    assert.match(err.message, /PACKDESK_RECONCILE_MS must be a number of milliseconds from 0 to 86400000/, value);
  }
});
