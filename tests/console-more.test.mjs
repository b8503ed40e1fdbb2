// console-more.test.mjs: the console's buyer requests (C4/C5), the other order actions (label
// print S1, messages P3, issues T2, unscan P1), the notification bell (D2), the shop metrics, and
// buyer text rendered as text, in headless Chromium against the real web/server.mjs. Each test
// runs in its own fresh browser profile (an empty IndexedDB, so the demo shop is seeded anew).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectStage, openConsole, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const message = (page) => page.locator('#detail-message');
const bellCount = async (page) => Number(await page.locator('#bell').getAttribute('data-unread'));

test('C4 C5 console: a pending cancellation shows its 48 h countdown; reject needs a reason, extend is bounded, approve cancels and queues the notice', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&order=DEMO-11');
  await expectStage(page, 'awaiting_confirmation', 'the order with the cancellation request');
  const req = page.locator('#requests li[data-request="DEMO-11/r1"]');
  assert.equal(await req.getAttribute('data-state'), 'pending');
  assert.equal(await req.getAttribute('data-kind'), 'cancel');
  const due = await req.locator('.due').textContent();
  assert.match(due, /^1 d 2[12] h left$/, `the request was opened an hour ago: ${due}`);
  assert.match(await page.locator('#deadlines').textContent(), /Answer the buyer.*C4/);
  assert.equal(await page.locator('[data-key="confirm"]').count(), 0);

  // Reject without a reason: the core refuses it (C5) and the request stays pending.
  await page.click('[data-key="req-reject-DEMO-11-r1"]');
  assert.equal(await message(page).getAttribute('data-kind'), 'refused');
  assert.match(await message(page).textContent(), /rule C5/);
  assert.equal(await req.getAttribute('data-state'), 'pending', 'a refused rejection changes nothing');

  // Extend beyond the policy: the core's message and rule are shown.
  await page.fill('[data-key="req-extend-hours-DEMO-11-r1"]', '100');
  await page.click('[data-key="req-extend-DEMO-11-r1"]');
  assert.equal(await message(page).getAttribute('data-kind'), 'refused');
  assert.match(await message(page).textContent(), /rule C5.*1 to 48 hours/);

  // Approve: the order is cancelled by the buyer and the buyer's notice is queued (C7).
  await page.click('[data-key="req-approve-DEMO-11-r1"]');
  await expectStage(page, 'cancelled', 'approving the cancellation cancels the order');
  assert.equal(await message(page).getAttribute('data-kind'), 'ok');
  assert.match(await message(page).textContent(), /notice is queued/);
  assert.equal(await page.locator('#requests li[data-request="DEMO-11/r1"]').getAttribute('data-state'), 'approved');
  assert.equal(await page.locator('[data-key^="req-"]').count(), 0, 'an answered request offers no more answers');

  // The delivered order carries a pending return request.
  await page.evaluate(() => { location.hash = 'stage=delivered&order=DEMO-27'; });
  await expectStage(page, 'delivered', 'the order with the return request');
  assert.equal(await page.locator('#requests li[data-kind="return"]').getAttribute('data-state'), 'pending');
  assert.equal(await page.locator('[data-key="req-approve-DEMO-27-r1"]').count(), 1);
  assert.deepEqual(page.problems, []);
});

test('P3 S1 T2 P1 console: messages checked by the core, the label is the one place with the address, issues resolved, a unit taken back', async (t) => {
  const page = await openConsole(t, origin(), '#stage=awaiting_confirmation&order=DEMO-10');
  await expectStage(page, 'awaiting_confirmation', 'a new order');
  await page.click('#message summary');
  await page.fill('[data-key="message-text"]', 'Thanks! please leave 5 stars');
  await page.click('[data-key="message-send"]');
  assert.equal(await message(page).getAttribute('data-kind'), 'refused');
  assert.match(await message(page).textContent(), /rule P3/);
  await page.click('#message summary');
  await page.fill('[data-key="message-text"]', 'Your order will be packed today.');
  await page.click('[data-key="message-send"]');
  assert.equal(await message(page).getAttribute('data-kind'), 'ok', await message(page).textContent());
  assert.match(await message(page).textContent(), /Message queued/);
  assert.ok((await page.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.event))).includes('message_sent'));

  // S1: DEMO-14's buyer (Vo Thi Em) is masked everywhere, until the seller prints the label.
  await page.evaluate(() => { location.hash = 'stage=confirmed&order=DEMO-14'; });
  await expectStage(page, 'confirmed', 'a confirmed order');
  assert.doesNotMatch(await page.locator('body').textContent(), /Vo Thi Em|27 Hung Vuong/);
  await page.click('[data-key="label-print"]');
  assert.match(await page.locator('#label').textContent(), /Vo Thi Em.*27 Hung Vuong, Hue/);
  assert.equal(await page.locator('body').evaluate((b) => b.textContent.split('27 Hung Vuong').length - 1), 1, 'the address appears once: on the label');
  await page.evaluate(() => { location.hash = 'stage=confirmed&order=DEMO-15'; });
  await expectStage(page, 'confirmed', 'another order');
  assert.doesNotMatch(await page.locator('body').textContent(), /27 Hung Vuong/, 'the label leaves with its order');

  // P1: a unit scanned by mistake is taken back out.
  await page.focus('[data-key="scan"]');
  await page.keyboard.type('SAUCE-FISH-500');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#scan-feedback').textContent(), /packed 1\//);
  await page.click('[data-key="unscan-L1"]');
  assert.match(await message(page).textContent(), /unit taken back out/);
  assert.match(await page.locator('#lines tr[data-line="L1"] td:nth-child(4)').textContent(), /^0\//);

  // T2: the lost order's open issues, each resolved by its own button.
  await page.evaluate(() => { location.hash = 'stage=lost&order=DEMO-01'; });
  await expectStage(page, 'lost', 'the lost order');
  assert.deepEqual(await page.locator('#issues li').evaluateAll((li) => li.map((x) => x.dataset.issue)), ['late_delivery', 'lost']);
  await page.click('[data-key="issue-lost"]');
  assert.deepEqual(await page.locator('#issues li').evaluateAll((li) => li.map((x) => x.dataset.issue)), ['late_delivery']);
  assert.deepEqual(page.problems, []);
});

test('D2 console: the bell counts unread notifications and goes down as they are read; metrics show percentages and a chart', async (t) => {
  const page = await openConsole(t, origin());
  const start = await bellCount(page);
  assert.ok(start >= 20, `the demo's paid orders and requests are unread: ${start}`);
  assert.equal(await page.locator('#bell-count').textContent(), String(start));
  assert.equal(await page.locator('#notifications').isHidden(), true);
  await page.click('#bell');
  assert.equal(await page.locator('#bell').getAttribute('aria-expanded'), 'true');
  const first = page.locator('#notifications li[data-read="false"]').first();
  assert.match(await first.textContent(), /New order|Buyer request/);
  const id = await first.getAttribute('data-note');
  await page.click(`[data-key="note-read-${id}"]`);
  assert.equal(await bellCount(page), start - 1, 'one read: one fewer');
  assert.equal(await page.locator(`#notifications li[data-note="${id}"]`).getAttribute('data-read'), 'true');
  // Opening a notification's order marks it read too.
  const second = await page.locator('#notifications li[data-read="false"]').first().getAttribute('data-note');
  await page.click(`[data-key="note-open-${second}"]`);
  await page.waitForFunction(() => document.getElementById('detail-stage'));
  assert.equal(await bellCount(page), start - 2);
  await page.keyboard.press('Tab'); // keyboard: the bell is a button, Enter opens it
  await page.focus('#bell');
  await page.keyboard.press('Enter');
  await page.click('[data-key="note-all"]');
  assert.equal(await bellCount(page), 0);
  assert.equal(await page.locator('#bell-count').textContent(), '0');

  // Metrics: numbers from the core as percentages, and one bar per rate.
  const rates = await page.locator('#metrics dl [data-metric]').evaluateAll((d) => d.map((x) => [x.dataset.metric, x.dataset.rateBp, x.querySelector('.rate').textContent]));
  assert.deepEqual(rates.map(([m]) => m), ['late_dispatch', 'seller_cancellation', 'on_time_delivery']);
  for (const [metric, bp, shown] of rates) {
    assert.match(bp, /^\d+$/, `${metric} has a rate`);
    assert.equal(shown, new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(Number(bp) / 10000), metric);
  }
  assert.equal(await page.locator('#metrics-chart rect.bar').count(), 3);
  const onTime = await page.locator('#metrics-chart rect.bar[data-metric="on_time_delivery"]').getAttribute('width');
  assert.ok(Number(onTime) > 0, 'a bar as wide as its rate');
  await page.selectOption('#lang', 'vi');
  assert.match(await page.locator('#metrics h2').textContent(), /Chỉ số cửa hàng/);
  assert.match(await page.locator('#bell').getAttribute('aria-label'), /chưa đọc/);
  assert.deepEqual(page.problems, []);
});

test('S1 console: an imported buyer name and product name with markup render as text', async (t) => {
  const page = await openConsole(t, origin());
  const evil = '<img src=x onerror=window.pwned=1>';
  const r = await page.evaluate((name) => window.packdeskConsole.command('order.import', {
    order: {
      id: 'XSS-1', placed_at: Date.now() - 60000, paid_at: Date.now() - 60000, currency: 'VND',
      lines: [{ id: 'L1', sku: 'EVIL-1', name, quantity: 1, unit_price: 1000 }],
      buyer: { name, phone: '0901234567', address: `${name} 1 Le Loi`, region: 'Ha Noi' },
    },
  }), evil);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  await page.evaluate(() => { location.hash = 'stage=awaiting_confirmation&order=XSS-1'; });
  await expectStage(page, 'awaiting_confirmation', 'the imported order');
  assert.ok((await page.locator('#lines').textContent()).includes(evil), 'the product name is shown as text');
  await page.click('[data-key="check-L1-ok"]');
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', 'confirmed');
  await page.click('[data-key="label-print"]');
  const label = await page.locator('#label').textContent();
  assert.ok(label.includes(evil) && label.includes(`${evil} 1 Le Loi`), `the label shows the name as text: ${label}`);
  await page.click('#bell');
  assert.ok(await page.locator('#notifications li', { hasText: 'New order XSS-1' }).count() >= 1);
  await page.click('#tab-confirmed');
  assert.ok((await page.locator('#orders').textContent()).includes(evil), 'the list shows it as text too');
  await page.waitForTimeout(200); // an <img> that became markup would have failed to load by now
  assert.equal(await page.locator('img').count(), 0, 'no element was made from the text');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(page.problems, []);
});
