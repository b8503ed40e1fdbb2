// sync-console-marketplace.test.mjs: issue 6's two-console test with marketplace orders, end to
// end and real throughout: web/server.mjs --sandbox (the marketplace sandbox in the server's
// process, make run's setup) on a temp data folder, every port picked free (the sandbox's too, so
// a `make run` left running cannot feed this shop), two consoles in two Chromium profiles (two
// devices), the network cut with context.setOffline. The sandbox's own counters (GET
// /sandbox/stats: ship calls and shipments per package) are the marketplace's witness. Every wait
// is on state (polled, bounded only against a hang), never a sleep.
//
// What it shows: two sandbox orders reach shop demo by signed webhook and both consoles load them;
// offline, console A confirms, packs (scanning the SKUs) and ships order 1 by pickup, console B
// order 2 by drop-off; back online, the server and both consoles agree on both orders, and the
// marketplace got exactly one ship call per package, with the right method. More sync rounds and
// a server restart (same port, same data folder) send nothing again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { expectStage, openConsole } from './lib/console.mjs';
import { ok, pageOrders, query, scan, serverOrders } from './lib/sync-console.mjs';
import { openServerDb, startServer, tempDataDir } from './lib/sync-server.mjs';
import { until } from './lib/until.mjs';

// The server with the embedded sandbox: free ports, no timed orders nor carrier/buyer moves (the
// test makes what it needs), never a MARKETPLACE_URL from the environment the tests run in.
const SANDBOX_ENV = { SANDBOX_PORT: '0', SANDBOX_ORDER_EVERY: '0', SANDBOX_PLAY_EVERY: '0', MARKETPLACE_URL: '' };
const SANDBOX_LINE = /marketplace sandbox \(TikTok Shop API, local\): (http:\/\/127\.0\.0\.1:\d+\/) .*webhooks to (\S+)\)/;

// The server started with --sandbox on dataDir; resolves to it with `sandbox`, the sandbox's URL.
async function startWithSandbox(dataDir, env = {}) {
  const server = await startServer(dataDir, { ...SANDBOX_ENV, ...env }, ['--sandbox']);
  const line = await until('the sandbox line', () => SANDBOX_LINE.exec(server.output()));
  assert.equal(line[2], `${server.origin}/api/marketplace/webhook`, 'the sandbox\'s webhooks go to this server');
  return Object.assign(server, { sandbox: line[1] });
}

async function control(server, method, route, body) {
  const res = await fetch(new URL(route, server.sandbox), { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
const sandboxStats = async (server) => (await control(server, 'GET', 'sandbox/stats')).body;

// A new paid sandbox order with these lines: {id, pkg}.
async function sandboxOrder(server, lines) {
  const r = await control(server, 'POST', 'sandbox/orders', { lines });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const [id] = r.body.order_ids;
  const held = (await control(server, 'GET', `sandbox/orders/${id}`)).body;
  assert.equal(held.packages.length, 1);
  return { id, pkg: held.packages[0].package_id };
}

// One sync round on a console, then its sync status: {status, pending, conflicts}.
const syncRound = (page) => page.evaluate(async () => {
  await window.packdeskConsole.sync.sync();
  const d = window.packdeskConsole.sync.status();
  return { status: d.status, pending: d.pending, conflicts: d.conflicts };
});

// The server's marketplace outbox, read from its SQLite file: [{kind, method, order_id, state, attempts}].
function outbox(dataDir) {
  const db = openServerDb(dataDir);
  try {
    return db.prepare('SELECT payload, state, attempts FROM outbox ORDER BY id').all().map((r) => {
      const p = JSON.parse(r.payload);
      return { kind: p.kind, method: p.method, order_id: p.order_id, state: r.state, attempts: r.attempts };
    });
  } finally {
    db.close();
  }
}

// Confirms, packs and ships a marketplace order by clicking and scanning: every line checked ok,
// confirm, every unit's seller SKU scanned, the checklist, complete, the handover (`method`; a
// drop-off names its shipping point), mark shipped. beforeSet(), if given, runs once the handover
// is chosen and typed, before it is saved.
async function confirmPackAndShip(page, orderId, method, { beforeSet } = {}) {
  await page.click('#tab-awaiting_confirmation');
  await page.click(`#orders [data-order-id="${orderId}"]`);
  await expectStage(page, 'awaiting_confirmation', `${orderId} to confirm`);
  const order = ok(await query(page, 'order.get', { order_id: orderId }), 'order.get');
  for (const line of order.lines) {
    await page.click(`[data-key="check-${line.id}-ok"]`);
    await page.waitForFunction((id) => document.querySelector(`tr[data-line="${id}"]`)?.dataset.check === 'ok', line.id, { timeout: 5000 });
  }
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', `${orderId} confirmed`);
  for (const line of order.lines) for (let i = 0; i < line.quantity; i++) await scan(page, line.seller_sku);
  const items = await page.locator('#packing [data-confirmed="false"]').evaluateAll((li) => li.map((x) => x.dataset.item));
  for (const item of items) await page.click(`[data-key="item-${item}"]`);
  await page.click('[data-key="pack-complete"]');
  await expectStage(page, 'packed', `${orderId} packed`);
  await page.selectOption('[data-key="handover-method"]', method);
  if (method === 'dropoff') await page.fill('input[data-key="handover-point"]', 'GHN Bến Nghé');
  await beforeSet?.();
  await page.click('[data-key="handover-set"]');
  await page.click('[data-key="ship"]');
  await expectStage(page, 'awaiting_collection', `${orderId} shipped`);
}

// A failed fetch while the network is being cut is Chromium's console message, not the page's fault.
const problems = (page) => page.problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED/.test(p));

test('sync console + marketplace: two consoles ship different sandbox orders offline; back online all agree, one ship call per package', async (t) => {
  const dataDir = await tempDataDir(t);
  let server = await startWithSandbox(dataDir);
  t.after(() => server.stop());
  const a = await openConsole(t, server.origin);
  const b = await openConsole(t, server.origin);

  // Two marketplace orders, arriving by signed webhook; both consoles load them.
  const one = await sandboxOrder(server, [{ seller_sku: 'TEE-BLK-M', quantity: 2 }]);
  const two = await sandboxOrder(server, [{ seller_sku: 'NOTE-A5', quantity: 1 }, { seller_sku: 'SOCK-3P', quantity: 1 }]);
  for (const page of [a, b]) {
    await until('both sandbox orders on the console', async () => {
      const s = await syncRound(page);
      if (s.status !== 'synced') return false;
      const got = await Promise.all([one.id, two.id].map((id) => query(page, 'order.get', { order_id: id })));
      return got.every((r) => r.ok && r.result.stage === 'awaiting_confirmation');
    });
    const o = ok(await query(page, 'order.get', { order_id: one.id }), 'order.get');
    assert.deepEqual([o.source, o.marketplace_status], ['tiktok', 'AWAITING_SHIPMENT']);
    await page.waitForFunction((id) => document.querySelector(`#orders [data-order-id="${id}"]`), two.id, { timeout: 10000 });
  }
  assert.deepEqual(outbox(dataDir), [], 'no marketplace call yet');

  await a.context().setOffline(true);
  await b.context().setOffline(true);
  await a.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await b.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await a.bringToFront();
  await confirmPackAndShip(a, one.id, 'pickup');
  await b.bringToFront();
  await confirmPackAndShip(b, two.id, 'dropoff');
  await a.evaluate(() => window.packdeskConsole.saved());
  await b.evaluate(() => window.packdeskConsole.saved());
  assert.ok((await a.evaluate(() => window.packdeskConsole.sync.status().pending)) > 0, 'A\'s work waits');
  // Nothing reached the server nor the marketplace meanwhile.
  const before = await serverOrders(server, Date.now());
  assert.deepEqual([before[one.id].stage, before[two.id].stage], ['awaiting_confirmation', 'awaiting_confirmation']);
  let st = await sandboxStats(server);
  assert.deepEqual([st.ship_calls[one.pkg], st.ship_calls[two.pkg]], [undefined, undefined]);

  await a.context().setOffline(false);
  await b.context().setOffline(false);
  // Until the server and both consoles hold the same orders, both shipped, and the marketplace's
  // answer (its webhook: the order awaits collection) is among them.
  const agreed = await until('the server and both consoles agree on both orders', async () => {
    const rounds = [await syncRound(a), await syncRound(b)];
    if (!rounds.every((r) => r.status === 'synced' && r.pending === 0)) return false;
    const at = Date.now();
    const want = await serverOrders(server, at);
    if ([one.id, two.id].some((id) => want[id].marketplace_status !== 'AWAITING_COLLECTION')) return false;
    return isDeepStrictEqual(await pageOrders(a, at), want) && isDeepStrictEqual(await pageOrders(b, at), want) && { at, want, rounds };
  });
  const { at, want } = agreed;
  assert.deepEqual(agreed.rounds.map((r) => r.conflicts), [0, 0], 'no refused change on either console');
  for (const [o, method] of [[one, 'pickup'], [two, 'dropoff']]) {
    assert.equal(want[o.id].stage, 'awaiting_collection', `${o.id} shipped on the server`);
    assert.equal(want[o.id].handover.method, method);
    assert.deepEqual(want[o.id].lines.map((l) => l.packed), want[o.id].lines.map((l) => l.quantity), 'each unit packed once');
    for (const page of [a, b]) {
      const got = ok(await query(page, 'order.get', { order_id: o.id, at }), 'order.get');
      assert.deepEqual([got.stage, got.conflicts], ['awaiting_collection', []], `${o.id} on each console`);
    }
  }
  assert.deepEqual(await pageOrders(a, at), want, 'console A agrees with the server, order for order');
  assert.deepEqual(await pageOrders(b, at), want, 'console B too');

  // The marketplace: each package shipped, by one ship call, with the seller's method.
  st = await until('both ship calls counted', async () => {
    const s = await sandboxStats(server);
    return s.shipped[one.pkg] && s.shipped[two.pkg] && s;
  });
  const counted = (s) => [s.ship_calls[one.pkg], s.shipped[one.pkg], s.ship_calls[two.pkg], s.shipped[two.pkg]];
  assert.deepEqual(counted(st), [1, 1, 1, 1], 'one ship call per package');
  const picked = async (o) => (await control(server, 'GET', `sandbox/orders/${o.id}`)).body.packages[0].pick_up_type;
  assert.deepEqual([await picked(one), await picked(two)], [1, 2], 'pickup for order 1, drop-off for order 2');
  const shipCalls = (rows) => rows.filter((c) => c.kind === 'ship').map(({ order_id: id, method, state, attempts }) => [id, method, state, attempts]);
  assert.deepEqual(shipCalls(outbox(dataDir)).sort(), [[one.id, 'pickup', 'done', 1], [two.id, 'dropoff', 'done', 1]].sort());

  // More rounds on both consoles send nothing again.
  for (const page of [a, b, a, b]) assert.deepEqual(await syncRound(page), { status: 'synced', pending: 0, conflicts: 0 });
  assert.deepEqual(counted(await sandboxStats(server)), [1, 1, 1, 1], 'still one each after more rounds');

  // A restart (same port, so the consoles follow; the sandbox's shop is kept in the data folder)
  // sends nothing again either. A third order through the restarted loop shows it is up: its
  // webhook reaches the server, and a console pulls it.
  const port = new URL(server.origin).port;
  await server.stop();
  server = await startWithSandbox(dataDir, { PORT: port });
  const three = await sandboxOrder(server, [{ seller_sku: 'CASE-IP15', quantity: 1 }]);
  for (const page of [a, b]) {
    await until('the third order on the console after the restart', async () =>
      (await syncRound(page)).status === 'synced' && (await query(page, 'order.get', { order_id: three.id })).ok);
  }
  for (const page of [a, b]) assert.deepEqual(await syncRound(page), { status: 'synced', pending: 0, conflicts: 0 });
  const after = Date.now();
  const wantAfter = await serverOrders(server, after);
  assert.deepEqual(await pageOrders(a, after), wantAfter, 'after the restart, A agrees with the server');
  assert.deepEqual(await pageOrders(b, after), wantAfter, 'and B');
  st = await sandboxStats(server);
  assert.deepEqual(counted(st), [1, 1, 1, 1], 'still one ship call per package after the restart');
  assert.equal(st.ship_calls[three.pkg], undefined);
  assert.deepEqual(shipCalls(outbox(dataDir)).sort(), [[one.id, 'pickup', 'done', 1], [two.id, 'dropoff', 'done', 1]].sort());

  // The third order, online, by drop-off on A; while its handover is chosen and typed, a sync round
  // that brings a fourth order repaints the screen: the chosen method survives it along with the
  // typed point (it once reset to pickup, keeping the point: a handover the core refuses, H1).
  await a.bringToFront();
  await confirmPackAndShip(a, three.id, 'dropoff', {
    beforeSet: async () => {
      await a.locator('#handover').evaluate((form) => { form.dataset.before = 'repaint'; });
      const four = await sandboxOrder(server, [{ seller_sku: 'SOCK-3P', quantity: 1 }]);
      await until('the fourth order on A, the screen repainted', async () =>
        (await syncRound(a)).status === 'synced' && (await query(a, 'order.get', { order_id: four.id })).ok &&
        a.evaluate(() => document.getElementById('handover')?.dataset.before === undefined));
      assert.equal(await a.locator('select[data-key="handover-method"]').inputValue(), 'dropoff', 'the chosen method survived the repaint');
      assert.equal(await a.locator('input[data-key="handover-point"]').inputValue(), 'GHN Bến Nghé');
    },
  });
  const final = await until('the third order agreed and its ship call counted', async () => {
    const rounds = [await syncRound(a), await syncRound(b)];
    if (!rounds.every((r) => r.status === 'synced' && r.pending === 0 && r.conflicts === 0)) return false;
    const s = await sandboxStats(server);
    if (!s.shipped[three.pkg]) return false;
    const at3 = Date.now();
    const want3 = await serverOrders(server, at3);
    if (want3[three.id].marketplace_status !== 'AWAITING_COLLECTION') return false;
    return isDeepStrictEqual(await pageOrders(a, at3), want3) && isDeepStrictEqual(await pageOrders(b, at3), want3) && { s, want3 };
  });
  assert.equal(final.want3[three.id].handover.method, 'dropoff');
  assert.deepEqual([...counted(final.s), final.s.ship_calls[three.pkg], final.s.shipped[three.pkg]], [1, 1, 1, 1, 1, 1],
    'one ship call per package, the earlier ones never sent again');
  // A request on its way while the server restarted fails as Chromium says (refused, reset, or a
  // socket that lost its connection: ERR_SOCKET_NOT_CONNECTED, seen once in a CI run); nothing
  // else may.
  const restart = /Failed to load resource: net::ERR_(CONNECTION_(REFUSED|RESET)|SOCKET_NOT_CONNECTED)/;
  assert.deepEqual(problems(a).filter((p) => !restart.test(p)), []);
  assert.deepEqual(problems(b).filter((p) => !restart.test(p)), []);
});
