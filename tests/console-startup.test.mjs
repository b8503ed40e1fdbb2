// console-startup.test.mjs: how the console starts (issue 4), in headless Chromium against the
// real web/server.mjs (child processes: without a data folder, then with one on the same port, so
// the same origin, the same profile), real IndexedDB and Web Locks.
//
// What it shows: a standalone console remembers its server's "no sync here" and from then on
// opens its shop without waiting for the pairing check, which it asks again once the list is on
// screen: a check that hangs, fails or answers "no" again neither delays nor changes the console;
// a first start whose check fails is standalone and remembers nothing. When the server starts
// syncing, the next start finds it: both tabs of the profile leave the standalone store for the
// server's shop (one writes, the other follows, nobody holds the standalone store's lock), with
// the server's orders, not the local demo; from then on a start opens the shop's store only,
// never the standalone one. The network is held or refused with Playwright's routing; every
// wait is on state, no timing is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, ready, startConsoleServer } from './lib/console.mjs';
import { pageOrders, serverOrders } from './lib/sync-console.mjs';
import { startServer, tempDataDir } from './lib/sync-server.mjs';
import { until } from './lib/until.mjs';

const PAIRING = '**/api/local-pairing';
const NO_SYNC_KEY = 'packdesk.nosync self *'; // web/sync-link.mjs's noSyncKey('', null)
const LINK_KEY = 'packdesk.sync self *'; // linkKey('', null)

// web/server.mjs without a data folder (GET /api/local-pairing answers 204) on `port` (0: a free one).
async function standaloneServer(t, port) {
  const server = await startConsoleServer({ port, env: { PACKDESK_DATA: undefined } });
  t.after(server.stop);
  return server;
}

// Every IndexedDB database a page of the context opens, in order, on window.idbOpened.
const recordDatabases = (context) => context.addInitScript(() => {
  window.idbOpened = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    if (!window.idbOpened.includes(name)) window.idbOpened.push(name);
    return open.call(this, name, ...rest);
  };
});

const local = (page, key) => page.evaluate((k) => localStorage.getItem(k), key);
const storeName = (page) => page.evaluate(() => window.packdeskConsole.storeName);
const orderCount = (page) => page.evaluate(() => window.packdeskConsole.query('stats').result.orders);
// A refused or aborted pairing check is Chromium's console message, not the page's fault.
const problems = (page) => page.problems.filter((p) => !/local-pairing|ERR_CONNECTION_REFUSED|ERR_FAILED/.test(p));
// The page's Web Locks of stores (not the pairing's): {held, pending}, names sorted.
const storeLocks = (page) => page.evaluate(async () => {
  const q = await navigator.locks.query();
  const names = (list) => list.map((l) => l.name).filter((n) => n.startsWith('packdesk:') && !n.startsWith('packdesk:pairing')).sort();
  return { held: names(q.held), pending: names(q.pending) };
});

test('console startup: a standalone console remembers "no sync here" and opens at once; the check, asked again after, changes nothing', async (t) => {
  const server = await standaloneServer(t, 0);
  // A first start whose check fails (the connection refused): standalone, seeded, nothing remembered.
  const page = await openConsole(t, server.origin, '', {
    beforeLoad: (p) => p.context().route(PAIRING, (route) => route.abort('connectionrefused')),
  });
  assert.equal(await storeName(page), 'default');
  assert.equal(await orderCount(page), 30, 'the demo shop');
  assert.equal(await local(page, NO_SYNC_KEY), null, 'a failed check is no "no sync"');

  // The server's real answer (204): remembered.
  await page.context().unrouteAll();
  await page.reload();
  await ready(page);
  assert.equal(await storeName(page), 'default');
  await until('the "no sync" remembered', () => local(page, NO_SYNC_KEY));

  // The check held at the network, unanswered: the console is up all the same, and works; the
  // check is still open when it is (a start that waited for it would be ready only once the page
  // gave up on it, web/sync-link.mjs's timeout: a failed request first).
  const held = [];
  const ended = [];
  page.on('requestfinished', (r) => r.url().endsWith('/api/local-pairing') && ended.push('answered'));
  page.on('requestfailed', (r) => r.url().endsWith('/api/local-pairing') && ended.push(`failed: ${r.failure()?.errorText}`));
  await page.context().route(PAIRING, (route) => held.push(route));
  await page.reload();
  await ready(page);
  await until('the check asked again', () => held.length === 1);
  assert.deepEqual(ended, [], 'ready while the check is unanswered');
  assert.equal(await storeName(page), 'default');
  const set = await page.evaluate(() => window.packdeskConsole.command('product.set', { sku: 'STARTUP-1', classes: ['fragile'] }));
  assert.equal(set.ok, true, `a command while the check hangs: ${JSON.stringify(set)}`);
  await page.evaluate(() => window.packdeskConsole.saved());
  assert.equal(await page.locator('#save').getAttribute('data-state'), 'saved');
  // Released: the server says "no" again; nothing changes.
  await page.context().unrouteAll({ behavior: 'ignoreErrors' });
  await held[0].continue().catch(() => {});
  await until('the check ended', () => ended.length === 1);
  assert.equal(await storeName(page), 'default');
  assert.equal(await page.evaluate(() => window.packdeskConsole.sync), null, 'not paired');
  assert.notEqual(await local(page, NO_SYNC_KEY), null);

  // A recheck that fails: the same.
  await page.context().route(PAIRING, (route) => route.abort('failed'));
  await page.reload();
  await ready(page);
  assert.equal(await storeName(page), 'default');
  assert.equal(await orderCount(page), 30, 'the same shop, not seeded again');
  assert.notEqual(await local(page, NO_SYNC_KEY), null, 'a failed recheck forgets nothing');
  assert.equal(await local(page, LINK_KEY), null);
  assert.deepEqual(problems(page), []);
});

test('console startup: when the server starts syncing, both tabs leave the standalone store for the server\'s shop; then only that store opens', async (t) => {
  const standalone = await standaloneServer(t, 0);
  const a = await openConsole(t, standalone.origin, '', { beforeLoad: (p) => recordDatabases(p.context()) });
  const context = a.context();
  const b = await context.newPage();
  b.problems = [];
  b.on('pageerror', (e) => b.problems.push(`page error: ${e.message}`));
  b.on('console', (m) => m.type() === 'error' && b.problems.push(`console: ${m.text()}`));
  await b.goto(`${standalone.origin}/`);
  await ready(b);
  assert.deepEqual([await storeName(a), await storeName(b)], ['default', 'default']);
  assert.equal(await b.locator('#save').getAttribute('data-state'), 'read-only', 'the second tab follows');
  assert.notEqual(await local(a, NO_SYNC_KEY), null);

  // The same origin now runs the sync server (shop demo, its own demo orders).
  await standalone.stop();
  const dir = await tempDataDir(t);
  const server = await startServer(dir, { PORT: String(standalone.port) });
  t.after(() => server.stop());
  assert.equal(server.origin, standalone.origin);

  // Both tabs start again at once: each opens the standalone store as remembered, then its
  // recheck finds the server; one pairs, the other finds that pairing kept (one device).
  await Promise.all([a.reload(), b.reload()]);
  await ready(a);
  await ready(b);
  for (const page of [a, b]) {
    await page.waitForFunction(() => window.packdeskConsole.storeName === 'shop-demo', null, { timeout: 20000 });
    assert.deepEqual(await page.evaluate(() => window.idbOpened), ['/packdesk/default', '/packdesk/shop-demo'],
      'opened standalone as remembered, then the shop\'s store');
  }
  const states = async () => Promise.all([a, b].map((p) => p.evaluate(() => window.packdeskConsole.sync?.status()?.status)));
  await until('one tab synced, the other following', async () => (await states()).sort().join() === 'follower,synced');
  const [writer, follower] = (await states())[0] === 'synced' ? [a, b] : [b, a];
  assert.equal(await follower.locator('#save').getAttribute('data-state'), 'read-only');
  assert.equal(await follower.locator('#sync').textContent(), 'Synced by the writing tab');

  // The server's shop (a local demo seed would have other op ids and times), in both tabs.
  await writer.evaluate(() => window.packdeskConsole.saved());
  const at = Date.now();
  const want = await serverOrders(server, at);
  assert.equal(Object.keys(want).length, 30);
  assert.deepEqual(await pageOrders(writer, at), want, 'the writer holds the server\'s shop');
  await until('the follower reloaded the writer\'s save', async () => (await orderCount(follower)) === 30);
  assert.deepEqual(await pageOrders(follower, at), want, 'the follower too');
  // The standalone store was left by both: its lock is neither held nor waited for.
  assert.deepEqual(await storeLocks(a), { held: ['packdesk:shop-demo'], pending: ['packdesk:shop-demo'] });
  assert.notEqual(await local(a, LINK_KEY), null, 'the pairing is kept');
  assert.equal(await local(a, NO_SYNC_KEY), null, 'and the "no sync" forgotten');

  // Paired: a start opens the shop's store, and never the standalone one.
  await follower.reload();
  await ready(follower);
  assert.deepEqual(await follower.evaluate(() => window.idbOpened), ['/packdesk/shop-demo']);
  assert.equal(await storeName(follower), 'shop-demo');
  await until('the reloaded follower has the shop', async () => (await orderCount(follower)) === 30);
  assert.deepEqual(problems(a), []);
  assert.deepEqual(problems(b), []);
});
