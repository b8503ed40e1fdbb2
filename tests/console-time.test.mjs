// console-time.test.mjs: the console against time, in headless Chromium served by the real
// web/server.mjs. A drop-off order through the four steps by clicking and scanning, with no
// complaint ever offered (H4 is for a missed pickup only); then time driven through the core's
// `at`, never by waiting: Playwright's fake clock is installed before the page loads, so the
// console's Date.now(), every `at` it sends and its one-minute tick all move when the test
// fast-forwards. The complaint appears on a pickup order only once its 48 h window has passed
// (H3/H4), and a buyer's pending cancellation is approved automatically at its 48 h end (C4/C5),
// also when the end passed while the console was closed: it ticks once as it opens.
// Each test runs in its own fresh browser profile (an empty IndexedDB: the demo shop anew).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectStage, openConsole, ready, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const complaint = (page) => page.locator('[data-key="complaint-file"]');
const withClock = { beforeLoad: (page) => page.clock.install() };

// A keyboard-wedge scanner: the SKU's keystrokes into the focused field, then Enter.
async function scan(page, sku) {
  await page.keyboard.type(sku, { delay: 5 });
  await page.keyboard.press('Enter');
}

/** The order as the core answers now (through the console's own store and clock). */
const order = (page, id) => page.evaluate((orderId) => window.packdeskConsole.command('order.get', { order_id: orderId }), id)
  .then((r) => {
    assert.equal(r.ok, true, JSON.stringify(r.error));
    return r.result;
  });
const fakeNow = (page) => page.evaluate(() => Date.now());

/** Opens another order and comes back: the detail is read from the core anew. */
async function reopen(page, stage, id) {
  await page.evaluate(() => { location.hash = 'stage=awaiting_confirmation&order=DEMO-10'; });
  await expectStage(page, 'awaiting_confirmation', 'another order');
  await page.evaluate(([s, o]) => { location.hash = `stage=${s}&order=${o}`; }, [stage, id]);
  await page.waitForFunction((o) => document.getElementById('detail')?.dataset.order === o, id);
}

test('H3 H4 H7 console: a drop-off order through all four steps, clicking and scanning; no complaint ever, even once the drop-off is overdue', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation', withClock);
  await page.click('#orders [data-order-id="DEMO-13"]');
  await expectStage(page, 'awaiting_confirmation', 'step 1: a new order');
  assert.equal(await page.locator('[data-key="confirm"]').count(), 0, 'no confirm before the line is checked (C1)');

  // Step 1: check the line, confirm.
  await page.click('[data-key="check-L1-ok"]');
  assert.equal(await page.locator('#lines tr[data-line="L1"]').getAttribute('data-check'), 'ok');
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', 'step 1 done: confirmed');
  assert.equal(await complaint(page).count(), 0);

  // Step 2: two mugs, each scanned; the fragile checklist; complete.
  await page.focus('[data-key="scan"]');
  await scan(page, 'MUG-CERAMIC');
  assert.equal(await page.locator('#scan-feedback').textContent(), 'packed 1/2');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), 'scan', 'the scan field keeps the focus');
  await scan(page, 'MUG-CERAMIC');
  assert.equal(await page.locator('#scan-feedback').textContent(), 'packed 2/2');
  assert.equal(await page.locator('#scan-feedback').getAttribute('data-kind'), 'ok');
  assert.match(await page.locator('#lines tr[data-line="L1"]').textContent(), /2\/2/);
  assert.equal(await page.locator('[data-key="pack-complete"]').count(), 0, 'complete waits for the checklist');
  const items = await page.locator('#packing [data-confirmed="false"]').evaluateAll((li) => li.map((x) => x.dataset.item));
  assert.ok(items.includes('fragile'), `the mug is fragile: ${items}`);
  for (const item of items) await page.click(`[data-key="item-${item}"]`);
  assert.equal(await page.locator('#packing [data-confirmed="false"]').count(), 0);
  await page.click('[data-key="pack-complete"]');
  await expectStage(page, 'packed', 'step 2 done: packed');
  assert.equal(await complaint(page).count(), 0);

  // Step 3: drop-off at a shipping point, mark shipped.
  assert.equal(await page.locator('[data-key="ship"]').count(), 0, 'ship only after the handover is chosen');
  await page.selectOption('[data-key="handover-method"]', 'dropoff');
  await page.fill('[data-key="handover-point"]', 'GHN Hoan Kiem post office');
  await page.fill('[data-key="handover-note"]', 'Fragile: two mugs, keep upright');
  await page.click('[data-key="handover-set"]');
  assert.equal(await page.locator('#detail-message').getAttribute('data-kind'), 'ok', await page.locator('#detail-message').textContent());
  assert.match(await page.locator('#detail .facts').textContent(), /GHN Hoan Kiem post office/);
  await page.click('[data-key="ship"]');
  await expectStage(page, 'awaiting_collection', 'step 3 done: waiting for the drop-off');
  assert.equal(await complaint(page).count(), 0, 'no complaint for a drop-off (H4)');
  assert.equal(await page.locator('#deadlines tr[data-kind="dropoff"]').getAttribute('data-state'), 'open');

  // 49 h later (the tick runs on the fake clock) the drop-off is overdue (H7): still no complaint.
  await page.clock.fastForward(49 * HOUR);
  await page.waitForSelector('#detail .flag[data-flag="dropoff_overdue"]', { timeout: 5000 });
  assert.equal(await page.locator('#deadlines tr[data-kind="dropoff"]').getAttribute('data-state'), 'missed');
  assert.equal(await complaint(page).count(), 0, 'an overdue drop-off is the seller\'s, not the carrier\'s: no complaint (H4)');

  // Step 4: the carrier simulator: dropped off at the point, then delivered.
  await page.fill('[data-key="sim-tracking"]', 'VN130042');
  await page.click('[data-key="sim-dropped_off"]');
  await expectStage(page, 'in_transit', 'step 4: dropped off, in transit');
  assert.match(await page.locator('#detail').textContent(), /VN130042/);
  assert.equal(await complaint(page).count(), 0);
  await page.click('[data-key="sim-delivered"]');
  await expectStage(page, 'delivered', 'step 4 done: delivered');
  assert.equal(await complaint(page).count(), 0);

  const events = await page.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.event));
  for (const e of ['placed', 'confirmed', 'packed_unit', 'packed', 'handover_set', 'shipped', 'dropoff_overdue', 'dropped_off', 'delivered']) {
    assert.ok(events.includes(e), `timeline has ${e}: ${events}`);
  }
  assert.ok(!events.includes('picked_up') && !events.includes('complaint_filed'), `${events}`);
  assert.deepEqual(page.problems, []);
});

test('H3 H4 console: the complaint appears on a pickup order only once its 48 h pickup window has passed (fake clock)', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_collection&order=DEMO-22', withClock);
  await expectStage(page, 'awaiting_collection', 'a pickup order waiting for the carrier');
  const before = await order(page, 'DEMO-22');
  assert.equal(before.handover.method, 'pickup');
  const pickup = before.deadlines.find((d) => d.kind === 'pickup');
  assert.equal(pickup?.state, 'open', JSON.stringify(before.deadlines));
  assert.equal(await complaint(page).count(), 0, 'no complaint while the carrier has time');

  // Up to 10 minutes before the window ends: the tick fires, the order is re-read, still none.
  const start = await fakeNow(page);
  assert.ok(pickup.due - start > HOUR, `the window ends later: ${(pickup.due - start) / HOUR} h`);
  await page.clock.fastForward(pickup.due - start - 10 * MIN);
  await reopen(page, 'awaiting_collection', 'DEMO-22');
  assert.equal(await complaint(page).count(), 0, '10 minutes before the window ends: no complaint');
  assert.equal(await page.locator('#deadlines tr[data-kind="pickup"]').getAttribute('data-state'), 'open');

  // Past the window: the console's tick (one minute on the fake clock) shows it, unprompted.
  await page.clock.fastForward(11 * MIN);
  assert.ok(await fakeNow(page) > pickup.due);
  await complaint(page).waitFor({ timeout: 5000 });
  await expectStage(page, 'awaiting_collection', 'still waiting for the carrier');
  assert.equal(await page.locator('#detail .flag[data-flag="pickup_overdue"]').count(), 1);
  assert.equal(await page.locator('#deadlines tr[data-kind="pickup"]').getAttribute('data-state'), 'missed');

  // Filed once, it is not offered again.
  await page.fill('[data-key="complaint-text"]', 'GHN chua den lay hang sau 48 gio');
  await page.click('[data-key="complaint-file"]');
  assert.equal(await page.locator('#detail-message').getAttribute('data-kind'), 'ok', await page.locator('#detail-message').textContent());
  assert.equal(await complaint(page).count(), 0, 'one complaint per order');
  assert.ok((await page.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.event))).includes('complaint_filed'));
  assert.deepEqual(page.problems, []);
});

test('C4 C5 console: the pending cancellation on DEMO-11 is approved automatically when its 48 h end passes (fake clock)', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&order=DEMO-11', withClock);
  await expectStage(page, 'awaiting_confirmation', 'the order with the cancellation request');
  const req = page.locator('#requests li[data-request="DEMO-11/r1"]');
  assert.equal(await req.getAttribute('data-state'), 'pending');
  assert.equal(await page.locator('[data-key="req-approve-DEMO-11-r1"]').count(), 1);
  const due = (await order(page, 'DEMO-11')).requests.find((r) => r.id === 'DEMO-11/r1').due;

  // Just before its end it is still the seller's to answer.
  await page.clock.fastForward(due - (await fakeNow(page)) - 5 * MIN);
  await reopen(page, 'awaiting_confirmation', 'DEMO-11');
  assert.equal(await req.getAttribute('data-state'), 'pending', '5 minutes before the end: still pending');
  assert.match(await req.locator('.due').textContent(), /^[45] min( \d+ s)? left$/);

  // Past it: the console's tick approves it for the buyer, and the order is cancelled.
  await page.clock.fastForward(6 * MIN);
  await expectStage(page, 'cancelled', 'the auto-approved cancellation cancels the order');
  assert.equal(await req.getAttribute('data-state'), 'auto_approved');
  assert.match(await req.textContent(), /approved automatically/);
  assert.equal(await page.locator('[data-key^="req-"]').count(), 0, 'no approve, reject or extend any more');
  assert.equal(await page.locator('#deadlines tr[data-kind="request_answer"]').getAttribute('data-state'), 'missed');

  // The core refuses a late answer too (C5), whatever a stale screen might still offer.
  const late = await page.evaluate(() => window.packdeskConsole.command('request.approve', { request_id: 'DEMO-11/r1' }));
  assert.equal(late.ok, false);
  assert.equal(late.error.rule, 'C5');
  assert.deepEqual(page.problems, []);
});

test('C4 C5 console: a cancellation whose 48 h end passed while the console was closed is approved as it opens, not at its first minute\'s tick (fake clock)', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&order=DEMO-11', withClock);
  const due = (await order(page, 'DEMO-11')).requests.find((r) => r.id === 'DEMO-11/r1').due;
  // As the shop has it (committed), not as time would move it: asked as of before the end.
  const storedStage = () => page.evaluate((at) => window.packdeskConsole.query('order.get', { order_id: 'DEMO-11', at }), due - HOUR)
    .then((r) => r.result.stage);
  assert.equal(await storedStage(), 'awaiting_confirmation');

  // Closed before the end, opened an hour after it: no minute's tick ran in between.
  await page.clock.setSystemTime(due + HOUR);
  await page.reload();
  await ready(page);
  assert.ok((await fakeNow(page)) > due, 'the fake clock survived the reload');
  assert.equal(await storedStage(), 'cancelled', 'the opening tick applied it');
  await expectStage(page, 'cancelled', 'on screen at once');
  assert.equal(await page.locator('#requests li[data-request="DEMO-11/r1"]').getAttribute('data-state'), 'auto_approved');
  assert.deepEqual(page.problems, []);
});

// The bytes of every journal segment of the console's store, as IndexedDB holds them.
const journalBytes = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('/packdesk/default');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const files = open.result.transaction(['FILE_DATA']).objectStore('FILE_DATA');
    files.getAll().onsuccess = (e) => {
      const keys = files.getAllKeys();
      keys.onsuccess = () => {
        const sizes = keys.result.map((k, i) => (/\.pdj$/.test(k) ? e.target.result[i].size ?? e.target.result[i].contents.length : 0));
        open.result.close();
        resolve(sizes.reduce((a, b) => a + b, 0));
      };
    };
  };
}));

test('console: a tick that changes nothing writes nothing (no op, no journal record, no save), as it opens or each minute (fake clock)', async (t) => {
  const page = await openConsole(t, origin(), '', withClock);
  await page.clock.fastForward(5000); // the demo's seeding is checkpointed once the console is idle
  await page.evaluate(() => window.packdeskConsole.saved());
  const settled = await journalBytes(page);
  await page.reload(); // a tick as it opens
  await ready(page);
  await page.evaluate(() => window.packdeskConsole.saved());
  assert.equal(await journalBytes(page), settled, 'the opening tick');
  await page.clock.fastForward(3 * MIN); // three minutes' ticks
  await page.evaluate(() => window.packdeskConsole.saved());
  assert.equal(await journalBytes(page), settled, 'the minute ticks');
  assert.deepEqual(page.problems, []);
});
