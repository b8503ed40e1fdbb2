// console.test.mjs: the seller console (web/) in headless Chromium, served by the real
// web/server.mjs (a child process on a free port), as a seller uses it: the demo shop the core
// builds on first open, one pickup order through the four steps by clicking and scanning (a
// keyboard-wedge scanner is keystrokes + Enter), and a reload mid-flow that keeps what was saved.
// Each test runs in its own fresh browser profile, so each starts from an empty IndexedDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectStage, openConsole, ready, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const tabCount = async (page, stage) => Number(await page.locator(`#tab-${stage}`).getAttribute('data-count'));
const feedback = (page) => page.locator('#scan-feedback');

// A keyboard-wedge scanner: the SKU's keystrokes into the focused field, then Enter.
async function scan(page, sku) {
  await page.keyboard.type(sku, { delay: 5 });
  await page.keyboard.press('Enter');
}

test('console: opens on the demo shop, orders in every stage, counts on the tabs', async (t) => {
  const page = await openConsole(t, origin());
  const csp = page.response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline/);

  const counts = Object.fromEntries(await page.locator('#tabs button').evaluateAll((tabs) => tabs.map((b) => [b.dataset.stage, Number(b.dataset.count)])));
  assert.equal(Object.keys(counts).length, 10, 'a tab per stage');
  const filled = Object.entries(counts).filter(([, n]) => n > 0).map(([s]) => s);
  assert.ok(filled.length >= 8, `stages with orders: ${filled}`);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 30, 'the 30 demo orders');
  assert.ok(counts.awaiting_confirmation > 0 && counts.confirmed > 0 && counts.in_transit > 0 && counts.lost > 0, JSON.stringify(counts));

  // The list (New, the default tab) shows its orders with a deadline counting down.
  const rows = page.locator('#orders button[data-order-id]');
  assert.equal(await rows.count(), counts.awaiting_confirmation);
  assert.match(await rows.first().textContent(), /Ship by .*\d+ (d|h|min) .*left/);
  // Urgency: the To-pack tab holds an order overdue and one under 12 h.
  await page.click('#tab-confirmed');
  await page.waitForFunction(() => document.querySelector('#orders [data-stage]')?.dataset.stage === 'confirmed');
  assert.ok(await page.locator('#orders .due.overdue').count() >= 1, 'an overdue order is marked');
  assert.ok(await page.locator('#orders .due.soon').count() >= 1, 'an order due within 12 h is marked');

  // Search by SKU across stages.
  await page.fill('#q', 'KNIFE-PARING');
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => location.hash.includes('q=KNIFE'));
  const found = await page.locator('#orders button[data-order-id]').evaluateAll((b) => b.map((x) => x.dataset.orderId));
  assert.ok(found.includes('DEMO-12') && found.includes('DEMO-20'), `found ${found}`);

  // Vietnamese, from the catalog.
  await page.selectOption('#lang', 'vi');
  assert.match(await page.locator('#tab-awaiting_confirmation').textContent(), /Đơn mới/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
  assert.deepEqual(page.problems, []);
});

test('console: a pickup order through all four steps, clicking and scanning', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation');
  await page.click('#orders [data-order-id="DEMO-12"]');
  await expectStage(page, 'awaiting_confirmation', 'step 1: a new order');
  assert.match(await page.locator('#detail').textContent(), /L\*\*\*/, 'the buyer is masked');
  assert.doesNotMatch(await page.locator('#detail').textContent(), /Le Hoang Cuong|0987654321/);
  assert.match(await page.locator('#deadlines').textContent(), /H2/, 'the deadline names its rule');
  assert.equal(await page.locator('[data-key="confirm"]').count(), 0, 'no confirm before every line is checked (C1)');

  // Step 1: check each line, confirm.
  await page.click('[data-key="check-L1-ok"]');
  assert.equal(await page.locator('[data-key="confirm"]').count(), 0, 'one line is still unchecked');
  await page.click('[data-key="check-L2-ok"]');
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', 'step 1 done: confirmed');

  // Step 2: the packing station. The scanner types into the scan field.
  await page.focus('[data-key="scan"]');
  await scan(page, 'TEA-OOLONG-200');
  assert.equal(await feedback(page).textContent(), 'packed 1/3');
  assert.equal(await feedback(page).getAttribute('data-kind'), 'ok');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), 'scan', 'the scan field keeps the focus');
  await scan(page, 'MUG-CERAMIC');
  assert.equal(await feedback(page).textContent(), 'refused: not in this order');
  assert.equal(await feedback(page).getAttribute('data-kind'), 'refused');
  assert.ok(['refused', 'none'].includes(await feedback(page).getAttribute('data-sound')));
  await scan(page, 'TEA-OOLONG-200');
  assert.equal(await feedback(page).textContent(), 'refused: one too many');
  assert.match(await page.locator('#lines tr[data-line="L1"]').textContent(), /1\/1/, 'a refused scan packs nothing');
  await scan(page, 'KNIFE-PARING');
  await scan(page, 'KNIFE-PARING');
  assert.equal(await feedback(page).textContent(), 'packed 3/3');
  assert.equal(await page.locator('[data-key="scan"]').count(), 0, 'nothing left to scan: the core offers no pack.scan');
  assert.equal(await page.locator('[data-key="pack-complete"]').count(), 0, 'complete is offered only when the checklist is done');
  const items = await page.locator('#packing [data-confirmed="false"]').evaluateAll((li) => li.map((x) => x.dataset.item));
  assert.deepEqual(items, ['no_promo_inserts', 'protective_packaging', 'sharp']);
  for (const item of items) await page.click(`[data-key="item-${item}"]`);
  await page.click('[data-key="pack-complete"]');
  await expectStage(page, 'packed', 'step 2 done: packed');

  // Step 3: pickup, a note for the knife, mark shipped. No complaint: the carrier is not late.
  assert.equal(await page.locator('[data-key="ship"]').count(), 0, 'ship only after the handover is chosen');
  await page.selectOption('[data-key="handover-method"]', 'pickup');
  await page.fill('[data-key="handover-note"]', 'Sharp: blade covered');
  await page.click('[data-key="handover-set"]');
  await page.click('[data-key="ship"]');
  await expectStage(page, 'awaiting_collection', 'step 3 done: waiting for the pickup');
  assert.equal(await page.locator('[data-key="complaint-file"]').count(), 0, 'no complaint while the carrier is on time (H4)');

  // Step 4: the carrier simulator (a demo panel) plays the carrier, offering the events the core's
  // carrier_events says fit: a pickup order is never "dropped off", nothing delivered yet.
  assert.match(await page.locator('#carrier-sim').textContent(), /Demo/);
  const simEvents = () => page.locator('#carrier-sim button[data-event]').evaluateAll((b) => b.map((x) => x.dataset.event));
  assert.deepEqual(await simEvents(), ['picked_up', 'in_transit', 'damaged']);
  await page.fill('[data-key="sim-tracking"]', 'VN120042');
  await page.click('[data-key="sim-picked_up"]');
  await expectStage(page, 'in_transit', 'step 4: picked up');
  assert.deepEqual(await simEvents(), ['in_transit', 'delivery_failed', 'delivered', 'damaged']);
  assert.match(await page.locator('#detail').textContent(), /VN120042/);
  await page.click('[data-key="sim-delivered"]');
  await expectStage(page, 'delivered', 'step 4 done: delivered');

  const events = await page.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.event));
  for (const e of ['placed', 'confirmed', 'packed_unit', 'packed', 'handover_set', 'shipped', 'picked_up', 'delivered']) {
    assert.ok(events.includes(e), `timeline has ${e}: ${events}`);
  }
  assert.equal(await tabCount(page, 'delivered'), 3);
  assert.equal(await tabCount(page, 'awaiting_confirmation'), 5);
  assert.deepEqual(page.problems, []);
});

test('console: a reload mid-flow keeps everything that was saved', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&order=DEMO-13');
  await expectStage(page, 'awaiting_confirmation', 'the order from the URL');
  await page.click('[data-key="check-L1-ok"]');
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', 'confirmed');
  await page.focus('[data-key="scan"]');
  await scan(page, 'MUG-CERAMIC');
  assert.equal(await feedback(page).textContent(), 'packed 1/2');
  await page.evaluate(() => window.packdeskConsole.saved());
  assert.equal(await page.locator('#save').getAttribute('data-state'), 'saved');
  assert.equal(await page.locator('#save').textContent(), 'Saved');

  await page.reload();
  await ready(page);
  await expectStage(page, 'confirmed', 'still confirmed after the reload');
  assert.equal(await page.locator('#lines tr[data-line="L1"] td:nth-child(4)').textContent(), '1/2', 'the packed unit is still packed');
  assert.equal(await tabCount(page, 'awaiting_confirmation'), 5, 'the shop was not seeded again');
  assert.equal(await tabCount(page, 'confirmed'), 5);
  await page.focus('[data-key="scan"]');
  await scan(page, 'MUG-CERAMIC');
  assert.equal(await feedback(page).textContent(), 'packed 2/2');
  assert.deepEqual(page.problems, []);
});
