// sync-repair.test.mjs: pairing a device again when the server no longer knows it (issue 7), in
// Node, against the real sync server (web/server.mjs as a child process on a temp data folder,
// its SQLite file read as the witness). The device is a real wasm core given the store's shape
// (exec, isWriter, events) and driven by web/sync-link.mjs as the console drives it: connect(),
// then pairAgain() and connect({again: true}). The page's storage is a Map with localStorage's
// methods.
//
// Shown: a server restarted on a fresh data folder answers the device 401; pairing again with
// the new server's code keeps the pending operations, numbers them 1, 2, ... for the new device
// and pushes them there, applied once; a wrong code, a server that pairs nobody locally, another
// shop and no server keep the old pairing and say why. On the same server with the pairing lost
// (the core still paired as the old device, PAIRED_ELSEWHERE), operations the old device had
// pushed without hearing the answer are answered from the server's memory under the new device,
// never applied twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createCore } from './lib/engines.mjs';
import { call, pair, serverRows, startServer, tempDataDir } from './lib/sync-server.mjs';
import { connect, linkKey, pairAgain } from '../web/sync-link.mjs';

function ok(response, what) {
  assert.equal(response.ok, true, `${what}: ${JSON.stringify(response)}`);
  return response.result;
}

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

// A wasm core with the store's shape that connect() uses: exec → {response, saved}, isWriter,
// and the store's events (none are fired here: one writer, no followers).
async function deviceStore(t) {
  const core = await createCore();
  t.after(() => core.close());
  const store = Object.assign(new EventTarget(), {
    isWriter: true, core,
    exec: (request) => ({ response: core.exec(request), saved: Promise.resolve() }),
  });
  store.q = (cmd, args = {}) => ok(core.exec({ cmd, at: Date.now(), ...args }), cmd);
  return store;
}

// connect()'s device loop of link on store, started, with no timer: rounds run at start and on
// sync() (which resolves to the status detail a round ended with).
function loop(t, store, link, again = false) {
  const c = connect({ store, link, again, intervalMs: 0 });
  t.after(() => c.stop());
  c.start();
  return c;
}

const rows = serverRows;

// DEMO-10 (one line) checked and confirmed, and DEMO-11's first line checked: three operations.
function workOffline(store, prefix) {
  const at = Date.now();
  ok(store.core.exec({ cmd: 'line.check', at, op: `${prefix}-1`, order_id: 'DEMO-10', line_id: 'L1', result: 'ok' }), 'check');
  ok(store.core.exec({ cmd: 'order.confirm', at: at + 1, op: `${prefix}-2`, order_id: 'DEMO-10' }), 'confirm');
  ok(store.core.exec({ cmd: 'line.check', at: at + 2, op: `${prefix}-3`, order_id: 'DEMO-11', line_id: 'L1', result: 'ok' }), 'check');
}

test('pair again: a server reset on a fresh data folder answers 401; paired again, the pending operations reach it under the new device', async (t) => {
  const first = await startServer(await tempDataDir(t));
  const storage = memoryStorage();
  const paired = await pair(first.origin, 'demo', first.code);
  const link = { server: first.origin, ...paired, via: 'code' };
  const store = await deviceStore(t);
  let c = loop(t, store, link);
  assert.equal((await c.sync()).status, 'synced');
  assert.equal(store.q('stats').orders, 30);
  const oldCursor = store.q('sync.status').cursor;
  assert.ok(oldCursor > 0);
  await first.stop();
  workOffline(store, 'w');
  assert.equal((await c.sync()).status, 'offline', 'no server: the operations wait');

  // A new server on a fresh data folder: it never heard of this device.
  const dir = await tempDataDir(t);
  const second = await startServer(dir);
  t.after(() => second.stop());
  c.stop();
  const movedLink = { ...link, server: second.origin }; // the same place, as a console sees it
  storage.setItem(linkKey(second.origin, null), JSON.stringify(paired));
  c = loop(t, store, movedLink);
  const refused = await c.sync();
  assert.deepEqual([refused.status, refused.error.code, refused.pending], ['sync-failed', 'UNAUTHORIZED', 3]);

  // Bad ways to pair again keep the old pairing and say why.
  const kept = storage.getItem(linkKey(second.origin, null));
  let r = await pairAgain({ link: movedLink, code: 'WRONG-CODE', storage });
  assert.deepEqual([r.link, r.why.code], [null, 'UNAUTHORIZED']);
  r = await pairAgain({ link: { ...movedLink, shop_id: 'nope' }, code: second.code, storage });
  assert.deepEqual([r.link, r.why.code], [null, 'UNAUTHORIZED'], 'the code is for shop demo only');
  r = await pairAgain({ link: { ...movedLink, server: first.origin }, code: second.code, storage });
  assert.deepEqual([r.link, r.why.code], [null, 'OFFLINE']);
  assert.equal(storage.getItem(linkKey(second.origin, null)), kept, 'nothing kept from a failed pairing');
  assert.equal(store.q('sync.status').device_id, paired.device_id);

  // The new server's code: a new device; the core paired again as it keeps its three operations.
  r = await pairAgain({ link: movedLink, code: ` ${second.code} `, storage });
  assert.equal(r.why, undefined, JSON.stringify(r.why));
  assert.notEqual(r.link.device_id, paired.device_id);
  assert.deepEqual(JSON.parse(storage.getItem(linkKey(second.origin, null))),
    { shop_id: 'demo', device_id: r.link.device_id, token: r.link.token, via: 'code' }, 'kept in place of the old one');
  c.stop();
  c = connect({ store, link: r.link, again: true, intervalMs: 0 });
  t.after(() => c.stop());
  // start() pairs the core as the new device before its first round goes out: the operations
  // are numbered 1, 2, 3 for it.
  const before = store.q('sync.pending');
  assert.equal(before.device_id, paired.device_id);
  c.start();
  const pending = store.q('sync.pending');
  assert.equal(pending.device_id, r.link.device_id);
  assert.deepEqual(pending.ops.map((o) => [o.seq, o.op]), [[1, 'w-1'], [2, 'w-2'], [3, 'w-3']]);
  assert.deepEqual(pending.ops.map((o) => o.request), before.ops.map((o) => o.request), 'the requests as they were made');
  assert.equal(pending.cursor, 0, 'the new server\'s versions are not the old one\'s: everything is pulled again');
  const done = await c.sync();
  assert.deepEqual([done.status, done.pending, done.conflicts], ['synced', 0, 0], JSON.stringify(done));

  // On the new server: applied once, as the new device's seqs 1-3.
  assert.deepEqual(rows(dir, 'SELECT device_id, seq, op, ok FROM ops ORDER BY id'),
    [1, 2, 3].map((seq) => ({ device_id: r.link.device_id, seq, op: `w-${seq}`, ok: 1 })));
  const other = await pair(second.origin, 'demo', second.code);
  const pulled = await call(second.origin, '/api/sync/pull', { token: other.token, body: { since: 0, limit: 1000 } });
  const states = Object.fromEntries(pulled.body.changes.map((x) => [x.order_id, x.state]));
  const witness = await createCore();
  t.after(() => witness.close());
  ok(witness.exec({ cmd: 'sync.base', at: Date.now(), orders: Object.entries(states).map(([id, state]) => ({ order_id: id, state })) }), 'load');
  assert.equal(ok(witness.exec({ cmd: 'order.get', at: Date.now(), order_id: 'DEMO-10' }), 'get').stage, 'confirmed', 'on the new server');
  assert.equal(store.q('order.get', { order_id: 'DEMO-10' }).stage, 'confirmed');
  assert.equal(store.q('order.get', { order_id: 'DEMO-11' }).lines[0].check, 'ok');
  assert.equal(store.q('sync.status').cursor, rows(dir, "SELECT version FROM shops WHERE shop_id = 'demo'")[0].version);
  // The device's next operation follows as seq 4.
  ok(store.core.exec({ cmd: 'line.check', at: Date.now(), op: 'w-4', order_id: 'DEMO-12', line_id: 'L1', result: 'ok' }), 'check');
  assert.equal((await c.sync()).status, 'synced');
  assert.deepEqual(rows(dir, 'SELECT seq, op FROM ops WHERE device_id = ? ORDER BY seq DESC LIMIT 1', r.link.device_id), [{ seq: 4, op: 'w-4' }]);
});

test('pair again: on the same server with the pairing lost, what the old device pushed unanswered is answered from memory, never applied twice', async (t) => {
  const dir = await tempDataDir(t);
  const server = await startServer(dir);
  t.after(() => server.stop());
  const storage = memoryStorage();
  const paired = await pair(server.origin, 'demo', server.code);
  const link = { server: server.origin, ...paired };
  const store = await deviceStore(t);
  let c = loop(t, store, link);
  assert.equal((await c.sync()).status, 'synced');
  // Three scans of the confirmed DEMO-15 (two units of one SKU, one of another): a scan applied
  // twice would be refused as one too many.
  assert.equal(store.q('order.get', { order_id: 'DEMO-15' }).stage, 'confirmed');
  const scans = ['SAUCE-FISH-500', 'SAUCE-FISH-500', 'NOTEBOOK-A5'];
  scans.forEach((sku, i) => ok(store.core.exec({ cmd: 'pack.scan', at: Date.now(), op: `s-${i + 1}`, order_id: 'DEMO-15', sku }), 'scan'));
  // The old device's push reaches the server; its answer never comes back (the page is gone).
  const { ops } = store.q('sync.pending');
  const pushed = await call(server.origin, '/api/sync/push', { token: paired.token,
    body: { ops: ops.map(({ seq, op, request }) => ({ seq, op, request: JSON.parse(request) })) } });
  assert.equal(pushed.status, 200);
  assert.ok(pushed.body.results.every((x) => x.ok), JSON.stringify(pushed.body));
  c.stop();

  // The page lost its pairing (site data): local pairing again gives a new device while the
  // core is still the old one's: PAIRED_ELSEWHERE until the core is paired again.
  const local = http.createServer((req, res) => {
    if (req.url !== '/api/local-pairing') return res.writeHead(404).end();
    pair(server.origin, 'demo', server.code).then((p) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(p)));
  });
  await new Promise((resolve) => local.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => local.close(resolve)));
  const localOrigin = `http://127.0.0.1:${local.address().port}`;
  const r = await pairAgain({ link: { ...link, server: localOrigin }, storage });
  assert.equal(r.why, undefined, JSON.stringify(r.why));
  const fresh = { ...r.link, server: server.origin };
  c = loop(t, store, fresh);
  const elsewhere = await c.sync();
  assert.deepEqual([elsewhere.status, elsewhere.error.code, elsewhere.pending], ['sync-failed', 'PAIRED_ELSEWHERE', 3]);
  c.stop();
  c = loop(t, store, fresh, true);
  const done = await c.sync();
  assert.deepEqual([done.status, done.pending, done.conflicts], ['synced', 0, 0], JSON.stringify(done));
  // The new device's three seqs were answered with the old device's stored answers.
  assert.deepEqual(rows(dir, 'SELECT device_id, seq, op, ok FROM ops WHERE op LIKE ? ORDER BY id', 's-%').map((x) => [x.device_id === paired.device_id ? 'old' : 'new', x.seq, x.op, x.ok]),
    [['old', 1, 's-1', 1], ['old', 2, 's-2', 1], ['old', 3, 's-3', 1], ['new', 1, 's-1', 1], ['new', 2, 's-2', 1], ['new', 3, 's-3', 1]]);
  const o = store.q('order.get', { order_id: 'DEMO-15' });
  assert.deepEqual(o.lines.map((l) => l.packed), [2, 1], 'each unit packed once');
  assert.equal(o.timeline.filter((e) => e.event === 'packed_unit').length, 3);

  // Local pairing that pairs another shop, or none: nothing kept, the reason given.
  const before = storage.getItem(linkKey(localOrigin, null));
  const otherShop = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ shop_id: 'other', device_id: 'dev-0123456789ab', token: 'B'.repeat(43) })));
  await new Promise((resolve) => otherShop.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => otherShop.close(resolve)));
  const otherOrigin = `http://127.0.0.1:${otherShop.address().port}`;
  let bad = await pairAgain({ link: { ...link, server: otherOrigin }, storage });
  assert.deepEqual([bad.link, bad.why.code], [null, 'OTHER_SHOP']);
  bad = await pairAgain({ link: { ...link, server: `${localOrigin}/x` }, storage });
  assert.deepEqual([bad.link, bad.why.code], [null, 'NO_SYNC'], 'a 404: this server pairs nobody by itself (a code must do)');
  assert.equal(storage.getItem(linkKey(localOrigin, null)), before);
  assert.equal(storage.map.has(linkKey(otherOrigin, null)), false);
});
