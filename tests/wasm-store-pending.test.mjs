// wasm-store-pending.test.mjs: a store whose journal replay waits for an order body not loaded
// (pd_store_open's report.pending), driven through the wasm core's exports in Node with a page
// of orders made a lazy file (wasm/lazy-file.mjs) whose rest is not there yet. The browser store
// never hands such a store out (it resumes before it resolves), and natively nothing answers
// EAGAIN, so this is where the refusal of a pending store is seen: every command answers
// NOT_LOADED and changes nothing (not the shop, not the journal) until pd_store_resume has
// replayed the rest, which then opens the shop an eager open opens. A follower's follow
// (pd_store_follow) that meets such a record stops before it instead, and is not left pending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCoreModule } from '../wasm/packdesk-core.mjs';
import { NOT_LOADED, lazyFile } from '../wasm/lazy-file.mjs';
import { exec, follow, open, resume } from './lib/wasm-store.mjs';

const AT = 1764230400000;
const ORDERS = 1100; // two pages of orders (1,024 a page)
const HEAD = 64 * 1024; // what IndexedDB keeps of a page's file at open (idbfs-sync.mjs's SPLIT)

const journalBytes = (M, dir) => M.FS.readdir(dir).filter((f) => f.startsWith('journal-'))
  .reduce((n, f) => n + M.FS.stat(`${dir}/${f}`).size, 0);

// A store of `orders` orders, checkpointed, then a journal tail that checks a line of each
// order of `tail` (W1000: its body lies past the first 64 KiB of page 0's file, the bodies
// following ~36 KB of summaries).
function makeStore(M, dir, orders = ORDERS, tail = ['W1000']) {
  M.FS.mkdir(dir);
  const { st } = open(M, dir);
  assert.ok(st);
  for (let i = 0; i < orders; i++) {
    const r = exec(M, st, { cmd: 'order.import', at: AT + i, order: { id: `W${i}`, placed_at: AT + i, paid_at: AT + i,
      currency: 'VND', lines: [{ id: 'L1', sku: 'SKU-1', name: 'Product', quantity: 1, unit_price: 1000 }] } });
    assert.equal(r.ok, true);
  }
  assert.equal(M._pd_store_checkpoint(st), 0);
  tail.forEach((id, i) => {
    const checked = exec(M, st, { cmd: 'line.check', at: AT + orders, op: `tail-${i + 1}`, order_id: id, line_id: 'L1', result: 'ok' });
    assert.equal(checked.ok, true);
  });
  M._pd_store_close(st);
}

// Makes dir's order page `page` a lazy file: its head now, its rest only once `loaded()` says so.
function lazyPage(M, dir, loaded, page = 0) {
  const name = M.FS.readdir(dir).find((f) => f.startsWith(`orders-${page}-`));
  const path = `${dir}/${name}`;
  const bytes = M.FS.readFile(path);
  assert.ok(bytes.length > HEAD, 'page 0 is bigger than its head');
  const { mode, mtime } = M.FS.stat(path);
  M.FS.unlink(path);
  const asked = { count: 0 };
  lazyFile(M.FS, M.FS.lookupPath(dir).node, name, { mode, mtime: mtime.getTime(), size: bytes.length,
    head: bytes.slice(0, HEAD), readRest: () => (asked.count++, loaded() ? bytes.slice(HEAD) : NOT_LOADED) });
  return asked;
}

test('wasm store: a replay waiting for a body leaves the store pending; every command answers NOT_LOADED and changes nothing until pd_store_resume', async () => {
  const M = await loadCoreModule();
  makeStore(M, '/eager');
  const eager = open(M, '/eager');
  assert.ok(eager.st && !eager.pending);
  const want = exec(M, eager.st, { cmd: 'order.get', at: AT + ORDERS + 1, order_id: 'W1000' });
  assert.equal(want.ok, true);
  M._pd_store_close(eager.st);

  makeStore(M, '/lazy');
  let loaded = false;
  const asked = lazyPage(M, '/lazy', () => loaded);
  const opened = open(M, '/lazy');
  assert.ok(opened.st, opened.message);
  assert.equal(opened.pending, true, 'the replay waits for the body of W1000');
  assert.equal(M._pd_store_pending(opened.st), 1);
  assert.ok(asked.count > 0, 'the replay asked for page 0\'s rest');

  // Pending: a query, a change and a retry of the tail's op all answer NOT_LOADED, and nothing
  // is written (the journal keeps its size; the order imported is not there once it opens).
  const journal = journalBytes(M, '/lazy');
  for (const request of [
    { cmd: 'stats', at: AT + ORDERS + 1 },
    { cmd: 'order.import', at: AT + ORDERS + 1, op: 'new-1', order: { id: 'NEW', placed_at: AT, paid_at: AT, currency: 'VND',
      lines: [{ id: 'L1', sku: 'SKU-1', name: 'Product', quantity: 1, unit_price: 1000 }] } },
    { cmd: 'line.check', at: AT + ORDERS, op: 'tail-1', order_id: 'W1000', line_id: 'L1', result: 'ok' },
  ]) {
    const r = exec(M, opened.st, request);
    assert.equal(r.ok, false, request.cmd);
    assert.equal(r.error.code, 'NOT_LOADED', request.cmd);
    assert.match(r.error.message, /still opening/);
  }
  assert.equal(journalBytes(M, '/lazy'), journal, 'a pending store journals nothing');

  // Still not loaded: resume answers pending again, and the store stays as it was.
  assert.equal(resume(M, opened.st).rc, 1);
  assert.equal(exec(M, opened.st, { cmd: 'stats', at: AT + ORDERS + 1 }).error.code, 'NOT_LOADED');

  loaded = true;
  const resumed = resume(M, opened.st);
  assert.equal(resumed.rc, 0, resumed.message);
  assert.equal(resumed.pending, false);
  assert.equal(M._pd_store_pending(opened.st), 0);
  assert.deepEqual(exec(M, opened.st, { cmd: 'order.get', at: AT + ORDERS + 1, order_id: 'W1000' }), want);
  assert.equal(exec(M, opened.st, { cmd: 'order.get', at: AT + ORDERS + 1, order_id: 'NEW' }).error.code, 'NOT_FOUND');
  assert.equal(exec(M, opened.st, { cmd: 'stats', at: AT + ORDERS + 1 }).result.orders, ORDERS);
  // The tail's op was applied once, by the replay: a retry answers as it did.
  const retry = exec(M, opened.st, { cmd: 'line.check', at: AT + ORDERS, op: 'tail-1', order_id: 'W1000', line_id: 'L1', result: 'ok' });
  assert.equal(retry.ok, true);
  assert.equal(journalBytes(M, '/lazy'), journal, 'a retry of an applied op journals nothing');
  M._pd_store_close(opened.st);
});

test('wasm store: a replay that waits for one page asks at once for every page the rest of its tail needs, so one load lets it finish', async () => {
  const M = await loadCoreModule();
  // Three pages of orders; the tail checks an order past the head of page 0, then of page 1.
  makeStore(M, '/ahead', 2100, ['W1000', 'W2000']);
  let loaded = false;
  const asked = [0, 1].map((page) => lazyPage(M, '/ahead', () => loaded, page));
  const opened = open(M, '/ahead');
  assert.ok(opened.st, opened.message);
  assert.equal(opened.pending, true);
  // The replay stopped at W1000 (page 0) and read ahead: page 1 is asked for too.
  assert.ok(asked[0].count > 0 && asked[1].count > 0, `pages asked for: ${asked.map((a) => a.count)}`);
  loaded = true;
  const resumed = resume(M, opened.st);
  assert.equal(resumed.rc, 0, resumed.message);
  for (const id of ['W1000', 'W2000']) {
    const order = exec(M, opened.st, { cmd: 'order.get', at: AT + 2101, order_id: id });
    assert.equal(order.result.lines[0].check, 'ok', id);
  }
  M._pd_store_close(opened.st);
});

test('wasm store: a follower whose follow needs a body not loaded stops before that record, is not left pending, and goes on once it is loaded', async () => {
  const M = await loadCoreModule();
  makeStore(M, '/follow', ORDERS, []);
  // The writer opened first keeps page 0's file open, whole; the follower then finds its rest
  // not loaded (lazyPage replaces the file under the same name).
  const writer = open(M, '/follow');
  assert.ok(writer.st && !writer.pending, writer.message);
  let loaded = false;
  const asked = lazyPage(M, '/follow', () => loaded);
  const follower = open(M, '/follow', 2); // PD_STORE_READ_ONLY
  assert.ok(follower.st && !follower.pending, follower.message);
  const at = AT + ORDERS + 1;
  const checked = exec(M, writer.st, { cmd: 'line.check', at, op: 'w-1', order_id: 'W1000', line_id: 'L1', result: 'ok' });
  assert.equal(checked.ok, true);
  const imported = exec(M, writer.st, { cmd: 'order.import', at, op: 'w-2', order: { id: 'NEW', placed_at: AT, paid_at: AT,
    currency: 'VND', lines: [{ id: 'L1', sku: 'SKU-1', name: 'Product', quantity: 1, unit_price: 1000 }] } });
  assert.equal(imported.ok, true);
  const journal = journalBytes(M, '/follow');

  const stopped = follow(M, follower.st);
  assert.equal(stopped.rc, 1, stopped.message);
  assert.equal(stopped.pending, false);
  assert.equal(M._pd_store_pending(follower.st), 0, 'not pending: it answers from what it has');
  assert.ok(asked.count > 0, 'it asked for page 0\'s rest');
  assert.equal(exec(M, follower.st, { cmd: 'stats', at }).result.orders, ORDERS, 'the records before the one it stopped at');
  assert.equal(exec(M, follower.st, { cmd: 'order.get', at, order_id: 'NEW' }).error.code, 'NOT_FOUND');
  assert.equal(exec(M, follower.st, { cmd: 'order.get', at, order_id: 'W1' }).ok, true);
  const refused = exec(M, follower.st, { cmd: 'line.check', at, order_id: 'W1', line_id: 'L1', result: 'ok' });
  assert.equal(refused.error.code, 'STORAGE', 'a follower still refuses commands');
  assert.equal(journalBytes(M, '/follow'), journal, 'and journals nothing');
  assert.equal(follow(M, follower.st).rc, 1, 'still not loaded: stopped again, unchanged');
  assert.equal(exec(M, follower.st, { cmd: 'stats', at }).result.orders, ORDERS);

  loaded = true;
  const caught = follow(M, follower.st);
  assert.equal(caught.rc, 0, caught.message);
  assert.equal(caught.replayed, 2);
  for (const id of ['W1000', 'NEW']) {
    assert.deepEqual(exec(M, follower.st, { cmd: 'order.get', at, order_id: id }), exec(M, writer.st, { cmd: 'order.get', at, order_id: id }), id);
  }
  assert.equal(exec(M, follower.st, { cmd: 'stats', at }).result.orders, ORDERS + 1);
  M._pd_store_close(follower.st);
  M._pd_store_close(writer.st);
});
