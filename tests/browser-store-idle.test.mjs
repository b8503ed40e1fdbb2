// browser-store-idle.test.mjs: a writer that goes idle checkpoints (wasm/packdesk-store.mjs's
// #idle, core/store.c's pd_store_idle) and saves, so the next open replays nothing: IDLE_MS after
// its last change, at once when the page is hidden or the store closed. A tail too short to be
// worth a checkpoint (under 64 journal records) is left to the journal, a follower never
// checkpoints, and idleCheckpointMs null never does (the store bench's full-tail opens). In
// headless Chromium on real IndexedDB, each test on a fresh profile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchFresh, serveRepo } from './lib/browser.mjs';
import { importOrder } from './lib/orders.mjs';

const IDLE_MS = 2000; // packdesk-store.mjs's IDLE_CHECKPOINT_MS
const imports = (n, from) => Array.from({ length: n }, (_, i) => importOrder(`I${from + i}`));

let server;
before(async () => {
  server = await serveRepo();
});
after(() => server.close());

// Opens the store on the test page, which then counts the store's 'checkpoint' events (from 0).
async function openOn(page, options = {}) {
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate(async (o) => {
    const opened = await window.openTestStore(o);
    window.checkpoints = [];
    window.store.addEventListener('checkpoint', (e) => window.checkpoints.push(e.detail.error?.code ?? 'ok'));
    return opened;
  }, options);
}

async function openPage(context, options = {}) {
  const page = await context.newPage();
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await openOn(page, options);
  return page;
}

const apply = (page, requests) => page.evaluate((r) => window.apply(r), requests);
const checkpoints = (page) => page.evaluate(() => window.checkpoints);
const ordersIn = (page) => page.evaluate(() => window.query({ cmd: 'stats', at: 1764230400000 }).result.orders);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function reopen(page) {
  await page.reload();
  await openOn(page);
}

test('store idle: a long tail is checkpointed and saved after a pause, and the next open replays nothing; a short one is left to the journal', async (t) => {
  const context = await launchFresh(t);
  const page = await openPage(context);
  assert.equal(page.opened.isWriter, true);

  // 10 commands: not worth a checkpoint; the reopen replays them from the journal.
  let run = await apply(page, imports(10, 0));
  assert.ok(run.saved.every((s) => s === 'ok'));
  await sleep(IDLE_MS + 1000);
  assert.deepEqual(await checkpoints(page), []);
  await reopen(page);
  assert.equal(page.opened.report.replayed, 10);
  assert.equal(await ordersIn(page), 10);

  // 70 more (80 in the journal): checkpointed once the writer has been idle IDLE_MS, then saved.
  run = await apply(page, imports(70, 10));
  assert.ok(run.saved.every((s) => s === 'ok'));
  assert.deepEqual(await checkpoints(page), [], 'not while commands keep coming');
  await page.waitForFunction(() => window.checkpoints.length > 0, null, { timeout: IDLE_MS * 5 });
  assert.deepEqual(await checkpoints(page), ['ok']);
  await page.evaluate(() => window.store.flush()); // the checkpoint's save
  assert.equal(await page.evaluate(() => window.store.status), 'saved');
  await reopen(page);
  assert.equal(page.opened.report.replayed, 0);
  assert.equal(page.opened.report.orders, 80);
  assert.equal(await ordersIn(page), 80);
});

test('store idle: a page hidden, or a store closed, checkpoints at once; a follower never does', async (t) => {
  const context = await launchFresh(t);
  const writer = await openPage(context);
  const follower = await openPage(context);
  assert.equal(follower.opened.isWriter, false);

  // idleCheckpointMs is milliseconds, or null (never): anything else is refused before it opens.
  for (const bad of [-1, 'soon', Infinity]) {
    const code = await writer.evaluate((ms) => window.openTestStore({ idleCheckpointMs: ms }).then(() => 'opened', (e) => e.code), bad);
    assert.equal(code, 'BAD_OPTION', String(bad));
  }

  // Hidden right after 70 commands: no wait for IDLE_MS.
  assert.ok((await apply(writer, imports(70, 0))).saved.every((s) => s === 'ok'));
  await writer.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.deepEqual(await checkpoints(writer), ['ok']);
  await writer.evaluate(() => window.store.flush());

  // 70 more, then close(): it checkpoints and saves before letting go.
  await writer.evaluate(() => delete document.visibilityState);
  assert.ok((await apply(writer, imports(70, 70))).saved.every((s) => s === 'ok'));
  await writer.evaluate(() => window.store.close());
  assert.deepEqual(await checkpoints(writer), ['ok', 'ok']);
  await writer.close();

  // The follower, the writer now, saw no checkpoint of its own while it followed.
  await follower.waitForFunction(() => window.store.isWriter, null, { timeout: 10000 });
  assert.deepEqual(await checkpoints(follower), []);
  assert.equal(await ordersIn(follower), 140);
  const page = await openPage(context); // a third tab, while the follower-turned-writer holds on
  await follower.close();
  await page.waitForFunction(() => window.store.isWriter, null, { timeout: 10000 });
  await reopen(page);
  assert.equal(page.opened.report.replayed, 0);
  assert.equal(page.opened.report.orders, 140);
});

test('store idle: idleCheckpointMs null never checkpoints, idle, hidden or closed', async (t) => {
  const context = await launchFresh(t);
  const page = await openPage(context, { idleCheckpointMs: null });
  assert.ok((await apply(page, imports(70, 0))).saved.every((s) => s === 'ok'));
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await sleep(IDLE_MS + 500);
  await page.evaluate(() => window.store.close());
  assert.deepEqual(await checkpoints(page), []);
  await page.evaluate(() => delete document.visibilityState);
  await reopen(page);
  assert.equal(page.opened.report.replayed, 70);
});
