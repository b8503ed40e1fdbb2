// sync-console.test.mjs: the console and the widget as devices of the sync server (issue 6), end
// to end: the real web/server.mjs with a temp data folder (tests/lib/sync-server.mjs), real
// Chromium, each console in its own browser profile (two profiles = two devices), the network
// cut with context.setOffline. Every wait is on state (the core's answers, the sync status the
// page shows), never on a sleep.
//
// What it shows: two consoles that pack and ship different orders offline agree with the server
// (and each other) once back; a console's offline work on an order the buyer cancelled meanwhile
// (the buyer's request arriving as the marketplace's signed webhook, approved on another device)
// comes back as a conflict on that order, said in one sentence, dismissable, never dropped; a
// reload while a push is on its way keeps the pending operations and the server applies them
// once; a widget with `server` set syncs with the console through the server, across origins
// (CORS); a second tab only reads and never pushes; the API's CORS rules, good and bad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchFresh } from './lib/browser.mjs';
import { expectStage, openConsole, ready, startConsoleServer } from './lib/console.mjs';
import { ok, pageOrders, query, scan, serverOrders } from './lib/sync-console.mjs';
import { call, device, numbered, pair, startServer, tempDataDir } from './lib/sync-server.mjs';
import { SANDBOX_CREDENTIALS } from '../web/server/marketplace/config.mjs';
import { signWebhook } from '../web/server/marketplace/webhook.mjs';

const REGISTRY = 'packdesk.widget.cores/1';

// A fresh server on a fresh data folder (shop demo with the demo orders), stopped after the test.
async function freshServer(t, env = {}) {
  const dir = await tempDataDir(t);
  const server = await startServer(dir, env);
  t.after(() => server.stop());
  return server;
}

// Waits until the page's console is synced with nothing pending and holds the demo shop.
async function synced(page, { conflicts } = {}) {
  await page.waitForFunction((want) => {
    const c = window.packdeskConsole;
    const d = c?.sync?.status();
    if (!d || d.status !== 'synced' || d.pending !== 0) return false;
    if (want !== undefined && d.conflicts !== want) return false;
    const stats = c.query('stats');
    return stats.ok && stats.result.orders >= 30;
  }, conflicts, { timeout: 20000 });
}

// Packs and ships a confirmed order by clicking and scanning: its units, its checklist, complete,
// a pickup handover, mark shipped.
async function packAndShip(page, orderId, skus) {
  await page.click('#tab-confirmed');
  await page.click(`#orders [data-order-id="${orderId}"]`);
  await expectStage(page, 'confirmed', `${orderId} to pack`);
  for (const sku of skus) await scan(page, sku);
  const items = await page.locator('#packing [data-confirmed="false"]').evaluateAll((li) => li.map((x) => x.dataset.item));
  for (const item of items) await page.click(`[data-key="item-${item}"]`);
  await page.click('[data-key="pack-complete"]');
  await expectStage(page, 'packed', `${orderId} packed`);
  await page.selectOption('[data-key="handover-method"]', 'pickup');
  await page.click('[data-key="handover-set"]');
  await page.click('[data-key="ship"]');
  await expectStage(page, 'awaiting_collection', `${orderId} shipped`);
}

// The sync status in the bar: {state, pending, conflicts, text}.
const bar = (page) => page.locator('#sync').evaluate((el) => ({
  state: el.dataset.state, pending: Number(el.dataset.pending), conflicts: Number(el.dataset.conflicts), text: el.textContent,
}));
// Waits for the bar to say `want` (a round every 30 s passes through "Syncing…"), then asserts it.
async function expectBar(page, want, label) {
  await page.waitForFunction((w) => {
    const el = document.getElementById('sync');
    return el && JSON.stringify({ state: el.dataset.state, pending: Number(el.dataset.pending), conflicts: Number(el.dataset.conflicts), text: el.textContent }) === w;
  }, JSON.stringify(want), { timeout: 10000 }).catch(() => {});
  assert.deepEqual(await bar(page), want, label);
}

// A failed fetch while the network is being cut (a round already on its way) is Chromium's
// console message, not the page's fault; everything else is a problem.
const problems = (page) => page.problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED/.test(p));

test('sync console: two consoles pack and ship different orders offline; back online, both and the server agree', async (t) => {
  const server = await freshServer(t);
  const a = await openConsole(t, server.origin);
  const b = await openConsole(t, server.origin);
  await synced(a);
  await synced(b);
  // Paired: the server's shop, not a local demo seed (which would have made other op ids and times).
  const at0 = Date.now();
  const want0 = await serverOrders(server, at0);
  assert.equal(Object.keys(want0).length, 30);
  assert.deepEqual(await pageOrders(a, at0), want0, 'console A holds the server\'s demo shop');
  assert.deepEqual(await pageOrders(b, at0), want0, 'console B too');
  await expectBar(a, { state: 'synced', pending: 0, conflicts: 0, text: 'Synced' });
  assert.equal(await a.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('packdesk.sync ')) && !location.href.includes('token')), true,
    'the token is kept in localStorage, not in the address');
  assert.deepEqual(await a.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('/packdesk/'))),
    ['/packdesk/shop-demo'], 'a paired console opens the shop\'s store, not the standalone one');

  // A second tab of console A reads only, and never pushes.
  const follower = await a.context().newPage();
  follower.problems = [];
  follower.on('pageerror', (e) => follower.problems.push(`page error: ${e.message}`));
  follower.on('console', (m) => m.type() === 'error' && follower.problems.push(`console: ${m.text()}`));
  const followerCalls = [];
  follower.on('request', (r) => r.url().includes('/api/') && followerCalls.push(r.url()));
  await follower.goto(`${server.origin}/`);
  await ready(follower);
  await follower.waitForFunction(() => document.getElementById('sync')?.dataset.state === 'follower');
  assert.equal(await follower.locator('#sync').textContent(), 'Synced by the writing tab');
  await a.bringToFront(); // a tab behind another gets its frames throttled: clicks would crawl

  await a.context().setOffline(true);
  await b.context().setOffline(true);
  await a.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await b.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await packAndShip(a, 'DEMO-16', ['TOWEL-COTTON']);
  await packAndShip(b, 'DEMO-17', ['NOTEBOOK-A5', 'NOTEBOOK-A5']);
  await expectBar(a, { state: 'offline', pending: 6, conflicts: 0, text: 'Not synced: offline · 6 waiting' },
    'scan, two checklist items, complete, handover, ship: six operations wait');
  assert.equal((await bar(b)).pending, 7);
  await a.evaluate(() => window.packdeskConsole.saved());
  await b.evaluate(() => window.packdeskConsole.saved());
  // Nothing reached the server meanwhile.
  assert.equal((await serverOrders(server, Date.now()))['DEMO-16'].stage, 'confirmed');

  await a.context().setOffline(false);
  await b.context().setOffline(false);
  await synced(a, { conflicts: 0 });
  await synced(b, { conflicts: 0 });
  // Each pushed before it knew whether the other had: one more round each brings the other's.
  await a.evaluate(() => window.packdeskConsole.sync.sync());
  await b.evaluate(() => window.packdeskConsole.sync.sync());
  await synced(a, { conflicts: 0 });
  await synced(b, { conflicts: 0 });

  const at = Date.now();
  const want = await serverOrders(server, at);
  assert.equal(want['DEMO-16'].stage, 'awaiting_collection', 'the server has A\'s shipment');
  assert.equal(want['DEMO-17'].stage, 'awaiting_collection', 'and B\'s');
  assert.deepEqual(want['DEMO-17'].lines.map((l) => l.packed), [2], 'each unit packed once');
  assert.deepEqual(await pageOrders(a, at), want, 'console A agrees with the server, order for order');
  assert.deepEqual(await pageOrders(b, at), want, 'console B too');
  for (const page of [a, b]) {
    for (const id of ['DEMO-16', 'DEMO-17']) {
      const o = ok(await query(page, 'order.get', { order_id: id, at }), 'order.get');
      assert.deepEqual([o.stage, o.conflicts], ['awaiting_collection', []], `${id}`);
    }
  }
  // The screen followed: B's order shows shipped on A without a reload.
  await a.click('#tab-awaiting_collection');
  await a.waitForFunction(() => document.querySelector('#orders [data-order-id="DEMO-17"]'));
  assert.equal(followerCalls.filter((u) => u.includes('/api/sync/')).length, 0, 'the follower tab pushed and pulled nothing');
  assert.deepEqual(problems(a), []);
  assert.deepEqual(problems(b), []);

  // The writer tab goes: the follower takes over as writer, and syncs as the same device.
  await a.close();
  await follower.waitForFunction(() => window.packdeskConsole.sync.status()?.status === 'synced', null, { timeout: 20000 });
  assert.ok(followerCalls.some((u) => u.endsWith('/api/sync/pull')), 'now it pulls');
  assert.deepEqual(await pageOrders(follower, at), want);
  assert.deepEqual(problems(follower), []);
});

test('sync console: offline work on an order the buyer cancelled meanwhile comes back as a conflict on it', async (t) => {
  const server = await freshServer(t);
  const a = await openConsole(t, server.origin);
  await synced(a);
  await a.context().setOffline(true);
  await a.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await packAndShip(a, 'DEMO-16', ['TOWEL-COTTON']);
  await a.evaluate(() => window.packdeskConsole.saved());

  // Meanwhile the buyer asks the marketplace to cancel: its signed webhook reaches the server
  // (web/server/marketplace/), which opens the request; the seller's other console approves it.
  const asked = Math.floor(Date.now() / 1000);
  const raw = Buffer.from(JSON.stringify({
    type: 11, tts_notification_id: `cancel-${asked}`, shop_id: SANDBOX_CREDENTIALS.shopId, timestamp: asked,
    data: { order_id: 'DEMO-16', cancel_status: 'CANCELLATION_REQUEST_PENDING', cancellations_role: 'BUYER', cancel_id: `rev-${asked}`,
      cancel_reason: 'Ordered twice', update_time: asked },
  }));
  const webhook = await call(server.origin, '/api/marketplace/webhook', {
    raw, headers: { authorization: signWebhook(raw, SANDBOX_CREDENTIALS.appKey, SANDBOX_CREDENTIALS.appSecret) },
  });
  assert.equal(webhook.status, 200, JSON.stringify(webhook.body));
  assert.deepEqual(webhook.body.results.map((r) => r.ok), [true], 'the webhook opened the buyer\'s request');
  const cancelAt = Date.now();
  const other = device(server.origin, await pair(server.origin, 'demo', server.code));
  const pushed = await other.push(numbered([{ cmd: 'request.approve', at: cancelAt, request_id: 'DEMO-16/r1' }], 'other'));
  assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
  assert.deepEqual(pushed.body.results.map((r) => r.ok), [true], JSON.stringify(pushed.body));

  await a.context().setOffline(false);
  await synced(a, { conflicts: 6 });
  await expectStage(a, 'cancelled', 'the server\'s cancellation wins on the device');
  const order = ok(await query(a, 'order.get', { order_id: 'DEMO-16' }), 'order.get');
  assert.deepEqual(order.conflicts.map((c) => c.cmd), ['pack.scan', 'pack.confirm', 'pack.confirm', 'pack.complete', 'handover.set', 'order.ship'],
    'every refused operation is a conflict, none dropped');
  const ship = order.conflicts.at(-1);
  assert.deepEqual(ship.because, { event: 'cancelled', at: cancelAt });
  assert.ok(order.actions.includes('conflict.dismiss'));

  // The banner, led by the latest refusal in one sentence (times through Intl, en-GB).
  const banner = a.locator('#conflicts');
  assert.equal(await banner.count(), 1, 'a banner on the order');
  const time = (ms) => a.evaluate((x) => {
    const same = new Date(x).toDateString() === new Date().toDateString();
    return new Intl.DateTimeFormat('en-GB', same ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(x);
  }, ms);
  const sentence = `On this device at ${await time(ship.at)}: marked shipped. The server refused it: ${ship.message} (rule ${ship.rule}). ` +
    `Cancelled at ${await time(cancelAt)} (on the server).`;
  assert.equal(await banner.locator('p.conflict').textContent(), sentence);
  assert.equal(await banner.locator('h3').textContent(), 'The server refused a change made on this device');
  assert.equal(await banner.locator('summary').textContent(), '5 earlier changes to this order were refused too');
  assert.match(await banner.locator('li.conflict').first().textContent(), /^On this device at .*: handover saved\. The server refused it: /);
  await expectBar(a, { state: 'synced', pending: 0, conflicts: 6, text: 'Synced · 6 refused' });
  // In Vietnamese, from the catalog.
  await a.selectOption('#lang', 'vi');
  assert.match(await banner.locator('p.conflict').textContent(), /^Trên thiết bị này lúc .*: đã đánh dấu giao ĐVVC\. Máy chủ đã từ chối: .*\(quy tắc .*\)\. Đã hủy lúc .* \(trên máy chủ\)\.$/);
  await expectBar(a, { state: 'synced', pending: 0, conflicts: 6, text: 'Đã đồng bộ · 6 bị từ chối' });
  await a.selectOption('#lang', 'en');
  // A marker on the row, in the list.
  await a.click('#tab-cancelled');
  const row = a.locator('#orders [data-order-id="DEMO-16"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-conflict'), '6');
  assert.equal(await row.locator('.conflict-mark').textContent(), 'Refused change');
  assert.equal(await a.locator('#orders [data-conflict]').count(), 1, 'only that row');

  // Dismissed: gone from the order, the row and the bar; the order is the server's.
  await a.click('[data-key="conflict-dismiss"]');
  await a.waitForFunction(() => !document.getElementById('conflicts'));
  assert.deepEqual(ok(await query(a, 'order.get', { order_id: 'DEMO-16' }), 'order.get').conflicts, []);
  assert.equal(await a.locator('#orders [data-conflict]').count(), 0);
  assert.equal(await a.locator('#detail-message').textContent(), 'Done: conflict dismissed');
  await a.waitForFunction(() => document.getElementById('sync').dataset.conflicts === '0');
  const at = Date.now();
  const want = await serverOrders(server, at);
  assert.equal(want['DEMO-16'].stage, 'cancelled');
  assert.deepEqual(await pageOrders(a, at), want, 'the console holds exactly the server\'s orders');
  assert.deepEqual(problems(a), []);
});

test('sync console: a reload while a push is on its way keeps the pending operations; the server applies them once', async (t) => {
  const server = await freshServer(t);
  const a = await openConsole(t, server.origin);
  await synced(a);
  await a.context().setOffline(true);
  await a.waitForFunction(() => document.getElementById('sync').dataset.state === 'offline');
  await a.click('#tab-confirmed');
  await a.click('#orders [data-order-id="DEMO-15"]');
  await scan(a, 'SAUCE-FISH-500');
  await scan(a, 'SAUCE-FISH-500');
  await scan(a, 'NOTEBOOK-A5');
  assert.equal(await a.locator('#scan-feedback').textContent(), 'packed 3/3');
  await a.evaluate(() => window.packdeskConsole.saved());
  assert.equal((await bar(a)).pending, 3);

  // Pushes are held on their way: the first reaches the server (which applies and stores its
  // answers) but its answer never comes back, because the page reloads.
  const held = [];
  let arrived;
  const waitHeld = (n) => new Promise((resolve) => { arrived = () => held.length >= n && resolve(); arrived(); });
  await a.context().route('**/api/sync/push', async (route) => {
    held.push(route);
    arrived?.();
  });
  await a.context().setOffline(false);
  await waitHeld(1);
  const first = await held[0].fetch();
  assert.deepEqual((await first.json()).results.map((r) => r.ok), [true, true, true], 'the server applied the three scans');
  await a.reload();
  await ready(a);

  // After the reload the three are still pending (the device never heard the answer), and they go again.
  await waitHeld(2);
  assert.deepEqual(ok(await query(a, 'sync.status'), 'sync.status').pending, 3, 'the pending operations survived the reload');
  assert.deepEqual(JSON.parse(held[1].request().postData()).ops.map((o) => o.seq), [1, 2, 3], 'the same seqs');
  await held[1].continue();
  await a.context().unroute('**/api/sync/push');
  await synced(a, { conflicts: 0 });

  // Applied once: the server answered the retried seqs from storage, nothing was scanned twice.
  const at = Date.now();
  const want = await serverOrders(server, at);
  assert.deepEqual(want['DEMO-15'].lines.map((l) => l.packed), [2, 1]);
  assert.equal(want['DEMO-15'].timeline.filter((e) => e.event === 'packed_unit').length, 3);
  assert.deepEqual(await pageOrders(a, at), want);
  assert.deepEqual(problems(a).filter((p) => !/Failed to load resource: net::ERR_(FAILED|ABORTED)/.test(p)), []);
});

// The widget's origin: web/server.mjs starts the demo storefront when STOREFRONT_PORT is set.
async function storefrontOf(server) {
  const line = /packdesk storefront \(demo, embeds the widget\): (http:\/\/127\.0\.0\.1:\d+)\//;
  if (!line.test(server.output())) {
    await new Promise((resolve) => {
      const look = () => line.test(server.output()) && (server.child.stdout.off('data', look), resolve());
      server.child.stdout.on('data', look);
    });
  }
  return line.exec(server.output())[1];
}

// The widget's shared core of shop demo, asked in the page: {status, pending, orders, stage of id}.
const widgetCore = (page, orderId) => page.evaluate(([key, id]) => {
  const core = globalThis[Symbol.for(key)]?.get('demo');
  if (!core?.api) return null;
  const d = core.sync?.detail();
  const stats = core.api.query('stats');
  const order = core.api.query('order.get', { order_id: id });
  return { status: d?.status ?? null, pending: d?.pending ?? null, orders: stats.ok ? stats.result.orders : 0, stage: order.ok ? order.result.stage : null };
}, [REGISTRY, orderId]);

test('sync widget: <packdesk-orders server=...> on another origin syncs with the console through the server', async (t) => {
  const server = await freshServer(t, { STOREFRONT_PORT: '0' });
  const storefront = await storefrontOf(server);
  const consolePage = await openConsole(t, server.origin);
  await synced(consolePage);

  const context = await launchFresh(t, 'packdesk-sync-widget-');
  await context.addInitScript(() => {
    window.__errors = [];
    window.__csp = [];
    window.addEventListener('packdesk-error', (e) => window.__errors.push(e.detail));
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const w = await context.newPage();
  w.problems = [];
  w.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  w.on('console', (m) => m.type() === 'error' && w.problems.push(`console: ${m.text()}`));
  await w.goto(`${storefront}/`);
  // Paired through the server (cross-origin), filled by its pull: the server's 30 orders, unseeded.
  await w.waitForFunction(([key]) => {
    const core = globalThis[Symbol.for(key)]?.get('demo');
    const d = core?.sync?.detail();
    return d?.status === 'synced' && d.pending === 0 && core.api.query('stats').result.orders === 30;
  }, [REGISTRY], { timeout: 30000 });
  assert.equal(await w.locator('#desk #sync').getAttribute('data-state'), 'synced');
  assert.equal(await w.locator('#desk #sync').textContent(), 'Synced');
  assert.deepEqual(await w.evaluate(() => Object.keys(localStorage)), [`packdesk.sync ${server.origin} demo`]);

  // The console confirms DEMO-10; the widget gets it at its next round (on `online`, here).
  await consolePage.click('#orders [data-order-id="DEMO-10"]');
  await consolePage.click('[data-key="check-L1-ok"]');
  await consolePage.click('[data-key="confirm"]');
  await expectStage(consolePage, 'confirmed', 'confirmed in the console');
  await synced(consolePage);
  await context.setOffline(true);
  await w.waitForFunction(() => document.getElementById('desk').shadowRoot.getElementById('sync').dataset.state === 'offline');
  await context.setOffline(false);
  await w.waitForFunction(() => document.getElementById('to-pack').shadowRoot.querySelector('#orders [data-order-id="DEMO-10"]'), null, { timeout: 20000 });
  assert.equal((await widgetCore(w, 'DEMO-10')).stage, 'confirmed', 'the console\'s confirm reached the widget');

  // And back: the widget confirms DEMO-12 (two lines); the console gets it at its next round.
  await w.locator('#desk').evaluate((el) => el.openOrder('DEMO-12'));
  await w.locator('#desk [data-key="check-L1-ok"]').click();
  await w.locator('#desk [data-key="check-L2-ok"]').click();
  await w.locator('#desk [data-key="confirm"]').click();
  await w.waitForFunction(([key]) => {
    const d = globalThis[Symbol.for(key)].get('demo').sync.detail();
    return d.status === 'synced' && d.pending === 0 && globalThis[Symbol.for(key)].get('demo').api.query('order.get', { order_id: 'DEMO-12' }).result.stage === 'confirmed';
  }, [REGISTRY], { timeout: 20000 });
  await consolePage.evaluate(() => window.packdeskConsole.sync.sync());
  assert.equal(ok(await query(consolePage, 'order.get', { order_id: 'DEMO-12' }), 'order.get').stage, 'confirmed', 'the widget\'s confirm reached the console');
  const at = Date.now();
  assert.deepEqual(await pageOrders(consolePage, at), await serverOrders(server, at), 'the console holds the server\'s orders');

  assert.deepEqual(await w.evaluate(() => window.__errors), [], 'no packdesk-error');
  assert.deepEqual(await w.evaluate(() => window.__csp), [], 'no CSP violation under the storefront\'s policy');
  assert.deepEqual(problems(w), []);
  assert.deepEqual(problems(consolePage), []);
});

test('sync server: CORS for storefront origins (loopback by default, or the configured ones); none for others', async (t) => {
  const server = await freshServer(t, { STOREFRONT_PORT: '0' });
  const storefront = await storefrontOf(server);
  const preflight = (origin, urlPath = '/api/sync/push') => call(server.origin, urlPath, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  let r = await preflight(storefront);
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), storefront);
  assert.equal(r.headers.get('access-control-allow-headers'), 'Authorization, Content-Type');
  assert.equal(r.headers.get('access-control-allow-methods'), 'POST');
  assert.match(r.headers.get('vary'), /Origin/);
  r = await preflight('https://evil.example');
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'FORBIDDEN');
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  assert.equal((await preflight(storefront, '/api/nope')).status, 404, 'no preflight for a route that does not exist');

  // Local pairing: a loopback page may read it; another origin's page gets 403 and pairs nothing.
  r = await call(server.origin, '/api/local-pairing', { method: 'GET', headers: { origin: storefront } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), storefront);
  r = await call(server.origin, '/api/local-pairing', { method: 'GET', headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  r = await call(server.origin, '/api/local-pairing', { method: 'GET', headers: { origin: 'null' } });
  assert.equal(r.status, 403, 'an opaque origin (a sandboxed frame) is not loopback');
  // Answers to an allowed origin carry it, errors included.
  r = await call(server.origin, '/api/sync/pull', { headers: { origin: storefront }, body: { since: 0 } });
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('access-control-allow-origin'), storefront);
  // Without an Origin (a device in Node), nothing changes.
  r = await call(server.origin, '/api/sync/pull', { body: { since: 0 } });
  assert.equal(r.headers.get('access-control-allow-origin'), null);

  // Configured storefronts: exactly those.
  const configured = await freshServer(t, { PACKDESK_STOREFRONT_ORIGINS: 'https://shop.example, https://admin.shop.example' });
  const pre = (origin) => call(configured.origin, '/api/sync/pull', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
  r = await pre('https://admin.shop.example');
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://admin.shop.example');
  assert.equal((await pre(storefront)).status, 403, 'configured: a loopback page is not one of them');
  assert.equal((await pre('https://shop.example.evil')).status, 403);

  // A bad configuration stops the server with the reason; nothing is served.
  for (const bad of ['ftp://shop.example', 'https://shop.example/admin', 'shop.example']) {
    const dir = await tempDataDir(t);
    await assert.rejects(startServer(dir, { PACKDESK_STOREFRONT_ORIGINS: bad }), (err) => {
      assert.match(err.message, /cannot start the sync server.*not an origin/s, bad);
      return true;
    });
  }
});

test('sync console: without a sync API the console stays standalone, and says so without a failed request', async (t) => {
  const { origin, stop } = await startConsoleServer();
  t.after(stop);
  const r = await call(origin, '/api/local-pairing', { method: 'GET', headers: { origin: 'http://127.0.0.1:1' } });
  assert.equal(r.status, 204, 'no sync here, said as an answer');
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.equal((await call(origin, '/api/sync/pull', { body: { since: 0 } })).status, 405, 'no sync API behind it');
  const page = await openConsole(t, origin);
  assert.equal(await page.evaluate(() => window.packdeskConsole.sync), null, 'no device loop');
  assert.equal(await page.locator('#sync').count(), 0, 'no sync status');
  assert.equal(ok(await query(page, 'stats'), 'stats').orders, 30, 'the local demo shop');
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('packdesk.sync'))), []);
  assert.deepEqual(page.problems, []);
});
