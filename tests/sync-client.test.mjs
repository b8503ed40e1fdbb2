// sync-client.test.mjs: the device's loop (web/sync-client.mjs) against the real sync server
// (web/server.mjs as a child process, a temp data folder, its SQLite file), with two devices,
// each a real wasm core in this process (the browser store needs IndexedDB; here the core is
// given the store's exec shape, nothing else). Device 1 works offline (its fetch fails, as with
// no network) while device 2 cancels the order device 1 confirms; back online, device 1's confirm
// is refused by the server and shows as a conflict on that order, with the cancellation as its
// `because`; in the end both devices hold exactly the server's orders. Also: an operation made
// during a push is rebased and pushed by the next round, a refusal on an order the server did not
// change comes back through `include`, a token the server does not know is `sync-failed` and
// changes nothing, and `changed()` after a local command starts a round.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCore } from './lib/engines.mjs';
import { pulledOrders } from './lib/sync-console.mjs';
import { call, pair, startServer, tempDataDir } from './lib/sync-server.mjs';
import { SyncClient } from '../web/sync-client.mjs';

const MIN = 60000;

let dataDir;
let server;
before(async () => {
  dataDir = await tempDataDir();
  server = await startServer(dataDir);
});
after(async () => {
  await server?.stop();
  const { rm } = await import('node:fs/promises');
  await rm(dataDir, { recursive: true, force: true });
});

// The store's exec shape over an in-memory core: {response, saved}.
const storeOf = (core) => ({ exec: (request) => ({ response: core.exec(request), saved: Promise.resolve() }) });

function ok(response, what) {
  assert.equal(response.ok, true, `${what}: ${JSON.stringify(response)}`);
  return response.result;
}

// Every order of a core in full (orders.export, paged), by id, as of `at`.
function exportAll(core, at) {
  const all = {};
  let after;
  do {
    const page = ok(core.exec({ cmd: 'orders.export', at, limit: 1000, ...(after ? { after } : {}) }), 'orders.export');
    for (const o of page.orders) all[o.id] = o;
    after = page.next;
  } while (after);
  return all;
}

// The server's orders, as a fresh core sees them once loaded from a full pull (a third device).
const serverOrders = (token, at) => pulledOrders((body) => call(server.origin, '/api/sync/pull', { token, body }), at);

// An order's view without what is only this device's: its conflicts (and the action they offer).
function withoutConflicts(o) {
  return { ...o, conflicts: [], actions: o.actions.filter((a) => a !== 'conflict.dismiss') };
}

test('sync client: two devices, a conflict while offline, both end with the server\'s orders', async (t) => {
  let now = Date.now();
  const clock = () => now;
  const [p1, p2, p3] = [await pair(server.origin, 'demo', server.code), await pair(server.origin, 'demo', server.code),
    await pair(server.origin, 'demo', server.code)];
  const core1 = await createCore();
  const core2 = await createCore();
  t.after(() => {
    core1.close();
    core2.close();
  });
  let online1 = true;
  let duringPush = null; // runs once, while device 1's push is on its way
  const fetch1 = async (url, init) => {
    if (!online1) throw new TypeError('fetch failed: the network is down');
    if (duringPush && url.endsWith('/api/sync/push')) {
      const job = duringPush;
      duringPush = null;
      job();
    }
    return fetch(url, init);
  };
  const c1 = new SyncClient({ store: storeOf(core1), serverUrl: server.origin, token: p1.token, deviceId: p1.device_id,
    fetch: fetch1, clock, intervalMs: 0 });
  const c2 = new SyncClient({ store: storeOf(core2), serverUrl: `${server.origin}/`, token: p2.token, deviceId: p2.device_id,
    clock, intervalMs: 0, kickDelayMs: 0 });
  const seen1 = [];
  c1.addEventListener('status', (e) => seen1.push(e.detail.status));

  // Both devices start empty and take the demo shop.
  let d1 = await c1.sync();
  let d2 = await c2.sync();
  assert.equal(d1.status, 'synced', JSON.stringify(d1));
  assert.equal(d2.status, 'synced', JSON.stringify(d2));
  assert.deepEqual(seen1, ['syncing', 'synced']);
  assert.equal(ok(core1.exec({ cmd: 'sync.status', at: now }), 'status').device_id, p1.device_id);
  const demo = exportAll(core1, now);
  assert.ok(Object.keys(demo).length >= 30, `the demo shop came through: ${Object.keys(demo).length} orders`);
  assert.deepEqual(exportAll(core2, now), demo);
  assert.deepEqual(await serverOrders(p3.token, now), demo);

  // Device 2 takes two new orders; device 1 gets them.
  const order = (id) => ({ id, placed_at: now, paid_at: now, currency: 'VND',
    lines: [{ id: 'L1', sku: 'TOWEL-COTTON', name: 'Cotton towel', unit_price: 120000, quantity: 1 }] });
  ok(core2.exec({ cmd: 'order.import', at: now, op: 'd2-1', order: order('SYNC-1') }), 'import');
  ok(core2.exec({ cmd: 'order.import', at: now, op: 'd2-2', order: order('SYNC-2') }), 'import');
  ok(core2.exec({ cmd: 'line.check', at: now, op: 'd2-3', order_id: 'SYNC-1', line_id: 'L1', result: 'ok' }), 'check');
  d2 = await c2.sync();
  assert.equal(d2.status, 'synced');
  assert.equal(d2.pending, 0);
  assert.equal((await c1.sync()).status, 'synced');
  assert.equal(ok(core1.exec({ cmd: 'order.get', at: now, order_id: 'SYNC-1' }), 'get').stage, 'awaiting_confirmation');

  // Offline, device 1 confirms SYNC-1 and checks SYNC-2's line; the server cannot be reached.
  online1 = false;
  now += 10 * MIN;
  const confirmAt = now;
  ok(core1.exec({ cmd: 'order.confirm', at: now, op: 'd1-confirm', order_id: 'SYNC-1' }), 'confirm');
  ok(core1.exec({ cmd: 'line.check', at: now + 1, op: 'd1-check', order_id: 'SYNC-2', line_id: 'L1', result: 'ok' }), 'check');
  seen1.length = 0;
  d1 = await c1.sync();
  assert.equal(d1.status, 'offline');
  assert.equal(d1.error.code, 'OFFLINE');
  assert.equal(d1.pending, 2);
  assert.deepEqual(seen1, ['syncing', 'offline']);
  assert.equal(ok(core1.exec({ cmd: 'order.get', at: now, order_id: 'SYNC-1' }), 'get').stage, 'confirmed');

  // Meanwhile device 2 cancels SYNC-1, and the server has it first.
  now += MIN;
  const cancelAt = now;
  ok(core2.exec({ cmd: 'order.cancel', at: now, op: 'd2-4', order_id: 'SYNC-1', reason: 'out of stock' }), 'cancel');
  assert.equal((await c2.sync()).status, 'synced');

  // Back online: the confirm is refused, the check goes through.
  online1 = true;
  now += MIN;
  seen1.length = 0;
  d1 = await c1.sync();
  assert.deepEqual(seen1, ['syncing', 'synced']);
  assert.deepEqual({ status: d1.status, pending: d1.pending, conflicts: d1.conflicts }, { status: 'synced', pending: 0, conflicts: 1 });
  const s1 = ok(core1.exec({ cmd: 'order.get', at: now, order_id: 'SYNC-1' }), 'get');
  assert.equal(s1.stage, 'cancelled');
  assert.deepEqual(s1.conflicts, [{
    op: 'd1-confirm', cmd: 'order.confirm', at: confirmAt, code: 'ILLEGAL_TRANSITION', rule: 'D1',
    message: 'order SYNC-1 is cancelled, not awaiting confirmation', because: { event: 'cancelled', at: cancelAt },
  }]);
  assert.ok(s1.actions.includes('conflict.dismiss'));
  assert.equal(ok(core1.exec({ cmd: 'order.get', at: now, order_id: 'SYNC-2' }), 'get').lines[0].check, 'ok');

  // Device 2 catches up; all three hold the same orders (device 1 also its conflict).
  assert.equal((await c2.sync()).status, 'synced');
  const want = await serverOrders(p3.token, now);
  const got1 = exportAll(core1, now);
  assert.deepEqual(exportAll(core2, now), want);
  assert.deepEqual(Object.fromEntries(Object.entries(got1).map(([id, o]) => [id, withoutConflicts(o)])), want);
  ok(core1.exec({ cmd: 'conflict.dismiss', at: now, order_id: 'SYNC-1', op: 'd1-confirm' }), 'dismiss');
  assert.deepEqual(exportAll(core1, now), want);

  // A command made while a push is on its way is not in it: the round rebases it (it is still
  // pending), the next round pushes it, and device 2 sees both.
  now += MIN;
  ok(core1.exec({ cmd: 'order.confirm', at: now, op: 'd1-confirm-2', order_id: 'SYNC-2' }), 'confirm');
  duringPush = () => ok(core1.exec({ cmd: 'pack.scan', at: now + 1, op: 'd1-scan', order_id: 'SYNC-2', sku: 'TOWEL-COTTON' }), 'scan');
  seen1.length = 0;
  d1 = await c1.sync();
  assert.equal(duringPush, null, 'the command ran during the push');
  assert.deepEqual({ status: d1.status, pending: d1.pending, conflicts: d1.conflicts }, { status: 'synced', pending: 0, conflicts: 0 });
  assert.deepEqual(seen1, ['syncing', 'synced']);
  assert.equal((await c2.sync()).status, 'synced');
  const s2 = ok(core2.exec({ cmd: 'order.get', at: now + 2, order_id: 'SYNC-2' }), 'get');
  assert.deepEqual([s2.stage, s2.lines[0].packed], ['confirmed', 1]);
  assert.deepEqual(exportAll(core1, now + 2), exportAll(core2, now + 2));

  // changed() after a local command: a round starts by itself.
  now += MIN;
  ok(core2.exec({ cmd: 'pack.confirm', at: now, op: 'd2-5', order_id: 'SYNC-2', item: 'no_promo_inserts' }), 'pack.confirm');
  const synced = new Promise((resolve) => {
    c2.addEventListener('status', (e) => e.detail.status === 'synced' && resolve(e.detail));
  });
  c2.changed();
  assert.equal((await synced).pending, 0);
  assert.equal((await c1.sync()).status, 'synced');
  assert.deepEqual(exportAll(core1, now), exportAll(core2, now));
});

// The server refuses for a reason the device cannot see (a shop setting it does not hold), on an
// order the server has not changed since the device's cursor: only `include` brings the order's
// state back, undoing the device's optimistic change.
test('sync client: a refusal on an order the server did not change is undone through include', async (t) => {
  let now = Date.now();
  const clock = () => now;
  const [pa, pb, pc] = [await pair(server.origin, 'demo', server.code), await pair(server.origin, 'demo', server.code),
    await pair(server.origin, 'demo', server.code)];
  const coreA = await createCore();
  const coreB = await createCore();
  t.after(() => {
    coreA.close();
    coreB.close();
  });
  const a = new SyncClient({ store: storeOf(coreA), serverUrl: server.origin, token: pa.token, deviceId: pa.device_id, clock, intervalMs: 0 });
  const b = new SyncClient({ store: storeOf(coreB), serverUrl: server.origin, token: pb.token, deviceId: pb.device_id, clock, intervalMs: 0 });
  assert.equal((await a.sync()).status, 'synced');
  assert.equal((await b.sync()).status, 'synced');
  // Device B sets the shop's carrier table; shop settings are the server's, not pulled.
  ok(coreB.exec({ cmd: 'policy.set', at: now, op: 'b-policy', carriers: { GHN: { refuses: ['fragile'] } } }), 'policy');
  assert.equal((await b.sync()).status, 'synced');
  // Device A packs a fragile order, synced: the server holds it packed.
  const steps = [
    { cmd: 'order.import', order: { id: 'INC-1', placed_at: now, paid_at: now, currency: 'VND',
      lines: [{ id: 'L1', sku: 'MUG-CERAMIC', name: 'Ceramic mug', unit_price: 240000, quantity: 1, classes: ['fragile'] }] } },
    { cmd: 'line.check', order_id: 'INC-1', line_id: 'L1', result: 'ok' },
    { cmd: 'order.confirm', order_id: 'INC-1' },
    { cmd: 'pack.scan', order_id: 'INC-1', sku: 'MUG-CERAMIC' },
    ...['no_promo_inserts', 'protective_packaging', 'fragile'].map((item) => ({ cmd: 'pack.confirm', order_id: 'INC-1', item })),
    { cmd: 'pack.complete', order_id: 'INC-1' },
  ];
  steps.forEach((s, i) => ok(coreA.exec({ ...s, at: (now += 1000), op: `a-${i}` }), s.cmd));
  let d = await a.sync();
  assert.deepEqual([d.status, d.pending], ['synced', 0]);
  // Handed to GHN: fine by the device's own (default) carrier table, refused by the server's.
  now += MIN;
  const handover = ok(coreA.exec({ cmd: 'handover.set', at: now, op: 'a-handover', order_id: 'INC-1', method: 'pickup', carrier: 'GHN' }), 'handover');
  assert.equal(handover.order.stage, 'packed');
  assert.equal(ok(coreA.exec({ cmd: 'order.get', at: now, order_id: 'INC-1' }), 'get').handover.carrier, 'GHN');
  d = await a.sync();
  assert.deepEqual({ status: d.status, pending: d.pending, conflicts: d.conflicts }, { status: 'synced', pending: 0, conflicts: 1 });
  const inc = ok(coreA.exec({ cmd: 'order.get', at: now, order_id: 'INC-1' }), 'get');
  assert.deepEqual(inc.handover, { method: null, shipping_point: null, note: null, carrier: null });
  assert.deepEqual(inc.conflicts.map((c) => [c.op, c.code, c.rule]), [['a-handover', 'POLICY_VIOLATION', 'P4']]);
  const want = await serverOrders(pc.token, now);
  assert.deepEqual(withoutConflicts(exportAll(coreA, now)['INC-1']), want['INC-1']);
});

test('sync client: a token the server does not know is sync-failed, and nothing is lost', async (t) => {
  const core = await createCore();
  t.after(() => core.close());
  const now = Date.now();
  const client = new SyncClient({ store: storeOf(core), serverUrl: server.origin, token: 'x'.repeat(43),
    deviceId: 'dev-revoked', clock: () => now, intervalMs: 0 });
  ok(core.exec({ cmd: 'sync.pair', at: now, device_id: 'dev-revoked' }), 'pair');
  ok(core.exec({ cmd: 'order.import', at: now, op: 'r-1', order: { id: 'LOCAL-1', placed_at: now, paid_at: now,
    currency: 'VND', lines: [{ id: 'L1', sku: 'S', quantity: 1 }] } }), 'import');
  const before = ok(core.exec({ cmd: 'sync.pending', at: now }), 'pending');
  const d = await client.sync();
  assert.equal(d.status, 'sync-failed');
  assert.equal(d.error.code, 'UNAUTHORIZED');
  assert.equal(client.error.code, 'UNAUTHORIZED');
  assert.deepEqual(ok(core.exec({ cmd: 'sync.pending', at: now }), 'pending'), before);

  // A shop paired as another device is not synced as this one.
  const other = new SyncClient({ store: storeOf(core), serverUrl: server.origin, token: 'x'.repeat(43),
    deviceId: 'someone-else', clock: () => now, intervalMs: 0 });
  const e = await other.sync();
  assert.deepEqual([e.status, e.error.code], ['sync-failed', 'PAIRED_ELSEWHERE']);
});

// A store with lazy bodies (wasm/packdesk-store.mjs's lazyBodies), over an in-memory core: exec
// answers NOT_LOADED (changing nothing) for a command that reads order bodies until run() has
// loaded them; which commands went through run() is kept.
function lazyStoreOf(core) {
  let loaded = false;
  const store = {
    ran: [],
    exec(request) {
      if (!loaded && request.cmd === 'sync.base') {
        return { response: { ok: false, error: { code: 'NOT_LOADED', message: 'orders-0-1.pds is not loaded yet' } }, saved: Promise.resolve() };
      }
      return { response: core.exec(request), saved: Promise.resolve() };
    },
    async run(request) {
      store.ran.push(request.cmd);
      const first = store.exec(request);
      if (first.response.error?.code !== 'NOT_LOADED') return first;
      loaded = true;
      return store.exec(request);
    },
  };
  return store;
}

test('sync client: on a store with lazy bodies, sync.base goes through run(), which loads the bodies it needs first', async (t) => {
  const now = Date.now();
  const device = await pair(server.origin, 'demo', server.code);
  const core = await createCore();
  t.after(() => core.close());
  const store = lazyStoreOf(core);
  const client = new SyncClient({ store, serverUrl: server.origin, token: device.token, deviceId: device.device_id, clock: () => now, intervalMs: 0 });
  const d = await client.sync();
  assert.equal(d.status, 'synced', JSON.stringify(d.error));
  assert.ok(store.ran.length > 0 && store.ran.every((cmd) => cmd === 'sync.base'), store.ran.join());
  const orders = ok(core.exec({ cmd: 'stats', at: now }), 'stats').orders;
  assert.ok(orders > 0, 'the pull reached the core');
});

test('sync client: refuses to be made without a store, a server URL or a token', () => {
  const store = { exec: () => ({ response: { ok: true, result: {} } }) };
  assert.throws(() => new SyncClient({ serverUrl: '', token: 't' }), TypeError);
  assert.throws(() => new SyncClient({ store, token: 't' }), TypeError);
  assert.throws(() => new SyncClient({ store, serverUrl: '' }), TypeError);
});
