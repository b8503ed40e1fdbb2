// browser-bench.mjs: the browser half of the peer benchmark, loaded by bench/peer/page.html and
// driven by bench/peer/run-browser.mjs through page.evaluate:
//   window.peerBench.run(name, n, slice) → one run of the workload (workload.mjs) on packdesk or
//     the sql.js peer, in this page: phases, wasm memory, JS heap, the first page listed
//   window.peerBench.idbFloor(count) → ms per raw IndexedDB transaction with one small put
//   window.peerBench.storeSave(count) → ms from exec to `saved` for packdesk's store, per command
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
// same unit of work as one IDBFS sync of one small file), with Chromium's default durability.
async function idbFloor(count = 200, warmup = 20) {
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
      const tx = db.transaction('kv', 'readwrite');
      tx.objectStore('kv').put({ seq: i, at: EPOCH + i, text: 'order BENCH-0000001 confirmed' }, `k${i}`);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('aborted'));
    });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  db.close();
  return { ...summary(times), durability: 'default' };
}

// packdesk's save per command: commands issued one at a time (each waits for the previous
// `saved`), timed from exec() to `saved` resolving. The commands: the workload's import and
// confirmation of successive orders. Returns null fields with `error` when the store cannot run.
async function storeSave(count = 200, warmup = 20) {
  let openStore;
  try {
    ({ openStore } = await import('/wasm/packdesk-store.mjs'));
  } catch (err) {
    return { error: `cannot load wasm/packdesk-store.mjs: ${err.message}` };
  }
  const store = await openStore({ name: `peer-bench-${Date.now()}` });
  const commands = [];
  for (let i = 0; commands.length < warmup + count; i++) {
    commands.push({ cmd: 'order.import', order: { id: oid(i), placed_at: 0, paid_at: 0, currency: 'VND',
      lines: Array.from({ length: linesOf(i) }, (_, j) => ({ id: `L${j + 1}`, sku: `SKU-${j}`, name: `Product ${j}`, quantity: 1, unit_price: 10000 })) } });
    for (let j = 0; j < linesOf(i); j++) commands.push({ cmd: 'line.check', order_id: oid(i), line_id: `L${j + 1}`, result: 'ok' });
    commands.push({ cmd: 'order.confirm', order_id: oid(i) });
  }
  const times = [];
  let at = EPOCH;
  for (const [k, c] of commands.slice(0, warmup + count).entries()) {
    const req = { ...c, at: ++at };
    if (req.order) req.order = { ...req.order, placed_at: at, paid_at: at };
    const t0 = performance.now();
    const { response, saved } = store.exec(req);
    if (!response.ok) throw new Error(`store: ${JSON.stringify(req)} → ${JSON.stringify(response)}`);
    await saved;
    if (k >= warmup) times.push(performance.now() - t0);
  }
  const estimate = await store.estimate?.();
  await store.close();
  return { ...summary(times), usage_bytes: estimate?.usage ?? null };
}

window.peerBench = { run, idbFloor, storeSave };
window.peerBenchReady = true;
