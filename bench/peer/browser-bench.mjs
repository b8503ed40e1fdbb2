// browser-bench.mjs: the browser half of the peer benchmark, loaded by bench/peer/page.html and
// driven by bench/peer/run-browser.mjs through page.evaluate:
//   window.peerBench.run(name, n, slice) → one run of the workload (workload.mjs) on packdesk or
//     the sql.js peer, in this page: phases, wasm memory, JS heap, the first page listed
//   window.peerBench.idbFloor(count, warmup, durability) → ms per raw IndexedDB transaction with
//     one small put
//   window.peerBench.storeSave(count, warmup, {phases}) → ms from exec to `saved` for packdesk's
//     store, per command; with phases, where that time goes (an instrumented run: see below)
// Both return their summary and `samples`, so that the runner can pool interleaved rounds.
import { createCore } from '/wasm/packdesk-core.mjs';
import { createSqljsShop } from './sqljs-shop.mjs';
import { EPOCH, linesOf, oid, packdeskSystem, peerSystem, runWorkload, withMemoryCapture } from './workload.mjs';

const SQLJS_DIST = '/node_modules/sql.js/dist/';
let sqljsGlue = null;

// A fresh sql.js module (and wasm memory) per run: the glue memoizes its module per load, so its
// source is evaluated anew each time (it is a UMD script: given `module`, it fills module.exports).
async function freshSqlJs() {
  sqljsGlue ??= await (await fetch(`${SQLJS_DIST}sql-wasm-browser.js`)).text();
  const module = { exports: {} };
  new Function('module', 'exports', sqljsGlue)(module, module.exports); // eslint-disable-line no-new-func
  return module.exports({ locateFile: (file) => `${SQLJS_DIST}${file}` });
}

const heapUsed = () => performance.memory?.usedJSHeapSize ?? null;
const gc = () => globalThis.gc?.();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const summary = (xs) => ({ count: xs.length, median_ms: median(xs), p90_ms: pct(xs, 0.9), min_ms: Math.min(...xs) });
const withSamples = (xs) => ({ ...summary(xs), samples: xs });

async function run(name, n, slice) {
  gc();
  const heap0 = heapUsed();
  const { value: inst, memory } = await withMemoryCapture(async () =>
    (name === 'packdesk' ? createCore() : createSqljsShop(await freshSqlJs())));
  const t0 = performance.now();
  const result = runWorkload(n, name === 'packdesk' ? packdeskSystem(inst) : peerSystem(inst), { slice });
  const wall = performance.now() - t0;
  gc();
  const heap = heap0 == null ? null : Math.max(0, heapUsed() - heap0);
  const counts = name === 'sqljs' ? inst.stageCounts() : null;
  const fileBytes = name === 'sqljs' ? inst.fileBytes() : 0;
  const wasmBytes = memory ? memory.buffer.byteLength : null;
  inst.close();
  return { ...result, wall_ms: wall, wasm_bytes: wasmBytes, file_bytes: fileBytes,
    memory_bytes: (wasmBytes ?? 0) + fileBytes, js_heap_bytes: heap, stage_counts: counts };
}

// The floor: one readwrite transaction with one small put, awaited to its `complete` event (the
// same unit of work as one IDBFS sync of one small file). `durability`: 'default' (Chromium's
// own; here it measures as 'relaxed': complete may come before the data is on disk) or 'strict'
// (what packdesk's saves ask for: complete once it is on disk), so a save is compared with the
// floor of the same durability.
async function idbFloor(count = 200, warmup = 20, durability = 'default') {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(`peer-floor-${Date.now()}`, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const times = [];
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const tx = db.transaction('kv', 'readwrite', { durability });
      tx.objectStore('kv').put({ seq: i, at: EPOCH + i, text: 'order BENCH-0000001 confirmed' }, `k${i}`);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('aborted'));
    });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  db.close();
  return { ...withSamples(times), durability };
}

// The IndexedDB calls of one save, stamped (performance.now()) by wrapping the prototypes while
// `phases` runs: when the readwrite transaction is asked for, when its last put returned, when
// its 'complete' event came (a listener added before the store's own handler), and how many
// puts and bytes (contents or tail) it had. Undone by the returned function.
function stampSaves(onTx) {
  const { transaction } = IDBDatabase.prototype;
  const { put } = IDBObjectStore.prototype;
  IDBDatabase.prototype.transaction = function (...args) {
    const at = performance.now();
    const tx = transaction.apply(this, args);
    if (args[1] === 'readwrite') {
      const stamp = { tx: at, puts: 0, bytes: 0, putEnd: at, complete: null };
      onTx(stamp);
      tx.addEventListener('complete', () => (stamp.complete = performance.now()));
      tx.stamp = stamp;
    }
    return tx;
  };
  IDBObjectStore.prototype.put = function (value, key) {
    const result = put.call(this, value, key);
    const stamp = this.transaction.stamp;
    if (stamp) {
      stamp.puts++;
      stamp.bytes += (value?.contents ?? value?.tail)?.byteLength ?? 0;
      stamp.putEnd = performance.now();
    }
    return result;
  };
  return () => {
    IDBDatabase.prototype.transaction = transaction;
    IDBObjectStore.prototype.put = put;
  };
}

// packdesk's save per command: commands issued one at a time (each waits for the previous
// `saved`), timed from exec() to `saved` resolving. The commands: the workload's import and
// confirmation of successive orders. Returns null fields with `error` when the store cannot run.
// With `phases`, also `phase_rows`, per save: exec (the core runs the command and journals it in
// memory), to_transaction (the save is queued and started: coalescer, store queue, guard),
// transaction_and_puts (IndexedDB's transaction() and the puts, in this task), commit (from the
// last put to 'complete': IndexedDB's own work, the floor's too), to_saved (from 'complete' to
// `saved` resolving in the caller), and the puts and bytes it wrote. Instrumented runs come out
// slower than plain ones (the wrappers, the extra listener), so the headline figure comes from
// runs without them.
async function storeSave(count = 200, warmup = 20, { phases = false } = {}) {
  let openStore;
  try {
    ({ openStore } = await import('/wasm/packdesk-store.mjs'));
  } catch (err) {
    return { error: `cannot load wasm/packdesk-store.mjs: ${err.message}` };
  }
  const store = await openStore({ name: `peer-bench-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  const commands = [];
  for (let i = 0; commands.length < warmup + count; i++) {
    commands.push({ cmd: 'order.import', order: { id: oid(i), placed_at: 0, paid_at: 0, currency: 'VND',
      lines: Array.from({ length: linesOf(i) }, (_, j) => ({ id: `L${j + 1}`, sku: `SKU-${j}`, name: `Product ${j}`, quantity: 1, unit_price: 10000 })) } });
    for (let j = 0; j < linesOf(i); j++) commands.push({ cmd: 'line.check', order_id: oid(i), line_id: `L${j + 1}`, result: 'ok' });
    commands.push({ cmd: 'order.confirm', order_id: oid(i) });
  }
  const times = [];
  const rows = [];
  let stamps = [];
  const undo = phases ? stampSaves((s) => stamps.push(s)) : () => {};
  let at = EPOCH;
  try {
    for (const [k, c] of commands.slice(0, warmup + count).entries()) {
      const req = { ...c, at: ++at };
      if (req.order) req.order = { ...req.order, placed_at: at, paid_at: at };
      stamps = [];
      const t0 = performance.now();
      const { response, saved } = store.exec(req);
      const t1 = performance.now();
      if (!response.ok) throw new Error(`store: ${JSON.stringify(req)} → ${JSON.stringify(response)}`);
      await saved;
      const t2 = performance.now();
      if (k < warmup) continue;
      times.push(t2 - t0);
      if (phases && stamps.length === 1 && stamps[0].complete != null) rows.push({ t0, t1, t2, ...stamps[0] });
    }
  } finally {
    undo();
  }
  const estimate = await store.estimate?.();
  await store.close();
  const out = { ...withSamples(times), usage_bytes: estimate?.usage ?? null };
  if (phases) {
    // Per save: [exec, to_transaction, transaction_and_puts, commit, to_saved, puts, bytes, total].
    out.phase_rows = rows.map((r) => [r.t1 - r.t0, r.tx - r.t1, r.putEnd - r.tx, r.complete - r.putEnd, r.t2 - r.complete, r.puts, r.bytes, r.t2 - r.t0]);
  }
  return out;
}

window.peerBench = { run, idbFloor, storeSave };
window.peerBenchReady = true;
