// sandbox-persist.test.mjs: the marketplace sandbox outlives a restart (web/sandbox/state-file.mjs):
// its shop is written to a JSON file after each change (temp file, fsync, rename) and read back at
// start. `make run` keeps it in the data folder, beside the sync server's SQLite file.
//
// Proven: orders, packages, buyers' requests and ship counts come back identical after a restart,
// and the API answers from them (a package shipped before is "already shipped"); reads write
// nothing; a leftover temp file is ignored; a damaged, foreign or unknown-version file stops the
// start with its name and is left as it was. End to end with `web/server.mjs --sandbox` (make
// run): an order made before a kill -9 is still at the marketplace after the restart, so the
// device's ship goes through to it (it would fail "order not found" with a forgotten sandbox),
// and a second restart keeps the shipped state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/engines.mjs';
import { packForHandover } from './lib/marketplace.mjs';
import { openServerDb, startServer, tempDataDir } from './lib/sync-server.mjs';
import { syncedDevice, until } from './lib/synced-device.mjs';
import { startSandbox } from '../web/sandbox/server.mjs';
import { createClient } from '../web/server/marketplace/client.mjs';
import { SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { ERROR } from '../web/server/marketplace/legacy.mjs';

const api = (sandbox) => createClient({ baseUrl: sandbox.url, ...SANDBOX_CREDENTIALS });

async function control(url, method, route, body) {
  const res = await fetch(new URL(route.slice(1), url), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('sandbox state: a restarted sandbox holds the same shop, and its API answers from it', async (t) => {
  const dir = await tempDataDir(t);
  const stateFile = path.join(dir, 'sandbox.json');
  let sandbox = await startSandbox({ port: 0, stateFile });
  t.after(() => sandbox.close());
  assert.equal(existsSync(stateFile), false, 'nothing written before a change');
  const ids = (await control(sandbox.url, 'POST', '/sandbox/orders', { count: 4 })).body.order_ids;
  const pkg = sandbox.shop.inspect(ids[0]).packages[0].package_id;
  assert.equal((await api(sandbox).shipPackage({ packageId: pkg, method: 'pickup' })).ok, true);
  assert.equal((await control(sandbox.url, 'POST', `/sandbox/orders/${ids[0]}/scan`, {})).status, 200);
  const rev = (await control(sandbox.url, 'POST', `/sandbox/orders/${ids[1]}/cancel-request`, { reason: 'changed my mind' })).body.reverse_order_id;
  assert.equal((await control(sandbox.url, 'PUT', `/sandbox/orders/${ids[2]}/ship-failure`, {})).status, 200);
  assert.equal(statSync(stateFile).mode & 0o777, 0o600, 'buyers\' addresses: the owner\'s only');
  // Reads write nothing (the file is replaced by a rename on each write: a new inode).
  const inode = statSync(stateFile).ino;
  await api(sandbox).getOrderDetail(ids);
  await api(sandbox).searchOrders({ pageSize: 10 });
  await control(sandbox.url, 'GET', '/sandbox/stats');
  assert.equal(statSync(stateFile).ino, inode, 'reads did not write');
  // The last change is an API call: it is on disk before its answer, nothing after it writes.
  const last = sandbox.shop.inspect(ids[3]).packages[0].package_id;
  assert.equal((await api(sandbox).shipPackage({ packageId: last, method: 'dropoff' })).ok, true);
  const before = ids.map((id) => sandbox.shop.inspect(id));
  const statsBefore = structuredClone(sandbox.shop.stats); // not through a route: a route would save
  await sandbox.close();

  writeFileSync(`${stateFile}.tmp`, '{"half": '); // what a crash in the middle of a write leaves
  sandbox = await startSandbox({ port: 0, stateFile });
  assert.deepEqual(ids.map((id) => sandbox.shop.inspect(id)), before, 'orders, packages, requests and failures as they were');
  const stats = (await control(sandbox.url, 'GET', '/sandbox/stats')).body;
  assert.deepEqual([stats.orders_created, stats.ship_calls, stats.shipped], [statsBefore.orders_created, statsBefore.ship_calls, statsBefore.shipped]);
  assert.equal(sandbox.shop.inspect(ids[3]).packages[0].package_status, 2, 'the package shipped by the last call');
  // The API answers from the restored shop.
  const again = await api(sandbox).shipPackage({ packageId: pkg, method: 'pickup' });
  assert.deepEqual([again.ok, again.code], [false, ERROR.PACKAGE_ALREADY_SHIPPED]);
  const detail = await api(sandbox).getOrderDetail([ids[0]]);
  assert.equal(detail.data.order_list[0].order_status, 121, 'in transit, as the scan left it');
  const reverses = await api(sandbox).listReverseOrders({ orderId: ids[1] });
  assert.deepEqual(reverses.data.reverse_list.map((r) => [r.reverse_order_id, r.reverse_status_value]), [[rev, 1]]);
  const failed = await api(sandbox).shipPackage({ packageId: sandbox.shop.inspect(ids[2]).packages[0].package_id, method: 'dropoff' });
  assert.equal(failed.data.fail_packages[0].fail_code, ERROR.INVALID_TRACKING_NUMBER, 'the ship failure is kept too');
  // New orders and requests go on without reusing an id.
  const more = (await control(sandbox.url, 'POST', '/sandbox/orders', { count: 2 })).body.order_ids;
  assert.equal(new Set([...ids, ...more]).size, 6);
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).orders.length, 6, 'the new ones written');
});

test('sandbox state: a damaged, foreign or unknown-version file stops the start with its name, and is left as it was', async (t) => {
  const dir = await tempDataDir(t);
  const good = await startSandbox({ port: 0, stateFile: path.join(dir, 'good.json') });
  good.shop.createOrders({ count: 1 });
  const snapshot = good.shop.snapshot();
  await good.close();
  const cases = [
    ['not JSON', '{"version": 1, "orders": [', /is not JSON/],
    ['not an object', '[]', /not a sandbox state: not an object/],
    ['another version', JSON.stringify({ ...snapshot, version: 2 }), /version 2, this sandbox knows 1/],
    ['orders not a list', JSON.stringify({ ...snapshot, orders: {} }), /orders is not a list/],
    ['an order without its id', JSON.stringify({ ...snapshot, orders: [{ detail: { order_status: 111, item_list: [] }, fail_ship: null }] }), /orders\[0\] is not an order/],
    ['a package without its order', JSON.stringify({ ...snapshot, packages: [{ package_id: '1', tracking: [] }] }), /packages\[0\] is not a package/],
    ['a bad reverse sequence', JSON.stringify({ ...snapshot, reverse_seq: 'x' }), /reverse_seq is not a count/],
    ['bad counters', JSON.stringify({ ...snapshot, stats: { orders_created: 1, ship_calls: { a: -1 }, shipped: {} } }), /stats are not counts/],
  ];
  for (const [what, text, message] of cases) {
    const file = path.join(dir, 'sandbox.json');
    writeFileSync(file, text);
    const started = startSandbox({ port: 0, stateFile: file });
    // One that starts all the same is closed (an open server would keep this file's process alive).
    await assert.rejects(started.then((s) => s.close().then(() => assert.fail(`${what}: started`))), (err) => {
      assert.match(err.message, message, what);
      assert.ok(err.message.includes(file), `${what}: names the file`);
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), text, `${what}: the file is left as it was`);
  }
  // The stand-alone sandbox says so and exits; a bad --webhook-attempts too.
  const file = path.join(dir, 'sandbox.json');
  writeFileSync(file, 'nope');
  const run = (args) => spawnSync(process.execPath, [path.join(ROOT, 'web/sandbox/server.mjs'), '--port', '0', ...args], { encoding: 'utf8', timeout: 30000 });
  const damaged = run(['--state', file]);
  assert.equal(damaged.status, 1);
  assert.match(damaged.stderr, /the sandbox state .*sandbox\.json is not JSON/);
  const attempts = run(['--webhook-attempts', '0']);
  assert.equal(attempts.status, 2);
  assert.match(attempts.stderr, /--webhook-attempts must be an integer from 1 to 100/);
});

test('sandbox state, end to end: `web/server.mjs --sandbox` (make run) killed and restarted keeps the marketplace and packdesk agreeing', async (t) => {
  const dir = await tempDataDir(t);
  const env = { SANDBOX_PORT: '0', SANDBOX_ORDER_EVERY: '0', SANDBOX_PLAY_EVERY: '0', MARKETPLACE_URL: '' };
  const sandboxUrl = (srv) => until('the sandbox line', () => /marketplace sandbox \(TikTok Shop API, local\): (http:\/\/127\.0\.0\.1:\d+\/) .*its shop kept in (\S+)/.exec(srv.output()));
  let server = await startServer(dir, env, ['--sandbox']);
  t.after(() => server.stop());
  let [, url, kept] = await sandboxUrl(server);
  assert.equal(kept, path.join(dir, 'sandbox.json'));
  const dev = await syncedDevice(t, server, 'restart');
  const [x] = (await control(url, 'POST', '/sandbox/orders', {})).body.order_ids;
  await dev.waitFor(x);
  await server.kill9();

  server = await startServer(dir, env, ['--sandbox']);
  [, url] = await sandboxUrl(server);
  assert.ok((await control(url, 'GET', '/sandbox/orders')).body.order_ids.includes(x), 'the marketplace still has the order');
  dev.connect(server);
  await dev.sync();
  // The device ships it; the ship call reaches a marketplace that knows the order.
  const at = packForHandover({ exec: (r) => dev.exec(r) }, x, Date.now(), 'pickup');
  assert.equal(dev.exec({ cmd: 'order.ship', at, order_id: x }).ok, true);
  await dev.sync();
  const outbox = () => {
    const db = openServerDb(dir);
    try {
      return db.prepare("SELECT state, result FROM outbox WHERE json_extract(payload, '$.order_id') = ?").all(x);
    } finally {
      db.close();
    }
  };
  const [done] = await until('the ship call settled', () => outbox()[0]?.state !== 'pending' && outbox());
  assert.equal(done.state, 'done', done.result);
  // Killed at once: what the marketplace answered "done" was on disk before it answered.
  await server.kill9();
  server = await startServer(dir, env, ['--sandbox']);
  [, url] = await sandboxUrl(server);
  const held = (await control(url, 'GET', `/sandbox/orders/${x}`)).body;
  assert.equal(held.detail.order_status, 112, 'awaiting collection at the marketplace');
  assert.equal((await control(url, 'GET', '/sandbox/stats')).body.shipped[held.packages[0].package_id], 1);
  await server.stop();

  server = await startServer(dir, env, ['--sandbox']);
  [, url] = await sandboxUrl(server);
  assert.deepEqual((await control(url, 'GET', `/sandbox/orders/${x}`)).body, held, 'the shipped state kept');
  assert.equal(existsSync(path.join(dir, 'sandbox.json.tmp')), false, 'no temp file left');
});
