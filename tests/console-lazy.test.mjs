// console-lazy.test.mjs: the console opens its store with lazy bodies (web/app.mjs, web/shop.mjs):
// a shop of 2,500 orders in three snapshot pages, whose bodies past each page's head are read
// from IndexedDB only when a screen shows them. The first screen is whole when it is shown; an
// order on a page not loaded yet, or a list that reaches one, is drawn once its page is in; a
// command on one answers NOT_LOADED, changes nothing, and goes through once it is loaded. In
// headless Chromium served by the real web/server.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const ORDERS = 2500;

// The console's standalone store ('default'), filled before the console first opens it, through
// the same module, on the console's origin; closed with a checkpoint (every order in the snapshot).
async function fillStore(page) {
  await page.goto(`${origin()}/icon.svg`); // a page of the origin that runs nothing
  const orders = await page.evaluate(async ({ n }) => {
    const at = Date.now() - 3600000; // paid an hour ago: nothing is due yet (no tick reads them)
    const { openStore } = await import('/wasm/packdesk-store.mjs');
    const store = await openStore({ name: 'default', baseUrl: '/build/wasm/', idleCheckpointMs: 60000 });
    for (let from = 0; from < n; from += 500) {
      const runs = [];
      for (let i = from; i < Math.min(n, from + 500); i++) {
        runs.push(store.exec({ cmd: 'order.import', at, order: {
          id: `L${i}`, placed_at: at + i, paid_at: at + i, currency: 'VND',
          lines: [{ id: 'L1', sku: `SKU-${i % 7}`, name: 'Ao thun', quantity: 1, unit_price: 150000 }],
          buyer: { name: 'Nguyen Van A', phone: '+84 912 345 678', address: '12 Le Loi, Q1', region: 'Ho Chi Minh' } } }));
      }
      await Promise.all(runs.map((r) => r.saved));
    }
    const count = store.exec({ cmd: 'stats', at }).response.result.orders;
    await store.close();
    return count;
  }, { n: ORDERS });
  assert.equal(orders, ORDERS);
  page.problems.length = 0; // Chromium's own request for this page's /favicon.ico (404): not the console's
}

const shownRows = (page) => page.evaluate(() => [...document.querySelectorAll('#orders button[data-order-id]')].map((b) => b.dataset.orderId));

test('console lazy: a 2,500-order shop opens with its first screen whole, and draws orders and lists on pages it had not loaded once they are in', async (t) => {
  // Newest first from the start: the first screen's rows lie on the last page, past its head.
  // What the list holds when the console is first shown is kept (before any later repaint).
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&sort=newest', { beforeLoad: async (p) => {
    await fillStore(p);
    await p.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.getElementById('console')?.hidden !== false) return;
        observer.disconnect();
        window.firstShown = [...document.querySelectorAll('#orders button[data-order-id]')].map((b) => b.dataset.orderId);
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['hidden'] });
    });
  } });
  assert.deepEqual(page.problems, []);
  const first = await page.evaluate(() => window.firstShown);
  assert.ok(first.length >= 20, `rows: ${first.length}`);
  assert.deepEqual(first.slice(0, 3), ['L2499', 'L2498', 'L2497']);
  assert.deepEqual(await shownRows(page), first);
  assert.equal(await page.evaluate(() => window.packdeskConsole.query('stats').result.orders), ORDERS);

  // A command on an order whose page the first screen did not load: it changes nothing and says
  // so; once loaded, the same command goes through.
  const check = () => page.evaluate(() => window.packdeskConsole.command('line.check', { order_id: 'L1500', line_id: 'L1', result: 'ok' }));
  const refused = await check();
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'NOT_LOADED');
  await page.evaluate(() => window.packdeskConsole.settled());
  const done = await check();
  assert.equal(done.ok, true, JSON.stringify(done.error));
  const order = await page.evaluate(() => window.packdeskConsole.query('order.get', { order_id: 'L1500' }));
  assert.equal(order.result.lines[0].check, 'ok');

  // An order deep in the first page, which nothing loaded yet: its detail is drawn once it is in.
  await page.evaluate(() => { location.hash = 'stage=awaiting_confirmation&order=L700'; });
  await page.waitForFunction(() => document.getElementById('detail')?.dataset.order === 'L700', null, { timeout: 5000 });

  // Oldest first, from the middle (the second page, which the command above loaded), drawn.
  await page.evaluate(() => { location.hash = 'stage=awaiting_confirmation&sort=oldest&q=L15'; });
  await page.waitForFunction(() => document.querySelector('#orders button[data-order-id]')?.dataset.orderId === 'L15', null, { timeout: 5000 });

  assert.deepEqual(page.problems, []);
});
