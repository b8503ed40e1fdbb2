// browser-store-open.test.mjs: how a store opens (wasm/packdesk-store.mjs, wasm/idbfs-sync.mjs),
// in headless Chromium on real IndexedDB. IndexedDB is read while the core loads, so:
// - a tab that gets the Web Lock while it opens (the writer went meanwhile, saving last) must not
//   write from what it read before holding the lock: it reads again first;
// - a core that does not load, or a first read that fails, is a StoreError, and leaves the lock
//   and IndexedDB to the next open;
// - a load gives MEMFS the records' own bytes (no copy) with their timestamps, replaces a file
//   by a new node (a descriptor opened before keeps its bytes), and a record that is not whole
//   fails the load with memory as it was;
// - a file over 64 KiB is stored as its head and the rest, and a load leaves the rest unread
//   until a read reaches past the head (the core reads an order page's summaries at open, a
//   body when a command needs it): a store whose pages are split opens and works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchFresh, serveRepo } from './lib/browser.mjs';
import { AT, importOrder } from './lib/orders.mjs';

const HOUR = 3600000;
const checkLine = (id) => ({ cmd: 'line.check', at: AT + HOUR, order_id: id, line_id: 'L1', result: 'ok' });

// A page with one mount's load and save (idbfs-sync.mjs, fs-changes.mjs) on modules of its own:
// window.tab() is one tab's worth of MEMFS on the mount, window.fill(n, seed) known bytes.
const IDBFS_PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import createPackdesk from '/build/wasm/packdesk.mjs';
  import { guardIdbfs, readStore } from '/wasm/idbfs-sync.mjs';
  import { trackChanges } from '/wasm/fs-changes.mjs';
  const DIR = '/packdesk/idbfs-test';
  window.DIR = DIR;
  window.tab = async () => {
    const M = await createPackdesk({ locateFile: (p) => '/build/wasm/' + p });
    M.FS.mkdirTree(DIR);
    M.FS.mount(M.IDBFS, {}, DIR);
    const changes = trackChanges(M, DIR);
    return { FS: M.FS, idb: guardIdbfs(M, DIR, { canUpload: () => true, changes }) };
  };
  window.readStore = () => readStore(DIR, 5000);
  window.fill = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 255);
  window.same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  // The record of key in the mount's database, as IndexedDB has it.
  window.record = (key) => new Promise((resolve, reject) => {
    const open = indexedDB.open(DIR);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction(['FILE_DATA']).objectStore('FILE_DATA').get(key);
      get.onsuccess = () => { open.result.close(); resolve(get.result); };
      get.onerror = () => reject(get.error);
    };
  });
  // Deletes key's record, or puts \`value\` there.
  window.deleteRecord = (key, value) => new Promise((resolve, reject) => {
    const open = indexedDB.open(DIR);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['FILE_DATA'], 'readwrite');
      if (value === undefined) tx.objectStore('FILE_DATA').delete(key);
      else tx.objectStore('FILE_DATA').put(value, key);
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onabort = () => reject(tx.error);
    };
  });
  // Bytes [from, to) of path through a descriptor (what the core does), or the errno it fails with.
  window.readRange = (tab, path, from, to) => {
    const s = tab.FS.open(path, 'r');
    try {
      const out = new Uint8Array(to - from);
      const n = tab.FS.read(s, out, 0, to - from, from);
      return out.subarray(0, n);
    } catch (e) {
      return { errno: e.errno };
    } finally {
      tab.FS.close(s);
    }
  };
  window.pageReady = true;
</script>`;

let server;
before(async () => {
  server = await serveRepo({ '/tests/idbfs.html': IDBFS_PAGE });
});
after(() => server.close());

async function newPage(context, file = 'browser/store.html') {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.origin}/tests/${file}`);
  await page.waitForFunction(() => window.pageReady);
  return page;
}

const apply = (page, requests) => page.evaluate((r) => window.apply(r), requests);
const query = (page, request) => page.evaluate((r) => window.query(r), request);

test('store open: a tab that gets the lock while it opens reads IndexedDB again before it writes', async (t) => {
  const context = await launchFresh(t);
  const writer = await newPage(context);
  assert.equal((await writer.evaluate(() => window.openTestStore())).isWriter, true);
  assert.deepEqual((await apply(writer, [importOrder('A1'), importOrder('A2')])).saved, ['ok', 'ok']);

  // The second tab's core is held back until the test lets it go, so the order is sure: it
  // reads IndexedDB (not holding the lock), then the writer saves one more change and goes,
  // the lock comes to the second tab, and only then is its core in.
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route('**/build/wasm/packdesk.mjs', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${server.origin}/tests/browser/store.html`);
  await page.waitForFunction(() => window.pageReady);
  const opening = page.evaluate(() => window.openTestStore());
  await page.waitForFunction(() => performance.getEntriesByName('packdesk:idb-read').length > 0);

  assert.deepEqual((await apply(writer, [checkLine('A2')])).saved, ['ok']);
  await writer.close();
  await page.waitForFunction(async () => (await navigator.locks.query()).held.some((l) => l.name === 'packdesk:default'));
  release();
  await opening;

  // It opened read-only on what it had read, then took over on a fresh read: the last save is
  // there, and it writes on top of it.
  await page.waitForFunction(() => window.store.isWriter, null, { timeout: 10000 });
  assert.deepEqual(await page.evaluate(() => window.statuses), ['read-only', 'writer']);
  const a2 = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: 'A2' });
  assert.equal(a2.result.lines[0].check, 'ok', 'the change saved before the lock came is there');
  assert.deepEqual((await apply(page, [checkLine('A1')])).saved, ['ok']);
  await page.reload();
  await page.waitForFunction(() => window.pageReady);
  await page.evaluate(() => window.openTestStore());
  for (const id of ['A1', 'A2']) {
    const order = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: id });
    assert.equal(order.result.lines[0].check, 'ok', `order ${id}`);
  }
  assert.deepEqual(page.errors, []);
});

test('store open: a first read that fails, or a core that does not load, is a StoreError and leaves the lock to the next open', async (t) => {
  const context = await launchFresh(t);
  const page = await newPage(context);
  // The first read's transaction aborts: LOAD_FAILED, and nothing is held.
  await page.evaluate(() => {
    const real = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (stores, mode, options) {
      const tx = real.call(this, stores, mode, options);
      if (mode !== 'readwrite' && !window.aborted) {
        window.aborted = true;
        queueMicrotask(() => tx.abort());
      }
      return tx;
    };
  });
  const unread = await page.evaluate(() => window.openTestStore().then(() => null, (e) => ({ name: e.name, code: e.code })));
  assert.deepEqual(unread, { name: 'StoreError', code: 'LOAD_FAILED' });
  assert.deepEqual(await page.evaluate(async () => (await navigator.locks.query()).held), [], 'the lock was let go');

  // A core that is not there: OPEN_FAILED (the read made meanwhile is dropped), nothing held.
  const failed = await page.evaluate(() => window.openTestStore({ baseUrl: '/no-such-core/' }).then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message })));
  assert.equal(failed?.name, 'StoreError');
  assert.equal(failed.code, 'OPEN_FAILED');
  assert.match(failed.message, /core could not be loaded/);
  assert.deepEqual(await page.evaluate(async () => (await navigator.locks.query()).held), []);

  // The next open is the writer, and works.
  assert.equal((await page.evaluate(() => window.openTestStore())).isWriter, true);
  assert.deepEqual((await apply(page, [importOrder('A1')])).saved, ['ok']);
  assert.deepEqual(page.errors, []);
});

test('store open: a load gives MEMFS the records\' bytes with their timestamps, replaces files (an open descriptor keeps its bytes), and a record that is not whole changes nothing', async (t) => {
  const context = await launchFresh(t);
  const page = await newPage(context, 'idbfs.html');

  // One tab writes a big file (one record), a segment in 4 KiB blocks and a tail (two writes),
  // and a file in a directory; a second loads them from a read made before its module existed.
  const first = await page.evaluate(async () => {
    const { DIR, fill, same } = window;
    const W = (window.W = await window.tab());
    W.FS.writeFile(`${DIR}/index.pds`, fill(300000, 1));
    W.FS.writeFile(`${DIR}/journal-1.pdj`, fill(6000, 2));
    const s = W.FS.open(`${DIR}/journal-1.pdj`, 'a');
    W.FS.write(s, fill(4000, 3), 0, 4000);
    W.FS.close(s);
    W.FS.mkdir(`${DIR}/sub`);
    W.FS.writeFile(`${DIR}/sub/shop-1.pds`, fill(100, 4));
    await W.idb.save(5000);

    const read = await window.readStore();
    const R = (window.R = await window.tab());
    await R.idb.load(5000, read);
    const out = { files: {}, journalBlocks: (await window.record(`${DIR}/journal-1.pdj`)).blocks };
    for (const name of ['index.pds', 'journal-1.pdj', 'sub/shop-1.pds']) {
      const path = `${DIR}/${name}`;
      out.files[name] = {
        same: same(R.FS.readFile(path), W.FS.readFile(path)),
        size: R.FS.stat(path).size,
        mtimeIsStored: R.FS.stat(path).mtime.getTime() === (await window.record(path)).timestamp.getTime(),
      };
    }
    return out;
  });
  assert.equal(first.journalBlocks, 2, 'the segment was stored in blocks');
  assert.deepEqual(await page.evaluate(async () => {
    const head = await window.record(`${window.DIR}/index.pds`);
    const rest = await window.record(`${window.DIR}/index.pds\u0000rest`);
    return { size: head.size, head: head.head.length, contents: head.contents, rest: rest.contents.length };
  }), { size: 300000, head: 65536, contents: undefined, rest: 300000 - 65536 }, 'the big file is stored as its head and the rest');
  assert.deepEqual(first.files, {
    'index.pds': { same: true, size: 300000, mtimeIsStored: true },
    'journal-1.pdj': { same: true, size: 10000, mtimeIsStored: true },
    'sub/shop-1.pds': { same: true, size: 100, mtimeIsStored: true },
  });

  // A descriptor opened before a load that replaces its file keeps reading the bytes it had (as
  // after a rename): the core keeps page files open to read order bodies later.
  const replaced = await page.evaluate(async () => {
    const { DIR, fill, same, W, R } = window;
    const path = `${DIR}/index.pds`;
    const fd = R.FS.open(path, 'r');
    W.FS.writeFile(path, fill(200000, 5));
    await W.idb.save(5000);
    await R.idb.load(5000);
    const old = new Uint8Array(300000);
    const n = R.FS.read(fd, old, 0, 300000, 0);
    R.FS.close(fd);
    return { n, old: same(old, fill(300000, 1)), now: same(R.FS.readFile(path), fill(200000, 5)) };
  });
  assert.deepEqual(replaced, { n: 300000, old: true, now: true });

  // The loaded bytes are MEMFS's own: written in place they are saved as written, and what
  // IndexedDB had is untouched until that save.
  const inPlace = await page.evaluate(async () => {
    const { DIR, fill, same, R } = window;
    const path = `${DIR}/index.pds`;
    const s = R.FS.open(path, 'r+');
    R.FS.write(s, new Uint8Array(10).fill(0xee), 0, 10, 0);
    R.FS.close(s);
    const before = await window.tab();
    await before.idb.load(5000);
    await R.idb.save(5000);
    const after = await window.tab();
    await after.idb.load(5000);
    const expected = fill(200000, 5);
    expected.fill(0xee, 0, 10);
    return { before: same(before.FS.readFile(path), fill(200000, 5)), after: same(after.FS.readFile(path), expected) };
  });
  assert.deepEqual(inPlace, { before: true, after: true });

  // A block gone from a segment the load must fetch: the load fails whole, the file sorted
  // before it (changed too) is not replaced, and a first load leaves the mount empty.
  const incomplete = await page.evaluate(async () => {
    const { DIR, fill, same, W, R } = window;
    W.FS.writeFile(`${DIR}/index.pds`, fill(1000, 6));
    const s = W.FS.open(`${DIR}/journal-1.pdj`, 'a');
    W.FS.write(s, fill(5000, 7), 0, 5000);
    W.FS.close(s);
    await W.idb.save(5000);
    await window.deleteRecord(`${DIR}/journal-1.pdj\u0000000001`);
    const index = R.FS.readFile(`${DIR}/index.pds`);
    const journal = R.FS.readFile(`${DIR}/journal-1.pdj`);
    const error = await R.idb.load(5000).then(() => null, (e) => ({ code: e.code, message: e.message }));
    const kept = same(R.FS.readFile(`${DIR}/index.pds`), index) && same(R.FS.readFile(`${DIR}/journal-1.pdj`), journal);
    const fresh = await window.tab();
    const firstError = await fresh.idb.load(5000, await window.readStore()).then(() => null, (e) => e.code);
    return { error, kept, firstError, freshFiles: fresh.FS.readdir(DIR).filter((n) => n !== '.' && n !== '..') };
  });
  assert.equal(incomplete.error?.code, 'SYNC_FAILED');
  assert.match(incomplete.error.message, /journal-1\.pdj is incomplete in IndexedDB: 2 of 3 blocks/);
  assert.equal(incomplete.kept, true, 'memory is as it was');
  assert.equal(incomplete.firstError, 'SYNC_FAILED');
  assert.deepEqual(incomplete.freshFiles, []);
  assert.deepEqual(page.errors, []);
});

test('store open: a file over 64 KiB is stored as its head and the rest; a load reads the rest only when a read reaches past the head, and checks it then', async (t) => {
  const context = await launchFresh(t);
  const page = await newPage(context, 'idbfs.html');
  const out = await page.evaluate(async () => {
    const { DIR, fill, same, readRange } = window;
    const path = `${DIR}/big.pds`;
    const bytes = fill(200000, 8);
    const W = await window.tab();
    W.FS.writeFile(path, bytes);
    await W.idb.save(5000);
    // A rest of the wrong size: the load does not see it (it does not read the rest) ...
    await window.deleteRecord(`${path}\u0000rest`, { contents: fill(1000, 9) });
    const R = await window.tab();
    await R.idb.load(5000);
    const r = {
      size: R.FS.stat(path).size,
      head: same(readRange(R, path, 0, 65536), bytes.subarray(0, 65536)),
      past: readRange(R, path, 60000, 70000), // ... a read past the head does: EIO, as a bad disk
    };
    // The right rest: reads across the head's end and whole give the file's bytes.
    await window.deleteRecord(`${path}\u0000rest`, { contents: bytes.slice(65536) });
    const R2 = await window.tab();
    await R2.idb.load(5000);
    r.across = same(readRange(R2, path, 60000, 70000), bytes.subarray(60000, 70000));
    r.end = same(readRange(R2, path, 199990, 200010), bytes.subarray(199990));
    r.whole = same(R2.FS.readFile(path), bytes);
    // Under 64 KiB it is one record again (the rest's deleted), over it split again.
    W.FS.writeFile(path, fill(1000, 10));
    await W.idb.save(5000);
    const small = await window.record(path);
    r.small = { contents: small.contents?.length, head: small.head, rest: await window.record(`${path}\u0000rest`) };
    W.FS.writeFile(path, fill(100000, 11));
    await W.idb.save(5000);
    const R3 = await window.tab();
    await R3.idb.load(5000);
    r.again = { head: (await window.record(path)).head?.length, rest: (await window.record(`${path}\u0000rest`))?.contents.length, same: same(R3.FS.readFile(path), fill(100000, 11)) };
    // A rest gone altogether fails the load (the rest must be there; its size is checked on reading).
    await window.deleteRecord(`${path}\u0000rest`);
    const R4 = await window.tab();
    r.missing = await R4.idb.load(5000).then(() => null, (e) => ({ code: e.code, message: e.message }));
    return r;
  });
  assert.equal(out.size, 200000);
  assert.equal(out.head, true, 'the head reads without the rest');
  assert.deepEqual(out.past, { errno: 29 });
  assert.deepEqual([out.across, out.end, out.whole], [true, true, true]);
  assert.deepEqual(out.small, { contents: 1000, head: undefined, rest: undefined });
  assert.deepEqual(out.again, { head: 65536, rest: 100000 - 65536, same: true });
  assert.equal(out.missing?.code, 'SYNC_FAILED');
  assert.match(out.missing.message, /big\.pds is incomplete in IndexedDB: the rest of its 100000 bytes is missing/);
  assert.deepEqual(page.errors, []);
});

test('store open: a store whose order pages are split opens with their rests unread, and a command reads the body it needs', async (t) => {
  const context = await launchFresh(t);
  const page = await newPage(context);
  await page.evaluate(() => window.openTestStore());
  // 1,500 orders: the journal's segments fill (256 KiB, ~770 imports), a checkpoint writes the
  // first page (1,000 orders, ~260 KB: over 64 KiB, so split).
  for (let from = 0; from < 1500; from += 250) {
    const batch = Array.from({ length: 250 }, (_, i) => importOrder(`O${from + i}`));
    assert.ok((await apply(page, batch)).saved.every((s) => s === 'ok'));
  }
  const rests = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('/packdesk/default');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const keys = open.result.transaction(['FILE_DATA']).objectStore('FILE_DATA').getAllKeys();
      keys.onsuccess = () => {
        open.result.close();
        resolve(keys.result.filter((k) => k.endsWith('\u0000rest')).map((k) => k.split('/').at(-1).replace('\u0000', '#')));
      };
    };
  }));
  assert.ok(rests.some((k) => /^orders-0-\d+\.pds#rest$/.test(k)), JSON.stringify(rests));

  await page.reload();
  await page.waitForFunction(() => window.pageReady);
  const opened = await page.evaluate(() => window.openTestStore());
  assert.equal(opened.isWriter, true);
  assert.equal(opened.report.orders, 1500);
  // Bodies of the split page, first read now: the first, one past its head, the last.
  for (const id of ['O0', 'O500', 'O999']) {
    const order = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: id });
    assert.equal(order.result?.stage, 'awaiting_confirmation', `${id}: ${JSON.stringify(order.error)}`);
  }
  assert.deepEqual((await apply(page, [checkLine('O700')])).saved, ['ok']);
  await page.reload();
  await page.waitForFunction(() => window.pageReady);
  await page.evaluate(() => window.openTestStore());
  const o700 = await query(page, { cmd: 'order.get', at: AT + HOUR, order_id: 'O700' });
  assert.equal(o700.result.lines[0].check, 'ok');
  assert.equal((await query(page, { cmd: 'stats', at: AT + HOUR })).result.orders, 1500);
  assert.deepEqual(page.errors, []);
});
