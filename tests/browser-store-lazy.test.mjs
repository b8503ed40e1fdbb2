// browser-store-lazy.test.mjs: a store opened with lazyBodies (wasm/packdesk-store.mjs) reads an
// order page's bodies from IndexedDB only when a command needs one of them (idbfs-sync.mjs's
// loadWanted, lazy-file.mjs's NOT_LOADED, the core's NOT_LOADED answer and pd_store_resume):
// - an open whose journal tail touches orders of pages not loaded reads their bodies with the
//   rest of its read (the core's tail-pages names them), so its replay waits for nothing; without
//   that file (a store saved before it) the replay waits for them and goes on; both open the shop
//   an eager open opens;
// - exec() of a command on an order not loaded answers NOT_LOADED and changes nothing, not even
//   its op; run() loads what it needs and applies it, once;
// - a checkpoint that rewrites a page not loaded (an import added an order to it) loads it first;
// - a follower takes on each of the writer's saves (pd_store_follow), loading the bodies they
//   need, and opens again only after the writer checkpointed.
// In headless Chromium on real IndexedDB, each test on a fresh profile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchFresh, serveRepo } from './lib/browser.mjs';
import { AT, importOrder } from './lib/orders.mjs';

const HOUR = 3600000;
// 2,500 orders: three pages of the snapshot (1,024 orders a page). The first ~100 bodies of a page
// lie in its head, which every open reads; the orders picked below lie past it.
const ORDERS = 2500;
const imports = (n, from) => Array.from({ length: n }, (_, i) => importOrder(`O${from + i}`));
const check = (id, op) => ({ cmd: 'line.check', at: AT + HOUR, order_id: id, line_id: 'L1', result: 'ok', ...(op ? { op } : {}) });
const get = (id) => ({ cmd: 'order.get', at: AT + HOUR, order_id: id });

let server;
before(async () => {
  server = await serveRepo();
});
after(() => server.close());

async function openPage(context, options) {
  const page = await context.newPage();
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await page.waitForFunction(() => window.pageReady);
  page.opened = await page.evaluate((o) => window.openTestStore(o), options);
  return page;
}

// A shop of ORDERS orders, all in the snapshot (close() checkpoints: an idle checkpoint is due),
// then `tail` more commands left in the journal (a page closed with no checkpoint due).
async function shopWithTail(context, tail = []) {
  const page = await openPage(context, { idleCheckpointMs: 60000 });
  for (let from = 0; from < ORDERS; from += 500) {
    const run = await page.evaluate((r) => window.apply(r), imports(Math.min(500, ORDERS - from), from));
    assert.ok(run.responses.every((r) => r.ok) && run.saved.every((s) => s === 'ok'));
  }
  await page.evaluate(() => window.store.close());
  await page.close();
  const last = await openPage(context, { idleCheckpointMs: null });
  assert.equal(last.opened.report.replayed, 0);
  if (tail.length) {
    const run = await last.evaluate((r) => window.apply(r), tail);
    assert.ok(run.responses.every((r) => r.ok) && run.saved.every((s) => s === 'ok'), JSON.stringify(run.responses[0]));
  }
  await last.close();
}

const reads = (page, requests) => page.evaluate((rs) => Promise.all(rs.map(async (r) => (await window.store.run(r)).response)), requests);

// Removes the store's tail-pages record from IndexedDB (the database IDBFS names after the mount).
const dropTailPages = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('/packdesk/default');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction('FILE_DATA', 'readwrite');
    const del = tx.objectStore('FILE_DATA').delete('/packdesk/default/tail-pages');
    tx.oncomplete = () => (open.result.close(), resolve(del.result));
    tx.onabort = () => reject(tx.error);
  };
}));

test('store lazy: an open whose journal tail needs bodies not loaded reads them with its read (tail-pages), or loads them as its replay asks, and opens the shop an eager open does', async (t) => {
  const context = await launchFresh(t);
  // Orders of all three pages checked in the journal's tail, past each page's head.
  const touched = ['O400', 'O1500', 'O2300', 'O900'];
  await shopWithTail(context, touched.map((id) => check(id)));
  const opens = [];
  for (const hint of [true, false]) {
    const lazy = await openPage(context, { lazyBodies: true, idleCheckpointMs: null });
    assert.equal(lazy.opened.isWriter, true);
    assert.equal(lazy.opened.report.damaged, false, lazy.opened.report.message);
    assert.equal(lazy.opened.report.pending, false);
    assert.equal(lazy.opened.report.replayed, touched.length);
    // With the hint the replay waits for nothing; without it, for one load: the replay's first
    // stop asks for the pages of the whole tail at once (core/store.c's read-ahead).
    assert.equal(lazy.opened.report.bodyLoads, hint ? 0 : 1, `hint ${hint}`);
    opens.push(await reads(lazy, [...touched.map(get), get('O700'), { cmd: 'stats', at: AT + HOUR }]));
    await lazy.evaluate(() => window.store.close());
    if (hint) await dropTailPages(lazy);
    await lazy.close();
  }
  assert.deepEqual(opens[1], opens[0]);
  const [lazyReads] = opens;
  const replayed = touched.length;

  const eager = await openPage(context, { idleCheckpointMs: null });
  assert.equal(eager.opened.report.replayed, replayed);
  const eagerReads = await reads(eager, [...touched.map(get), get('O700'), { cmd: 'stats', at: AT + HOUR }]);
  assert.deepEqual(lazyReads, eagerReads);
  for (const r of lazyReads.slice(0, touched.length)) assert.equal(r.result.lines[0].check, 'ok');
  assert.equal(lazyReads.at(-1).result.orders, ORDERS);
});

test('store lazy: exec of a command on a body not loaded answers NOT_LOADED and changes nothing; run() loads it and applies it once', async (t) => {
  const context = await launchFresh(t);
  await shopWithTail(context);
  const page = await openPage(context, { lazyBodies: true, idleCheckpointMs: null });

  const first = await page.evaluate((r) => {
    window.statuses.length = 0;
    const { response } = window.store.exec(r);
    return { response, statuses: [...window.statuses] };
  }, check('O600', 'lazy-1'));
  assert.equal(first.response.ok, false);
  assert.equal(first.response.error.code, 'NOT_LOADED');
  assert.match(first.response.error.message, /O600.*not loaded yet/);
  assert.deepEqual(first.statuses, [], 'nothing changed, so nothing is saved');

  // The same op, through run(): applied now (the NOT_LOADED answer was not kept for it), and a
  // retry of it is answered as it was, not applied again.
  const applied = await page.evaluate(async (r) => {
    const once = await window.store.run(r);
    await once.saved;
    return [once.response, (await window.store.run(r)).response];
  }, check('O600', 'lazy-1'));
  assert.equal(applied[0].ok, true, JSON.stringify(applied[0]));
  assert.deepEqual(applied[1], applied[0]);
  const order = (await reads(page, [get('O600')]))[0];
  assert.equal(order.result.lines[0].check, 'ok');

  // A query too, on another page; and the loaded page answers exec() at once from now on.
  assert.equal(await page.evaluate((r) => window.store.exec(r).response.error?.code, get('O1800')), 'NOT_LOADED');
  assert.equal((await reads(page, [get('O1800')]))[0].result.id, 'O1800');
  assert.equal(await page.evaluate((r) => window.store.exec(r).response.ok, get('O1900')), true);

  // lazyBodies is true or false.
  for (const bad of ['yes', 1, null]) {
    const code = await page.evaluate((v) => window.openTestStore({ lazyBodies: v }).then(() => 'opened', (e) => e.code), bad);
    assert.equal(code, 'BAD_OPTION', String(bad));
  }
});

test('store lazy: a checkpoint that rewrites a page whose bodies are not loaded loads them first', async (t) => {
  const context = await launchFresh(t);
  await shopWithTail(context);
  // New orders land on the last page, whose bodies this open never read: the idle checkpoint
  // rewrites that page whole.
  const page = await openPage(context, { lazyBodies: true, idleCheckpointMs: 100 });
  await page.evaluate(() => {
    window.checkpoints = [];
    window.store.addEventListener('checkpoint', (e) => window.checkpoints.push(e.detail.error?.message ?? 'ok'));
  });
  const run = await page.evaluate((r) => window.apply(r), imports(80, ORDERS));
  assert.ok(run.responses.every((r) => r.ok) && run.saved.every((s) => s === 'ok'));
  await page.waitForFunction(() => window.checkpoints.length > 0, null, { timeout: 10000 });
  assert.deepEqual(await page.evaluate(() => window.checkpoints), ['ok']);
  await page.evaluate(() => window.store.close());
  await page.close();

  const again = await openPage(context, { lazyBodies: true, idleCheckpointMs: null });
  assert.equal(again.opened.report.replayed, 0);
  assert.equal(again.opened.report.orders, ORDERS + 80);
  const [last, old] = await reads(again, [get(`O${ORDERS + 79}`), get('O2400')]);
  assert.equal(last.result.id, `O${ORDERS + 79}`);
  assert.equal(old.result.id, 'O2400');
});

test('store lazy: a follower takes on each save of the writer without opening again, loading the bodies its new records need; after a checkpoint it opens again', async (t) => {
  const context = await launchFresh(t);
  await shopWithTail(context);
  // The writer checkpoints once idle for 300 ms with 64 records or more in its tail.
  const writer = await openPage(context, { lazyBodies: true, idleCheckpointMs: 300 });
  const follower = await openPage(context, { lazyBodies: true, idleCheckpointMs: null });
  assert.deepEqual([writer.opened.isWriter, follower.opened.isWriter], [true, false]);
  const snapshotSeq = follower.opened.report.snapshotSeq;
  const save = (requests) => writer.evaluate(async (rs) => {
    const out = [];
    for (const r of rs) {
      const run = await window.store.run(r); // loads what it needs: the writer is lazy too
      await run.saved;
      out.push(run.response.ok);
    }
    return out;
  }, requests);
  const followed = (n) => follower.waitForFunction((k) => (window.store.report.followed ?? 0) >= k, n, { timeout: 10000 });
  // What the follower's shop answers, without loading anything: a body its follow needed is in.
  const asFollowerHas = (requests) => follower.evaluate((rs) => rs.map((r) => window.store.exec(r).response), requests);

  // A line checked on an order past its page's head, which the follower never read (asking it
  // of the follower would load its page: another page's order shows it lazy).
  assert.equal((await asFollowerHas([get('O700')]))[0].error?.code, 'NOT_LOADED');
  assert.deepEqual(await save([check('O1500')]), [true]);
  await followed(1);
  const [o1500] = await asFollowerHas([get('O1500')]);
  assert.equal(o1500.result?.lines[0].check, 'ok', JSON.stringify(o1500.error));
  const first = await follower.evaluate(() => window.store.report);
  assert.equal(first.snapshotSeq, snapshotSeq, 'the same snapshot, not a new open');
  assert.ok(first.bodyLoads >= 1, `the follow loaded the body its record needed: ${JSON.stringify(first)}`);
  assert.equal(first.replayed, 1);

  // New orders and another page's order: one save each, each taken on.
  assert.deepEqual(await save([...imports(3, ORDERS), check('O2300')]), [true, true, true, true]);
  await follower.waitForFunction(() => window.store.exec({ cmd: 'stats', at: 1764234000000 }).response.result.orders === 2503, null, { timeout: 10000 });
  await follower.waitForFunction(() => window.store.report.replayed === 5, null, { timeout: 10000 });
  const same = [get('O1500'), get('O2300'), get(`O${ORDERS + 2}`), { cmd: 'stats', at: AT + HOUR }];
  assert.deepEqual(await reads(follower, same), await reads(writer, same));
  assert.equal((await follower.evaluate(() => window.store.report)).snapshotSeq, snapshotSeq);

  // 70 imports: the writer, idle, checkpoints; the follower opens again on the new snapshot.
  assert.ok((await save(imports(70, ORDERS + 3))).every(Boolean));
  await follower.waitForFunction((seq) => window.store.report.snapshotSeq > seq && window.store.report.followed === undefined,
    snapshotSeq, { timeout: 10000 });
  assert.deepEqual(await reads(follower, same), await reads(writer, same));
  assert.equal((await reads(follower, [{ cmd: 'stats', at: AT + HOUR }]))[0].result.orders, ORDERS + 73);
});
