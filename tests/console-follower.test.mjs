// console-follower.test.mjs: two console tabs of one browser profile (one IndexedDB, one Web
// Lock), in headless Chromium against the real web/server.mjs. The first writes; the second
// follows read-only and must show each save of the writer as soon as the store has reloaded it
// (wasm/packdesk-store.mjs's 'reloaded' event), not at its one-minute tick: the follower's clock
// is Playwright's, paused, so no timer of the follower can run during the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectStage, openConsole, ready, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const tabCount = async (page, stage) => Number(await page.locator(`#tab-${stage}`).getAttribute('data-count'));

test('console follower: a second tab shows the writer\'s saves at once, without waiting for its tick', async (t) => {
  const writer = await openConsole(t, origin(), '#stage=awaiting_confirmation');
  const follower = await writer.context().newPage();
  follower.problems = [];
  follower.on('pageerror', (e) => follower.problems.push(`page error: ${e.message}`));
  await follower.clock.install();
  await follower.goto(`${origin()}/#stage=awaiting_confirmation&order=DEMO-13`);
  await ready(follower);
  const frozenAt = await follower.evaluate(() => Date.now());
  await follower.clock.pauseAt(frozenAt + 1000); // from here on timers fire only when the test runs the clock
  assert.equal(await follower.locator('#save').getAttribute('data-state'), 'read-only', 'the second tab follows');
  assert.equal(await writer.locator('#save').getAttribute('data-state') !== 'read-only', true, 'the first tab writes');
  await expectStage(follower, 'awaiting_confirmation', 'the follower shows DEMO-13');
  const before = await tabCount(follower, 'awaiting_confirmation');
  const cancelled = await tabCount(follower, 'cancelled');
  assert.equal(before, 6);

  // The writer checks DEMO-13's line and confirms it, by clicking; the save is announced.
  await writer.click('#orders [data-order-id="DEMO-13"]');
  await writer.click('[data-key="check-L1-ok"]');
  await writer.click('[data-key="confirm"]');
  await expectStage(writer, 'confirmed', 'confirmed in the writer');
  await writer.evaluate(() => window.packdeskConsole.saved());
  // Saves announced less than 100 ms apart go as one message once 100 ms have passed
  // (wasm/packdesk-store.mjs): the clock, paused for the whole context, moves those 100 ms only,
  // far less than the follower's one-minute tick.
  await follower.clock.runFor(100);

  // The follower repaints from the reloaded store: the open order, the tab counts, the list.
  await follower.waitForFunction(() => document.getElementById('detail-stage')?.dataset.stage === 'confirmed', null, { timeout: 10000 });
  assert.equal(await tabCount(follower, 'awaiting_confirmation'), before - 1);
  assert.equal(await tabCount(follower, 'confirmed'), 5);
  assert.equal(await follower.locator('#orders [data-order-id="DEMO-13"]').count(), 0, 'it left the New list');
  assert.ok((await follower.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.event))).includes('confirmed'));
  assert.equal(await follower.evaluate(() => Date.now()), frozenAt + 1000 + 100, 'the clock moved only the 100 ms run: no tick ran');

  // A second save shows too (each announcement, not only the first); again the clock runs 100 ms.
  await writer.evaluate(() => window.packdeskConsole.command('order.cancel', { order_id: 'DEMO-10', reason: 'buyer asked by phone' }));
  await writer.evaluate(() => window.packdeskConsole.saved());
  await follower.clock.runFor(100);
  await follower.waitForFunction((n) => document.getElementById('tab-cancelled')?.dataset.count === String(n), cancelled + 1, { timeout: 10000 });
  assert.equal(await tabCount(follower, 'awaiting_confirmation'), before - 2);
  // The follower still cannot write: its commands are the core's STORAGE refusals.
  const refused = await follower.evaluate(() => window.packdeskConsole.command('order.cancel', { order_id: 'DEMO-12', reason: 'no' }));
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'STORAGE');
  assert.deepEqual([...writer.problems, ...follower.problems], []);
});
