// console-offline.test.mjs: the console with the network off, and a version update, in headless
// Chromium against the real web/server.mjs (a child process), in a fresh profile.
//
// Offline (PLATFORM.md's recipe: context.setOffline(true) also blocks the worker's own fetches):
// load, wait for the service worker, reload so it controls the page, stop the server and go
// offline, reload: the console renders from the worker's cache, and a command still works and is
// saved (the store is IndexedDB). Update: the server comes back on the same port with a changed
// shell (PACKDESK_BUILD_ID changes the version hash); the tab that is already open keeps working
// on its own version and shows "Update available — Reload"; accepting reloads into the new
// version, with the data kept and the old version's cache gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchFresh } from './lib/browser.mjs';
import { startConsoleServer } from './lib/console.mjs';

// web/server.mjs as a child process; resolves to {origin, stop()}.
const startServer = (port, env = {}) => startConsoleServer({ port, env });

// The version the server is serving now, from the /sw.js it fills in.
async function servedVersion(origin) {
  const source = await (await fetch(`${origin}/sw.js`)).text();
  return /const VERSION = "([0-9a-f]+)"/.exec(source)?.[1];
}

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.locator('#loading').textContent());
}
const tabCount = async (page, stage) => Number(await page.locator(`#tab-${stage}`).getAttribute('data-count'));
async function expectStage(page, stage, label) {
  await page.waitForFunction((s) => document.getElementById('detail-stage')?.dataset.stage === s, stage, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await page.locator('#detail-stage').getAttribute('data-stage'), stage, label);
}
async function saved(page) {
  await page.evaluate(() => window.packdeskConsole.saved());
  assert.equal(await page.locator('#save').getAttribute('data-state'), 'saved');
}
const shellVersion = (page) => page.waitForFunction(() => document.documentElement.dataset.swVersion, null, { timeout: 5000 })
  .then((h) => h.jsonValue());

test('offline: the console loads and works with the network off; an update waits for the seller', { timeout: 40000 }, async (t) => {
  let server = await startServer(0);
  const { origin } = server;
  const port = new URL(origin).port;
  t.after(() => server?.stop());
  assert.match(await servedVersion(origin), /^[0-9a-f]{16}$/, 'the server fills in a content hash');

  const context = await launchFresh(t, 'packdesk-offline-');
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });

  // Online, first visit: the worker installs and precaches the shell.
  await page.goto(`${origin}/`);
  await ready(page);
  await page.evaluate(async () => {
    const { active } = await navigator.serviceWorker.ready;
    if (active.state !== 'activated') await new Promise((ok) => active.addEventListener('statechange', () => active.state === 'activated' && ok()));
  });
  assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), false, 'no claim(): the first visit stays uncontrolled');
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'controlled after a reload');
  const version1 = await shellVersion(page);
  assert.match(version1, /^[0-9a-f]{16}$/, 'the controlling worker tells its version');
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`packdesk-shell-${version1}`]);

  // No network at all: the server is gone and the browser is offline.
  await server.stop();
  server = null;
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#net').getAttribute('data-state'), 'offline');
  const counts = Object.fromEntries(await page.locator('#tabs button').evaluateAll((tabs) => tabs.map((b) => [b.dataset.stage, Number(b.dataset.count)])));
  assert.equal(Object.keys(counts).length, 10, 'a tab per stage');
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 30, 'the 30 demo orders, from IndexedDB');
  assert.ok(await page.locator('#orders button[data-order-id]').count() > 0, 'the list renders');

  // A command, offline: check the line, confirm; the stage changes and it is saved.
  await page.click('#orders [data-order-id="DEMO-13"]');
  await expectStage(page, 'awaiting_confirmation', 'a new order, opened offline');
  await page.click('[data-key="check-L1-ok"]');
  await page.click('[data-key="confirm"]');
  await expectStage(page, 'confirmed', 'confirmed offline');
  await saved(page);
  assert.equal(await tabCount(page, 'confirmed'), counts.confirmed + 1);
  await page.reload();
  await ready(page);
  assert.equal(await tabCount(page, 'confirmed'), counts.confirmed + 1, 'the offline confirm survived a reload, still offline');

  // A new version: the server is back, with a changed shell. The open tab finds the update when the
  // network returns, keeps running its own version, and offers the update.
  server = await startServer(port, { PACKDESK_BUILD_ID: 'offline-test-v2' });
  assert.notEqual(await servedVersion(server.origin), version1, 'a changed shell is a new version');
  await context.setOffline(false);
  const banner = page.locator('#sw-update');
  await page.waitForFunction(() => document.getElementById('sw-update')?.dataset.state === 'available', null, { timeout: 10000 });
  // The waiting worker's version (not the one fetched above: files edited meanwhile change it again).
  const version2 = await page.evaluate(async () => {
    const { waiting } = await navigator.serviceWorker.getRegistration('/');
    const channel = new MessageChannel();
    const reply = new Promise((ok) => { channel.port1.onmessage = (e) => ok(e.data.version); });
    waiting.postMessage({ type: 'version' }, [channel.port2]);
    return reply;
  });
  assert.notEqual(version2, version1, 'the waiting worker is the new version');
  assert.equal(await banner.locator('.sw-update-text').textContent(), 'Update available');
  assert.equal(await banner.locator('#sw-reload').textContent(), 'Reload');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller && document.documentElement.dataset.swVersion), version1,
    'the open tab is still on its version: nothing skipped waiting');
  assert.deepEqual((await page.evaluate(() => caches.keys())).sort(), [`packdesk-shell-${version1}`, `packdesk-shell-${version2}`].sort(),
    'the old cache stays while a tab uses it');

  // Not stranded: the open tab still works on the old version while the new one waits.
  await page.click('#tab-confirmed');
  await page.click('#orders [data-order-id="DEMO-13"]');
  await expectStage(page, 'confirmed', 'the order, from the waiting tab');
  await page.focus('[data-key="scan"]');
  await page.keyboard.type('MUG-CERAMIC', { delay: 5 });
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#scan-feedback').textContent(), 'packed 1/2');
  await saved(page);

  // The banner follows the language switch.
  await page.selectOption('#lang', 'vi');
  assert.equal(await banner.locator('.sw-update-text').textContent(), 'Có bản cập nhật');
  assert.equal(await banner.locator('#sw-reload').textContent(), 'Tải lại');
  await page.selectOption('#lang', 'en');

  // Accepting: the new worker activates, the tab reloads into the new version, the data is there.
  await Promise.all([page.waitForEvent('load', { timeout: 10000 }), page.click('#sw-reload')]);
  await ready(page);
  assert.equal(await shellVersion(page), version2, 'reloaded into the new version');
  assert.equal(await banner.count(), 0, 'no banner after the update');
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`packdesk-shell-${version2}`], 'the old version\'s cache is deleted');
  assert.equal(await tabCount(page, 'confirmed'), counts.confirmed + 1);
  await page.click('#tab-confirmed');
  await page.click('#orders [data-order-id="DEMO-13"]');
  assert.equal(await page.locator('#lines tr[data-line="L1"] td:nth-child(4)').textContent(), '1/2', 'the unit packed before the update is still packed');
  assert.deepEqual(problems, []);
});
