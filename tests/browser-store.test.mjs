// browser-store.test.mjs: wasm/packdesk-store.mjs in headless Chromium, on real IndexedDB:
// what a seller was told is saved survives a reload and a browser restart, a second tab follows
// the writer without erasing its saves and takes over when it goes, and a failing IndexedDB
// surfaces as a rejected `saved` and a 'save-failed' status instead of a hang. A save writes what
// changed (never listing the mount or IndexedDB), a failed save's changes go with the next one,
// and a store written by Emscripten's own IDBFS still loads.
// Each test runs in its own fresh profile (launchPersistentContext on a new --user-data-dir).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, serveRepo } from './lib/browser.mjs';

const AT = 1764230400000;
const HOUR = 3600000;
const importOrder = (id, sku) => ({
  cmd: 'order.import', at: AT,
  order: {
    id, placed_at: AT, paid_at: AT, currency: 'VND',
    lines: [{ id: 'L1', sku, name: 'Ao thun', quantity: 1, unit_price: 150000 }],
    buyer: { name: 'Nguyen Van A', phone: '+84 912 345 678', address: '12 Le Loi, Q1', region: 'Ho Chi Minh' },
    carrier: 'GHN',
  },
});
const checkLine = (id) => ({ cmd: 'line.check', at: AT + HOUR, order_id: id, line_id: 'L1', result: 'ok' });
const confirm = (id) => ({ cmd: 'order.confirm', at: AT + HOUR, order_id: id });
// Two orders imported, one of them checked and confirmed.
const SHOP = [importOrder('A1', 'SKU-1'), importOrder('A2', 'SKU-2'), checkLine('A1'), confirm('A1')];
// n more imports (~340 journal bytes each: a 256 KiB segment holds ~770).
const imports = (n, from = 0) => Array.from({ length: n }, (_, i) => importOrder(`B${from + i}`, `SKU-${(from + i) % 50}`));

let server;
before(async () => {
  server = await serveRepo();
});
after(() => server.close());

// The browsers started on each profile: a profile is removed only after they are closed
// (node:test runs after-hooks in the order they were added, so the profile's hook does both).
const browsersOn = new Map();

async function profile(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'packdesk-chromium-'));
  browsersOn.set(dir, []);
  t.after(async () => {
    await Promise.all(browsersOn.get(dir).map((c) => c.close().catch(() => {})));
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return dir;
}

async function launch(t, dir) {
  const context = await chromium.launchPersistentContext(dir, CHROMIUM);
  (browsersOn.get(dir) ?? []).push(context);
  t.after(() => context.close().catch(() => {}));
  return context;
}

// A page of the test site with the store open; page.errors collects uncaught page errors.
async function openPage(context, options = {}) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate((o) => window.openTestStore(o), options);
  return page;
}

// The main process (the one without --type) of the Chromium this test started on `dir`, to
// SIGKILL it as when the tab is killed or the battery dies.
function browserPid(dir) {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const pids = ps.split('\n').filter((line) => line.includes(`--user-data-dir=${dir}`) && !line.includes('--type='))
    .map((line) => Number.parseInt(line, 10));
  assert.equal(pids.length, 1, `one browser process on ${dir}`);
  return pids[0];
}

const apply = (page, requests) => page.evaluate((r) => window.apply(r), requests);
const query = (page, request) => page.evaluate((r) => window.query(r), request);
const statuses = (page) => page.evaluate(() => window.statuses);
const stageOf = async (page, id) => {
  const r = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: id });
  return r.ok ? r.result.stage : r.error.code;
};

async function assertShop(page, expected) {
  for (const [id, stage] of Object.entries(expected)) assert.equal(await stageOf(page, id), stage, `order ${id}`);
  const stats = await query(page, { cmd: 'stats', at: AT + HOUR });
  assert.equal(stats.result.orders, Object.values(expected).filter((s) => s !== 'NOT_FOUND').length);
}

async function reopen(page) {
  await page.reload();
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate(() => window.openTestStore());
}

test('store: every saved command is there after a reload', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context);
  assert.equal(page.opened.isWriter, true);
  assert.equal(page.opened.report.orders, 0);

  const run = await apply(page, SHOP);
  assert.deepEqual(run.responses.map((r) => r.ok), [true, true, true, true]);
  assert.deepEqual(run.saved, ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(await statuses(page), ['writer', 'saving', 'saved'], 'one burst, one save');
  const q = await apply(page, [{ cmd: 'stats', at: AT + HOUR }]);
  assert.deepEqual(q.saved, ['ok']);
  assert.equal((await statuses(page)).length, 3, 'a query saves nothing');

  const estimate = await page.evaluate(() => window.store.estimate());
  assert.ok(estimate.usage > 0 && estimate.quota > estimate.usage, JSON.stringify(estimate));
  assert.equal(await page.evaluate(() => window.store.persisted), null, 'asked only after a gesture');
  await page.mouse.click(10, 10);
  await page.waitForFunction(() => typeof window.store.persisted === 'boolean'); // headless: false

  await reopen(page);
  assert.equal(page.opened.report.orders, 2);
  assert.equal(page.opened.report.replayed, 4);
  await assertShop(page, { A1: 'confirmed', A2: 'awaiting_confirmation' });
  assert.deepEqual(page.errors, []);
});

test('store: killing the browser right after "saved" loses nothing', async (t) => {
  const dir = await profile(t);
  let context = await launch(t, dir);
  let page = await openPage(context);
  const pid = browserPid(dir);
  assert.deepEqual((await apply(page, SHOP)).saved, ['ok', 'ok', 'ok', 'ok']);
  process.kill(pid, 'SIGKILL'); // right after "saved": no unload, no flush, no graceful shutdown
  await context.close().catch(() => {});

  context = await launch(t, dir);
  page = await openPage(context);
  assert.equal(page.opened.report.orders, 2);
  await assertShop(page, { A1: 'confirmed', A2: 'awaiting_confirmation' });
  assert.deepEqual(page.errors, []);
});

test('store: a second tab follows read-only, never erases the writer, and takes over when it goes', async (t) => {
  const context = await launch(t, await profile(t));
  const writer = await openPage(context);
  const follower = await openPage(context);
  assert.equal(writer.opened.isWriter, true);
  assert.equal(follower.opened.isWriter, false);
  assert.equal(follower.opened.status, 'read-only');

  assert.deepEqual((await apply(writer, SHOP.slice(0, 2))).saved, ['ok', 'ok']);
  await follower.waitForFunction(() => window.query({ cmd: 'stats', at: 1 }).result.orders === 2, null, { timeout: 5000 });

  // (A change to an existing order comes first: after a refused import the core answers
  // OUT_OF_MEMORY instead of STORAGE, a core bug reported separately; see shop.c reserve_pages.)
  const refused = await apply(follower, [checkLine('A1'), importOrder('B1', 'SKU-9')]);
  assert.deepEqual(refused.responses.map((r) => r.error?.code), ['STORAGE', 'STORAGE']);
  assert.equal(await stageOf(follower, 'B1'), 'NOT_FOUND');
  assert.deepEqual(await follower.evaluate(() => window.statuses), ['read-only'], 'a follower never saves');

  assert.deepEqual((await apply(writer, SHOP.slice(2))).saved, ['ok', 'ok']);
  await follower.waitForFunction(
    () => window.query({ cmd: 'order.get', at: 1764234000000, order_id: 'A1' }).result.stage === 'confirmed',
    null, { timeout: 5000 });

  // Reloading the writer lets its lock go: the follower, queued first, takes over, and the
  // reloaded tab follows. Both tabs did their thing: the first's saves are all there.
  await reopen(writer);
  assert.equal(writer.opened.isWriter, false);
  await assertShop(writer, { A1: 'confirmed', A2: 'awaiting_confirmation', B1: 'NOT_FOUND' });
  await follower.waitForFunction(() => window.store.isWriter, null, { timeout: 5000 });
  assert.deepEqual(await statuses(follower), ['read-only', 'writer']);
  assert.deepEqual((await apply(follower, [importOrder('B1', 'SKU-9')])).saved, ['ok']);
  await writer.waitForFunction(() => window.query({ cmd: 'stats', at: 1 }).result.orders === 3, null, { timeout: 5000 });

  // Closing the tab that writes now hands the lock back to the first.
  await follower.close();
  await writer.waitForFunction(() => window.store.isWriter, null, { timeout: 5000 });
  assert.deepEqual((await apply(writer, [checkLine('A2')])).saved, ['ok']);
  await reopen(writer);
  assert.equal(writer.opened.isWriter, true);
  await assertShop(writer, { A1: 'confirmed', A2: 'awaiting_confirmation', B1: 'awaiting_confirmation' });
  const a2 = await query(writer, { cmd: 'order.get', at: AT + HOUR, order_id: 'A2' });
  assert.equal(a2.result.lines[0].check, 'ok');
  assert.deepEqual([...writer.errors, ...follower.errors], []);
});

// Makes the page's next readwrite transactions fail: 'abort' aborts them (what a full disk
// does); 'hang' hands back a transaction that never finishes (what 3.1.6's IDBFS turned an
// abort into).
function breakIndexedDb() {
  const real = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    if (mode !== 'readwrite' || !window.failMode) return real.call(this, stores, mode, options);
    if (window.failMode === 'abort') {
      const tx = real.call(this, stores, mode, options);
      queueMicrotask(() => tx.abort());
      return tx;
    }
    const request = () => ({});
    return { objectStore: () => ({ put: request, delete: request, get: request }), abort() {} };
  };
}

test('store: a failing IndexedDB rejects `saved` and says save-failed, then recovers', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context, { syncTimeoutMs: 1500 });
  assert.deepEqual((await apply(page, SHOP.slice(0, 1))).saved, ['ok']);
  await page.evaluate(breakIndexedDb);

  await page.evaluate(() => (window.failMode = 'abort'));
  let started = Date.now();
  assert.deepEqual((await apply(page, SHOP.slice(1, 2))).saved, ['SYNC_ABORTED']);
  assert.ok(Date.now() - started < 1500, 'an abort is reported at once, not by the timeout');
  assert.equal((await statuses(page)).at(-1), 'save-failed:SYNC_ABORTED');

  await page.evaluate(() => (window.failMode = 'hang'));
  started = Date.now();
  assert.deepEqual((await apply(page, SHOP.slice(2, 3))).saved, ['SYNC_TIMEOUT']);
  const waited = Date.now() - started;
  assert.ok(waited >= 1400 && waited < 5000, `timed out after ${waited} ms`);
  assert.equal((await statuses(page)).at(-1), 'save-failed:SYNC_TIMEOUT');

  await page.evaluate(() => (window.failMode = null));
  assert.deepEqual((await apply(page, SHOP.slice(3))).saved, ['ok']);
  assert.equal((await statuses(page)).at(-1), 'saved');
  await reopen(page); // the failed saves' changes went with the next good one
  await assertShop(page, { A1: 'confirmed', A2: 'awaiting_confirmation' });
  assert.deepEqual(page.errors, []);
});

// Headless Chromium keeps every page 'visible' (tried: minimizing the window through CDP
// Browser.setWindowBounds, Page.setWebLifecycleState frozen/active, a second tab in front: no
// visibilitychange, no freeze). So the page is hidden the way the browser tells it: the
// document's visibilityState becomes 'hidden' and 'visibilitychange' is fired at the document,
// which is exactly what the store listens to and reads.
function hidePage() {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  const before = window.statuses.length;
  document.dispatchEvent(new Event('visibilitychange'));
  return new Promise((resolve) => setTimeout(() => resolve(window.statuses.slice(before)), 0));
}

test('store: going hidden saves what was not saved at once; a command issued right before navigating away is there after coming back', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context, { syncTimeoutMs: 3000 });
  assert.deepEqual((await apply(page, SHOP.slice(0, 1))).saved, ['ok']);
  // Changes this tab holds and no save is on its way for: their save failed, nothing retries it.
  await page.evaluate(breakIndexedDb);
  await page.evaluate(() => (window.failMode = 'abort'));
  assert.deepEqual((await apply(page, SHOP.slice(1))).saved, ['SYNC_ABORTED', 'SYNC_ABORTED', 'SYNC_ABORTED']);
  await page.evaluate(() => (window.failMode = null));
  await page.waitForTimeout(200);
  assert.equal((await statuses(page)).at(-1), 'save-failed:SYNC_ABORTED', 'nothing saves on its own');

  // Hidden: a save starts before any timer could run, and completes.
  assert.deepEqual(await page.evaluate(hidePage), ['saving']);
  await page.waitForFunction(() => window.statuses.at(-1) === 'saved', null, { timeout: 5000 });
  await reopen(page);
  await assertShop(page, { A1: 'confirmed', A2: 'awaiting_confirmation' });

  // Navigating away right after a command, in the same task (no wait for `saved`): its save has
  // already put everything in its transaction before the page goes, and Chromium commits it.
  // What is NOT promised: changes whose save failed earlier are also flushed on 'pagehide', but
  // that save opens a new IndexedDB connection (a failed one drops it) and the page is gone
  // before it opens: those changes are lost, and the seller was told 'save-failed', not 'saved'.
  await page.evaluate((r) => {
    window.store.exec(r);
    location.href = '/tests/browser/store.html?away';
  }, checkLine('A2'));
  await page.waitForURL('**/store.html?away');
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate(() => window.openTestStore());
  assert.equal(page.opened.isWriter, true);
  const a2 = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: 'A2' });
  assert.equal(a2.result.lines[0].check, 'ok');
  assert.deepEqual(page.errors, []);
});

// Counts, in a page, the messages the writer announces on the store's BroadcastChannel.
function listenToWriter() {
  window.announced = [];
  const channel = new BroadcastChannel('packdesk:default');
  channel.onmessage = (e) => window.announced.push(e.data?.type);
}

test('store: a writer with nothing to save says nothing when the page hides, so followers do not reload', async (t) => {
  const context = await launch(t, await profile(t));
  const writer = await openPage(context);
  const follower = await openPage(context);
  await follower.evaluate(listenToWriter);
  assert.deepEqual((await apply(writer, SHOP)).saved, ['ok', 'ok', 'ok', 'ok']);
  await follower.waitForFunction(() => window.announced.length === 1, null, { timeout: 5000 });
  const before = await statuses(writer);
  assert.deepEqual(before, ['writer', 'saving', 'saved']);

  // Hidden, then gone (pagehide): everything is saved, so no save, no status, no announcement.
  assert.deepEqual(await writer.evaluate(hidePage), []);
  await writer.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  assert.deepEqual(await writer.evaluate(() => window.store.flush().then(() => window.statuses)), before);

  // A change after it is announced: the follower's next message is that one (a channel keeps a
  // sender's order, so an announcement on hide would have come first).
  assert.deepEqual((await apply(writer, [checkLine('A2')])).saved, ['ok']);
  await follower.waitForFunction(() => window.announced.length === 2, null, { timeout: 5000 });
  assert.deepEqual(await follower.evaluate(() => window.announced), ['saved', 'saved']);
  assert.deepEqual((await statuses(writer)).slice(before.length), ['saving', 'saved']);
  assert.deepEqual([...writer.errors, ...follower.errors], []);
});

test('store: while a change is not in IndexedDB (saving, or its save failed), leaving the page asks first', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context, { syncTimeoutMs: 2000 });
  assert.deepEqual((await apply(page, SHOP.slice(0, 1))).saved, ['ok']);
  await page.mouse.click(10, 10); // Chromium asks only on a page the user has interacted with
  const dialogs = [];
  let stay = true;
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    return stay ? d.dismiss() : d.accept(); // dismiss: stay on the page
  });
  // Leaves by the page's own navigation; resolves once the browser has asked, or has left.
  const leave = (away) => page.evaluate((url) => {
    location.href = url;
  }, `/tests/browser/store.html?${away}`);

  // Everything saved: leaving asks nothing (a page that is fine is left at once).
  await page.evaluate(breakIndexedDb);
  stay = false;
  await Promise.all([page.waitForURL('**/store.html?saved'), leave('saved')]);
  assert.deepEqual(dialogs, []);
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate((o) => window.openTestStore(o), { syncTimeoutMs: 2000 });
  await page.mouse.click(10, 10);
  await page.evaluate(breakIndexedDb);
  stay = true;

  // A save under way (IndexedDB does not answer): asked, and the seller stays. The question
  // also retries the save (here it fails: IndexedDB now aborts).
  const asked = () => page.waitForEvent('dialog');
  await page.evaluate(() => (window.failMode = 'hang'));
  const pending = page.evaluate((r) => window.apply(r), SHOP.slice(1, 2));
  await page.waitForFunction(() => window.statuses.at(-1) === 'saving');
  const n = (await statuses(page)).length;
  await Promise.all([asked(), leave('saving')]);
  await page.evaluate(() => (window.failMode = 'abort'));
  assert.deepEqual(dialogs, ['beforeunload']);
  assert.deepEqual((await pending).saved, ['SYNC_TIMEOUT']);
  await page.waitForFunction((k) => window.statuses.length === k + 3, n, { timeout: 10000 });
  assert.deepEqual((await statuses(page)).slice(n), ['save-failed:SYNC_TIMEOUT', 'saving', 'save-failed:SYNC_ABORTED']);
  assert.match(page.url(), /store\.html\?saved$/, 'still on the page');

  // Its save failed, nothing under way: asked again.
  await Promise.all([asked(), leave('failed')]);
  assert.deepEqual(dialogs, ['beforeunload', 'beforeunload']);
  await page.waitForFunction((k) => window.statuses.length === k + 5, n, { timeout: 10000 });
  assert.match(page.url(), /store\.html\?saved$/);

  // Saved at last: leaving asks nothing, and what was kept is there.
  await page.evaluate(() => (window.failMode = null));
  await page.evaluate(() => window.store.flush());
  assert.equal((await statuses(page)).at(-1), 'saved');
  stay = false;
  await Promise.all([page.waitForURL('**/store.html?done'), leave('done')]);
  assert.deepEqual(dialogs, ['beforeunload', 'beforeunload']);
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate(() => window.openTestStore());
  await assertShop(page, { A1: 'awaiting_confirmation', A2: 'awaiting_confirmation' });
  assert.deepEqual(page.errors, []);
});

test('store: a tab taking over whose load fails stays read-only with the error, retries, and becomes the writer', async (t) => {
  const context = await launch(t, await profile(t));
  const writer = await openPage(context);
  const follower = await openPage(context);
  assert.equal(follower.opened.isWriter, false);
  assert.deepEqual((await apply(writer, SHOP)).saved, ['ok', 'ok', 'ok', 'ok']);
  await follower.waitForFunction(() => window.query({ cmd: 'stats', at: 1 }).result.orders === 2, null, { timeout: 5000 });

  // The follower's next load (a readonly transaction) aborts, once.
  await follower.evaluate(() => {
    const real = IDBDatabase.prototype.transaction;
    window.loadFailures = 1;
    IDBDatabase.prototype.transaction = function (stores, mode, options) {
      const tx = real.call(this, stores, mode, options);
      if (mode !== 'readwrite' && window.loadFailures > 0) {
        window.loadFailures--;
        queueMicrotask(() => tx.abort());
      }
      return tx;
    };
  });
  // The writer's tab crashes (as when it is killed): no pagehide flush, so no 'saved' broadcast
  // and no follower refresh, only the lock coming free. The load that fails is the takeover's.
  const crashed = writer.waitForEvent('crash');
  (await context.newCDPSession(writer)).send('Page.crash').catch(() => {});
  await crashed;
  await follower.waitForFunction(() => window.store.isWriter, null, { timeout: 5000 });
  assert.deepEqual(await statuses(follower), ['read-only', 'read-only:LOAD_FAILED', 'writer']);
  assert.equal(await follower.evaluate(() => window.loadFailures), 0);
  assert.deepEqual((await apply(follower, [importOrder('B1', 'SKU-9')])).saved, ['ok']);
  await reopen(follower);
  assert.equal(follower.opened.isWriter, true);
  await assertShop(follower, { A1: 'confirmed', A2: 'awaiting_confirmation', B1: 'awaiting_confirmation' });
  assert.deepEqual(follower.errors, []);
});

// Flips one byte inside the first journal record, straight in IndexedDB (IDBFS's database is
// named after the mount point), with later records after it: damage, not a torn tail.
function damageJournal() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('/packdesk/default');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['FILE_DATA'], 'readwrite');
      const files = tx.objectStore('FILE_DATA');
      files.getAllKeys().onsuccess = (e) => {
        const key = e.target.result.find((k) => /journal-\d+\.pdj$/.test(k));
        files.get(key).onsuccess = (g) => {
          const entry = g.target.result;
          entry.contents = entry.contents.slice();
          entry.contents[40] ^= 0x20; // in the first record's payload (its header is 20 bytes)
          files.put(entry, key);
        };
      };
      tx.oncomplete = () => {
        open.result.close();
        resolve();
      };
      tx.onabort = () => reject(tx.error);
    };
  });
}

test('store: a damaged journal opens read-only and says so', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context);
  assert.deepEqual((await apply(page, SHOP)).saved, ['ok', 'ok', 'ok', 'ok']);
  await page.evaluate(() => window.store.close());
  await page.evaluate(damageJournal);

  await reopen(page);
  assert.equal(page.opened.isWriter, false);
  assert.equal(page.opened.report.damaged, true);
  assert.match(page.opened.report.message, /journal-\d+\.pdj/);
  assert.equal(page.opened.status, 'read-only');
  assert.deepEqual(await statuses(page), ['read-only:DAMAGED']);
  const refused = await apply(page, [importOrder('B1', 'SKU-9')]);
  assert.equal(refused.responses[0].error.code, 'STORAGE');
  assert.deepEqual(page.errors, []);
});

test('store: the wasm reaches the file system only through the FS calls fs-changes.mjs tracks', () => {
  // fs-changes.mjs wraps FS.mknod/write/truncate/rename/unlink/rmdir/chmod/utime. A syscall that
  // changes files some other way (mmap + msync writes through MEMFS, bypassing FS.write) would
  // make saves miss changes: a new import here must be looked at there first.
  const wasm = new WebAssembly.Module(readFileSync(new URL('../build/wasm/packdesk.wasm', import.meta.url)));
  const fsImports = WebAssembly.Module.imports(wasm).map((i) => i.name).filter((n) => /^(__syscall_|fd_)/.test(n)).sort();
  assert.deepEqual(fsImports, ['__syscall_faccessat', '__syscall_fstat64', '__syscall_fstatat64', '__syscall_ftruncate64',
    '__syscall_getdents64', '__syscall_mkdir', '__syscall_open', '__syscall_rename', '__syscall_stat64', '__syscall_unlink',
    'fd_close', 'fd_read', 'fd_sync', 'fd_write']);
});

// Logs, per readwrite transaction of the page, the keys it put (with bytes) and deleted, and
// counts every request that lists a store or an index (a save must make none).
function logIndexedDb() {
  window.txLog = [];
  window.listings = 0;
  const realTx = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    const tx = realTx.call(this, stores, mode, options);
    if (mode === 'readwrite') window.txLog.push((tx.log = { puts: {}, dels: [] }));
    return tx;
  };
  const { put, delete: del, getAll, getAllKeys, openCursor, openKeyCursor } = IDBObjectStore.prototype;
  IDBObjectStore.prototype.put = function (value, key) {
    if (this.transaction.log) this.transaction.log.puts[key] = value.contents?.byteLength ?? 0;
    return put.call(this, value, key);
  };
  IDBObjectStore.prototype.delete = function (key) {
    this.transaction.log?.dels.push(key instanceof IDBKeyRange ? `range:${key.lower}` : key);
    return del.call(this, key);
  };
  for (const [proto, fns] of [[IDBObjectStore.prototype, { getAll, getAllKeys, openCursor, openKeyCursor }],
    [IDBIndex.prototype, IDBIndex.prototype]]) {
    for (const name of ['getAll', 'getAllKeys', 'openCursor', 'openKeyCursor']) {
      const real = fns[name];
      proto[name] = function (...args) {
        window.listings++;
        return real.apply(this, args);
      };
    }
  }
}

test('store: a save writes what changed (a journal block, no listing), and after a failed save the next writes what it did not', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await openPage(context, { syncTimeoutMs: 3000 });
  await page.evaluate(logIndexedDb);
  await page.evaluate(breakIndexedDb);
  assert.ok((await apply(page, [...SHOP, ...imports(400)])).saved.every((s) => s === 'ok'));
  const txs = async () => page.evaluate(() => window.txLog.splice(0));
  await txs();

  // One command on a shop with a 130 KiB journal segment: its last block and its record, nothing
  // listed, nothing else written.
  const listed = await page.evaluate(() => window.listings);
  assert.deepEqual((await apply(page, [checkLine('A2')])).saved, ['ok']);
  const [small] = await txs();
  const keys = Object.keys(small.puts).map((k) => k.replace('/packdesk/default/', '')).sort();
  assert.equal(keys.length, 2, JSON.stringify(keys));
  assert.match(keys[0], /^journal-\d+\.pdj$/);
  assert.match(keys[1], /^journal-\d+\.pdj\0\d{6}$/);
  assert.ok(small.puts[`/packdesk/default/${keys[1]}`] <= 64 * 1024, 'one block of the segment, not all of it');
  assert.deepEqual(small.dels, []);
  assert.equal(await page.evaluate(() => window.listings), listed, 'a save lists neither the mount nor IndexedDB');

  // A burst that crosses a checkpoint (new pages, shop, manifest; the old segment deleted) fails.
  await page.evaluate(() => (window.failMode = 'abort'));
  const failed = await apply(page, imports(800, 400));
  assert.ok(failed.saved.every((s) => s === 'SYNC_ABORTED'), JSON.stringify([...new Set(failed.saved)]));
  const [lost] = await txs();
  const lostPuts = Object.keys(lost.puts);
  assert.ok(lostPuts.some((k) => k.endsWith('/manifest.pds')) && lostPuts.some((k) => /\/orders-\d+-\d+\.pds$/.test(k)),
    `the failed save had a checkpoint: ${lostPuts.join(' ')}`);
  assert.ok(lost.dels.some((k) => /journal-\d+\.pdj$/.test(k)), 'and deleted the segment it replaced');

  // The next save, for one small command, writes all of that as well as its own change.
  await page.evaluate(() => (window.failMode = null));
  assert.deepEqual((await apply(page, [checkLine('B0')])).saved, ['ok']);
  const [next] = await txs();
  const missing = lostPuts.filter((k) => !(k in next.puts) && !/\0/.test(k)); // blocks: see below
  assert.deepEqual(missing, [], 'every file the failed save meant to write');
  for (const k of lostPuts.filter((key) => /\0/.test(key))) assert.ok(k in next.puts, `block ${k}`);
  for (const k of lost.dels) assert.ok(next.dels.includes(k), `delete ${k}`);

  // And what IndexedDB now has is the whole shop.
  await reopen(page);
  assert.equal(page.opened.isWriter, true);
  assert.equal(page.opened.report.damaged, false);
  assert.equal(page.opened.report.orders, 1202);
  for (const [id, stage] of Object.entries({ A1: 'confirmed', B0: 'awaiting_confirmation', B1199: 'awaiting_confirmation' })) {
    assert.equal(await stageOf(page, id), stage, `order ${id}`);
  }
  const b0 = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: 'B0' });
  assert.equal(b0.result.lines[0].check, 'ok');
  assert.deepEqual(page.errors, []);
});

// Writes a store the way the code before this change did: Emscripten's own IDBFS and syncfs,
// one record per file whatever its size (a second module, its reconcile untouched).
async function writeWithIdbfs(requests) {
  const { default: factory } = await import('/build/wasm/packdesk.mjs');
  const M = await factory({ locateFile: (p) => `/build/wasm/${p}` });
  const dir = '/packdesk/default';
  M.FS.mkdirTree(dir);
  M.FS.mount(M.IDBFS, {}, dir);
  const str = (text) => {
    const len = M.lengthBytesUTF8(text);
    const ptr = M._malloc(len + 1);
    M.stringToUTF8(text, ptr, len + 1);
    return { ptr, len };
  };
  const path = str(dir);
  const rep = M._malloc(368);
  const st = M._pd_store_open(path.ptr, 0, rep);
  if (!st) throw new Error('pd_store_open failed');
  for (const request of requests) {
    const req = str(JSON.stringify(request));
    const out = M._pd_store_exec(st, req.ptr, req.len);
    const answer = JSON.parse(M.UTF8ToString(out));
    M._pd_string_free(out);
    M._free(req.ptr);
    if (!answer.ok) throw new Error(JSON.stringify(answer));
  }
  M._pd_store_close(st);
  await new Promise((resolve, reject) => M.FS.syncfs(false, (err) => (err ? reject(err) : resolve())));
  M.IDBFS.dbs[dir].close();
}

// How IndexedDB holds one file: its record without the contents, and the size of the contents.
function recordOf(name) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('/packdesk/default');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['FILE_DATA']);
      const files = tx.objectStore('FILE_DATA');
      files.getAllKeys().onsuccess = (e) => {
        const key = e.target.result.find((k) => new RegExp(name).test(k));
        files.get(key).onsuccess = (g) => {
          const { contents, timestamp, ...rest } = g.target.result;
          resolve({ key, ...rest, bytes: contents?.byteLength });
          open.result.close();
        };
      };
    };
  });
}

test('store: a store written by Emscripten\'s IDBFS (one record a file) loads, and saves on', async (t) => {
  const context = await launch(t, await profile(t));
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await page.waitForFunction(() => window.pageReady);
  await page.evaluate(writeWithIdbfs, [...SHOP, ...imports(300)]);
  const before = await page.evaluate(recordOf, 'journal-\\d+\\.pdj$');
  assert.ok(before.bytes > 64 * 1024 && before.blocks === undefined, JSON.stringify(before)); // one big record

  page.opened = await page.evaluate(() => window.openTestStore());
  assert.equal(page.opened.isWriter, true);
  assert.equal(page.opened.report.orders, 302);
  assert.equal(await stageOf(page, 'A1'), 'confirmed');
  assert.equal(await stageOf(page, 'B299'), 'awaiting_confirmation');

  assert.deepEqual((await apply(page, [checkLine('A2'), ...imports(2, 300)])).saved, ['ok', 'ok', 'ok']);
  const after = await page.evaluate(recordOf, 'journal-\\d+\\.pdj$');
  assert.equal(after.key, before.key);
  assert.ok(after.blocks > 1 && after.bytes === undefined, JSON.stringify(after)); // now in blocks
  await reopen(page);
  assert.equal(page.opened.report.orders, 304);
  assert.equal(await stageOf(page, 'A1'), 'confirmed');
  assert.equal(await stageOf(page, 'B301'), 'awaiting_confirmation');
  const a2 = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: 'A2' });
  assert.equal(a2.result.lines[0].check, 'ok');
  assert.deepEqual(page.errors, []);
});
