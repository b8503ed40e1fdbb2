// console-screens.test.mjs: the console's main views at desktop (1280×800) and phone (390×844)
// width, in headless Chromium against the real web/server.mjs: the order list, an order's detail,
// the packing station, the batch bar and the packing slips' print view. Each is saved under
// build/screenshots/ (to look at), and what matters visually is asserted: no horizontal scrolling
// of the page, every control within the viewport's width (the stage tabs' strip scrolls on its
// own, so there the strip must be), no text clipped in the list rows or on buttons, and on the
// phone the scan field and the primary buttons at least 44 px tall (a thumb's target).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './lib/engines.mjs';
import { expectStage, openConsole, useConsoleServer } from './lib/console.mjs';

const origin = useConsoleServer();
const SHOTS = path.join(ROOT, 'build/screenshots');
const SIZES = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }];
const TOUCH_PX = 44;

/** What the page breaks visually, measured in the page (empty when nothing). */
function layoutProblems() {
  const problems = [];
  const W = window.innerWidth;
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.dataset.key ? `[data-key=${el.dataset.key}]` : ''} "${(el.textContent || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40)}"`;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  if (document.documentElement.scrollWidth > W) problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${W}`);
  for (const el of document.querySelectorAll('button, input, select, textarea, summary, a[href]')) {
    if (!shown(el) || el.closest('.visually-hidden')) continue;
    // The stage tabs are a horizontal strip on purpose (swiped on a phone): a tab may sit past the
    // strip's edge, but the strip itself must be within the viewport. Nowhere else.
    const r = (el.closest('#tabs') ?? el).getBoundingClientRect();
    if (r.left < -0.5 || r.right > W + 0.5) problems.push(`${name(el)} is outside the viewport: ${Math.round(r.left)}..${Math.round(r.right)} of ${W}`);
  }
  for (const el of document.querySelectorAll('#orders button[data-order-id] > span, button')) {
    if (!shown(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} is clipped: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return problems;
}

/** On the phone: the scan field and the primary buttons shown are thumb-sized. */
function smallTargets(min) {
  const small = [];
  for (const el of document.querySelectorAll('[data-key="scan"], button.primary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.height < min) small.push(`${el.dataset.key ?? el.textContent.trim()}: ${Math.round(r.height)} px`);
  }
  return small;
}

async function check(page, size, view, target) {
  await page.locator(target).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, `${view}-${size.name}-${size.width}x${size.height}.png`) });
  assert.deepEqual(await page.evaluate(layoutProblems), [], `${view} at ${size.width} px`);
  if (size.width < 600) assert.deepEqual(await page.evaluate(smallTargets, TOUCH_PX), [], `${view}: touch targets on the phone`);
}

for (const size of SIZES) {
  test(`console screens at ${size.width}×${size.height}: list, detail, packing station, batch bar, packing slips`, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const page = await openConsole(t, origin(), '#stage=confirmed', {
      beforeLoad: (p) => p.setViewportSize({ width: size.width, height: size.height }),
    });
    await page.waitForFunction(() => document.querySelector('#orders [data-stage]')?.dataset.stage === 'confirmed');
    await check(page, size, 'list', '#orders');

    await page.evaluate(() => { location.hash = 'stage=awaiting_confirmation&order=DEMO-12'; });
    await expectStage(page, 'awaiting_confirmation', 'the detail of a new order');
    await check(page, size, 'detail', '#detail');

    await page.evaluate(() => { location.hash = 'stage=confirmed&order=DEMO-15'; });
    await expectStage(page, 'confirmed', 'an order to pack');
    await page.focus('[data-key="scan"]');
    await page.keyboard.type(await page.evaluate(() => document.querySelector('#lines tr[data-line="L1"] td:nth-child(2)').textContent));
    await page.keyboard.press('Enter');
    assert.match(await page.locator('#scan-feedback').textContent(), /packed 1\//);
    await check(page, size, 'packing', '#packing');
    assert.ok((await page.locator('[data-key="scan"]').boundingBox()).width >= Math.min(size.width - 80, 200), 'the scan field is wide');

    await page.evaluate(() => { location.hash = 'stage=confirmed'; });
    await page.waitForFunction(() => !document.getElementById('detail').dataset.order);
    for (const id of ['DEMO-16', 'DEMO-17']) await page.check(`[data-key="select-${id}"]`);
    assert.equal(await page.locator('#batch-count').textContent(), '2 selected');
    await check(page, size, 'batch', '#batch');

    await page.click('[data-key="batch-slips"]');
    assert.equal(await page.locator('#print-view .slip').count(), 2);
    await check(page, size, 'slips', '#print-view');
    assert.deepEqual(page.problems, []);
  });
}
