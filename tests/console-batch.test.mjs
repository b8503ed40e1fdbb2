// console-batch.test.mjs: the console's batch work and sort, in headless Chromium against the real
// web/server.mjs. Orders in different states selected by their row checkboxes (and "select all on
// this page"), confirmed or marked shipped together: the bar offers only what the core's
// `actions` allow for at least one of them, and each order's result is the core's own answer
// (done, or refused with the core's code, rule and message). The pick list sums the selected
// orders' quantities by SKU; the packing slips (one a page, printed alone) carry no buyer data,
// checked against the orders' unmasked data. The list's sort (newest, oldest) is the core's
// order, kept in the URL, paged with "show more". Each test runs in a fresh browser profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoOrder } from '../web/demo-shop.mjs';
import { expectStage, openConsole, ready, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();

/** A command (or query) through the console's own store and clock: the core's answer. */
const core = (page, cmd, args = {}) => page.evaluate(([c, a]) => window.packdeskConsole.command(c, a), [cmd, args]);
const get = async (page, id) => {
  const r = await core(page, 'order.get', { order_id: id });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  return r.result;
};
const tab = async (page, stage) => {
  await page.click(`#tab-${stage}`);
  await page.waitForFunction((s) => document.querySelector('#orders [data-stage]')?.dataset.stage === s, stage);
};
const results = (page) => page.locator('#batch-results li').evaluateAll((li) => li.map((x) => ({
  id: x.dataset.orderId, result: x.dataset.result, text: x.textContent,
})));
const shownIds = (page) => page.locator('#orders button[data-order-id]').evaluateAll((b) => b.map((x) => x.dataset.orderId));

test('console batch: orders in different states confirmed together; the bar offers what the core allows, each result is the core\'s answer', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation');
  // DEMO-12 and DEMO-13 have every line checked (C1), DEMO-10 not; DEMO-14 is confirmed already.
  for (const [id, lines] of [['DEMO-12', ['L1', 'L2']], ['DEMO-13', ['L1']]]) {
    for (const line of lines) assert.equal((await core(page, 'line.check', { order_id: id, line_id: line, result: 'ok' })).ok, true);
  }
  const picked = ['DEMO-10', 'DEMO-12', 'DEMO-13', 'DEMO-14'];
  const before = Object.fromEntries(await Promise.all(picked.map(async (id) => [id, await get(page, id)])));
  const confirmable = picked.filter((id) => before[id].actions.includes('order.confirm'));
  assert.deepEqual(confirmable, ['DEMO-12', 'DEMO-13'], 'the core allows confirm for the two checked orders only');

  assert.equal(await page.locator('#batch').getAttribute('data-count'), '0');
  assert.equal(await page.locator('#batch-actions button').count(), 0, 'nothing selected: no action');
  for (const id of ['DEMO-10', 'DEMO-12', 'DEMO-13']) await page.check(`[data-key="select-${id}"]`);
  assert.equal(await page.locator('#batch-count').textContent(), '3 selected');
  assert.equal(await page.locator('#batch-all').evaluate((b) => b.indeterminate), true, 'some of the page is selected');
  // The selection lasts across tabs: one more from To pack.
  await tab(page, 'confirmed');
  assert.equal(await page.locator('#batch-count').textContent(), '3 selected');
  await page.check('[data-key="select-DEMO-14"]');
  assert.equal(await page.locator('#batch-count').textContent(), '4 selected');

  const confirm = page.locator('[data-key="batch-order.confirm"]');
  assert.equal(await confirm.getAttribute('data-allowed'), String(confirmable.length));
  assert.equal(await confirm.textContent(), 'Confirm (2 of 4)');
  assert.equal(await page.locator('[data-key="batch-order.ship"]').count(), 0, 'no selected order can be shipped: not offered');

  await confirm.click();
  await page.waitForFunction(() => !document.getElementById('batch-results').hidden);
  const got = await results(page);
  assert.deepEqual(got.map((r) => [r.id, r.result]), [['DEMO-10', 'refused'], ['DEMO-12', 'ok'], ['DEMO-13', 'ok'], ['DEMO-14', 'refused']]);
  assert.match(await page.locator('#batch-results h3').textContent(), /^Confirm order: 2 done, 2 refused$/);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('#batch-results') !== null), true, 'the results take the focus');

  // What the core says now: the two confirmed, the refused ones unchanged, and each refusal
  // shown with the core's own code, rule and message (the same command, asked again).
  assert.equal((await get(page, 'DEMO-12')).stage, 'confirmed');
  assert.equal((await get(page, 'DEMO-13')).stage, 'confirmed');
  assert.equal((await get(page, 'DEMO-10')).stage, 'awaiting_confirmation');
  const d14 = await get(page, 'DEMO-14');
  assert.equal(d14.timeline.filter((e) => e.event === 'confirmed').length, 1, 'a refused command changed nothing');
  for (const id of ['DEMO-10', 'DEMO-14']) {
    const again = await core(page, 'order.confirm', { order_id: id });
    assert.equal(again.ok, false);
    const shown = got.find((r) => r.id === id).text;
    assert.ok(shown.includes(again.error.message), `${id} shows the core's message: ${shown} / ${again.error.message}`);
    if (again.error.rule) assert.ok(shown.includes(`rule ${again.error.rule}`), `${id} names rule ${again.error.rule}: ${shown}`);
  }
  assert.match(got.find((r) => r.id === 'DEMO-10').text, /rule C1/, 'DEMO-10 is refused for its unchecked line');
  const toPack = await shownIds(page);
  assert.ok(toPack.includes('DEMO-12') && toPack.includes('DEMO-13'), `the confirmed orders are in the To-pack list: ${toPack}`);

  // After the batch the bar asks the core again: nothing left to confirm.
  assert.equal(await page.locator('[data-key="batch-order.confirm"]').count(), 0);
  await page.click('#batch-results li[data-order-id="DEMO-10"] button');
  await expectStage(page, 'awaiting_confirmation', 'a result opens its order');
  await page.click('[data-key="batch-clear"]');
  assert.equal(await page.locator('#batch').getAttribute('data-count'), '0');
  assert.equal(await page.locator('#orders input[data-select]:checked').count(), 0);
  assert.deepEqual(page.problems, []);
});

test('console batch: select all on the page, the pick list sums by SKU, packing slips print one a page without buyer data, then ship together', async (t) => {
  const page = await openConsole(t, origin(), '#stage=packed');
  // DEMO-18 and DEMO-19 have a handover chosen (with the note their knife and mug need, P6);
  // DEMO-20 not, so it cannot be marked shipped.
  for (const id of ['DEMO-18', 'DEMO-19']) {
    const r = await core(page, 'handover.set', { order_id: id, method: 'pickup', note: 'Special handling: do not crush' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
  }
  const ids = await shownIds(page);
  assert.deepEqual([...ids].sort(), ['DEMO-18', 'DEMO-19', 'DEMO-20']);
  await page.check('#batch-all');
  assert.equal(await page.locator('#orders input[data-select]:checked').count(), 3);
  assert.equal(await page.locator('#batch-count').textContent(), '3 selected');
  assert.equal(await page.locator('[data-key="batch-order.confirm"]').count(), 0, 'packed orders cannot be confirmed');
  assert.equal(await page.locator('[data-key="batch-order.ship"]').textContent(), 'Mark shipped (2 of 3)');
  const orders = await Promise.all(ids.map((id) => get(page, id)));

  // The pick list: each SKU once, quantities summed over the orders' lines, sorted by SKU.
  const expected = new Map();
  for (const o of orders) {
    for (const l of o.lines) if (!l.cancelled) expected.set(l.seller_sku, (expected.get(l.seller_sku) ?? 0) + l.quantity);
  }
  assert.ok([...expected.values()].some((q) => q > 1), 'a SKU is summed over lines');
  await page.click('[data-key="batch-pick"]');
  const pick = await page.locator('#pick-table tbody tr').evaluateAll((tr) => tr.map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent)));
  assert.deepEqual(pick.map(([sku, , qty]) => [sku, Number(qty)]), [...expected].sort(([a], [b]) => (a < b ? -1 : 1)));
  const names = Object.fromEntries(orders.flatMap((o) => o.lines.map((l) => [l.seller_sku, l.product_name])));
  for (const [sku, name] of pick) assert.equal(name, names[sku], `the product name of ${sku}`);
  assert.match(await page.locator('#pick-list').textContent(), /3 orders · \d+ units/);
  assert.equal(await page.evaluate(() => document.body.dataset.printing), 'sheet');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#print-view').count(), 0, 'Escape closes the print view');
  assert.equal(await page.evaluate(() => document.body.dataset.printing), undefined);

  // Packing slips: one per order with its lines, quantities and checklist, and no buyer data.
  await page.click('[data-key="batch-slips"]');
  const slips = page.locator('#print-view .slip');
  assert.deepEqual(await slips.evaluateAll((s) => s.map((x) => x.dataset.orderId)), ids);
  for (const o of orders) {
    const slip = page.locator(`#print-view .slip[data-order-id="${o.id}"]`);
    const rows = await slip.locator('tbody tr').evaluateAll((tr) => tr.map((r) => [r.cells[1].textContent, Number(r.cells[3].textContent)]));
    assert.deepEqual(rows, o.lines.filter((l) => !l.cancelled).map((l) => [l.seller_sku, l.quantity]), `${o.id}'s lines`);
    assert.deepEqual(await slip.locator('.checks li').evaluateAll((li) => li.map((x) => x.dataset.item)), o.checklist.map((c) => c.item));
    const text = await slip.textContent();
    const buyer = demoOrder(Number(o.id.slice(5)), 0).buyer; // the order as it was imported, unmasked
    const street = buyer.address.split(',')[0];
    for (const secret of [buyer.phone, buyer.phone.slice(-4), buyer.name, buyer.address, street, o.buyer.phone, o.buyer.name]) {
      assert.ok(!text.includes(secret), `${o.id}'s slip must not carry ${JSON.stringify(secret)}: ${text}`);
    }
    assert.doesNotMatch(text, /\d{6,}/, 'no phone-like digits');
  }
  // Printed: only the slips, one a page (print.css), and the toolbar not at all.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('#console').isVisible(), false);
  assert.equal(await page.locator('header.bar').isVisible(), false);
  assert.equal(await page.locator('.print-toolbar').isVisible(), false);
  assert.equal(await slips.first().isVisible(), true);
  assert.deepEqual(await slips.evaluateAll((s) => s.map((x) => getComputedStyle(x).breakAfter)), ['page', 'page', 'auto']);
  const pdf = await page.pdf({ format: 'A4' });
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g).length;
  assert.equal(pages, 3, 'three slips, three pages');
  await page.emulateMedia({ media: 'screen' });
  await page.click('[data-key="print-close"]');
  assert.equal(await page.locator('#print-view').count(), 0);

  // Ship together: two done, DEMO-20 refused with the core's reason.
  await page.click('[data-key="batch-order.ship"]');
  await page.waitForFunction(() => !document.getElementById('batch-results').hidden);
  const got = await results(page);
  assert.deepEqual(Object.fromEntries(got.map((r) => [r.id, r.result])), { 'DEMO-18': 'ok', 'DEMO-19': 'ok', 'DEMO-20': 'refused' });
  const again = await core(page, 'order.ship', { order_id: 'DEMO-20' });
  assert.equal(again.ok, false);
  assert.ok(got.find((r) => r.id === 'DEMO-20').text.includes(again.error.message));
  assert.equal((await get(page, 'DEMO-18')).stage, 'awaiting_collection');
  assert.equal((await get(page, 'DEMO-19')).stage, 'awaiting_collection');
  assert.equal((await get(page, 'DEMO-20')).stage, 'packed');
  assert.deepEqual(await shownIds(page), ['DEMO-20'], 'the shipped orders left the tab');
  assert.deepEqual(page.problems, []);
});

test('console sort: newest and oldest first as the core orders them, kept in the URL, paged with show more', async (t) => {
  const page = await openConsole(t, origin(), '#stage=confirmed');
  const coreIds = async (args) => {
    const r = await core(page, 'orders.list', { limit: 500, ...args });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    return r.result.orders.map((o) => o.id);
  };
  assert.deepEqual(await shownIds(page), await coreIds({ stage: 'confirmed' }), 'most urgent first by default');
  assert.equal(await page.locator('#sort').inputValue(), 'urgency');

  await page.selectOption('#sort', 'newest');
  await page.waitForFunction(() => location.hash.includes('sort=newest'));
  const newest = await coreIds({ stage: 'confirmed', sort: 'newest' });
  assert.deepEqual(await shownIds(page), newest);
  assert.notDeepEqual(newest, await coreIds({ stage: 'confirmed' }), 'a different order than urgency');
  assert.equal(newest.length, 4);
  assert.match(await page.locator('#list-info').textContent(), /Newest first/);

  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#sort').inputValue(), 'newest', 'the sort survives a reload');
  assert.deepEqual(await shownIds(page), newest);

  // Across stages (a search), oldest first, more than a page: show more goes on in the same order.
  await page.fill('#q', 'DEMO');
  await page.press('#q', 'Enter');
  await page.selectOption('#sort', 'oldest');
  await page.waitForFunction(() => location.hash.includes('sort=oldest') && location.hash.includes('q=DEMO'));
  const oldest = await coreIds({ q: 'DEMO', sort: 'oldest' });
  assert.equal(oldest.length, 30);
  assert.deepEqual(await shownIds(page), oldest.slice(0, 25));
  await page.click('#more');
  await page.waitForFunction(() => document.querySelectorAll('#orders button[data-order-id]').length === 30);
  assert.deepEqual(await shownIds(page), oldest, 'the second page follows the first');
  assert.deepEqual(oldest.slice(0, 3), ['DEMO-01', 'DEMO-02', 'DEMO-03'], 'the orders placed 16, 12, 11 days ago come first');
  await page.selectOption('#lang', 'vi');
  assert.match(await page.locator('#list-info').textContent(), /Cũ nhất trước/);
  assert.deepEqual(page.problems, []);
});
