// bench-wasm.mjs: the wasm half of `make bench`, the same workload as bench/bench.c command for
// command (see there), through wasm/packdesk-core.mjs in Node. Two times per command:
//   seconds      inside pd_exec only: the same work bench.c times natively;
//   api_seconds  the whole execRaw call: the request copied into the core's memory, pd_exec, the
//                answer read back as a JS string (what the console and the server pay).
// Each timed interval also holds one reading of the clock; that cost (clock_ns, calibrated here,
// as bench.c calibrates its own) is subtracted, three times from api_seconds, which holds the two
// readings of pd_exec's own timer. One instance serves every run of a process (as one native
// process reuses its heap); each N gets a fresh shop. Before them, WARMUP_RUNS runs of
// WARMUP_ORDERS orders (not in the table) let V8 tier the code up (Liftoff, then TurboFan); the
// first of them is reported as `cold`, beside load_ms (read, compile, instantiate): one-time costs.
//
// usage: node bench/bench-wasm.mjs [N...]   (default: 1000 100000); prints one JSON object.
// PACKDESK_BENCH_CORE=shipped measures the core the console and widget ship (build/widget/: -Oz,
// emmalloc) instead of the -O2 build.
import { coreOn, loadCoreModule } from '../wasm/packdesk-core.mjs';

const SHIPPED = process.env.PACKDESK_BENCH_CORE === 'shipped';
const BASE = new URL(SHIPPED ? '../build/widget/' : '../build/wasm/', import.meta.url);

const EPOCH = 1764230400000;
const LIST_QUERIES = 500;
const WARMUP_ORDERS = 1000;
const WARMUP_RUNS = 3;

const linesOf = (i) => 1 + (i % 3);
const skuOf = (i, j) => (i * 7 + j * 13) % 200;
const qtyOf = (i, j) => 1 + ((i + j) % 2);
const fragile = (i, j) => i % 10 === 0 && j === 0;
const pad = (n, w) => String(n).padStart(w, '0');
const oid = (i) => `BENCH-${pad(i, 7)}`;

// The cost of one clock reading inside a timed interval: the median, over 11 batches, of the
// mean empty interval.
function clockCost() {
  const means = [];
  for (let b = 0; b < 11; b++) {
    let sum = 0;
    for (let k = 0; k < 20000; k++) {
      const t0 = performance.now();
      sum += performance.now() - t0;
    }
    means.push(sum / 20000);
  }
  return means.sort((a, b) => a - b)[5];
}

// The one-time cost: reading, compiling (V8's first tier) and instantiating the module.
const loadStart = performance.now();
const M = await loadCoreModule(SHIPPED ? { baseUrl: BASE, esm: true } : { baseUrl: BASE });
const loadMs = performance.now() - loadStart;

// pd_exec timed where it is called: the API's own code (coreOn) runs unchanged on a module
// whose _pd_exec is wrapped (everything else comes from the module by its prototype).
let coreMs = 0;
const timed = Object.create(M, {
  _pd_exec: {
    value(shop, ptr, len) {
      const s = performance.now();
      const out = M._pd_exec(shop, ptr, len);
      coreMs += performance.now() - s;
      return out;
    },
  },
});

const CLOCK_MS = clockCost();

function benchN(n) {
  const core = coreOn(timed);
  const phase = () => ({ commands: 0, seconds: 0, api_seconds: 0 });
  const phases = { import: phase(), confirm_pack_ship: phase(), orders_list: phase() };
  let now = EPOCH;
  let checksum = 2166136261;
  let current = null;

  function run(req) {
    const before = coreMs;
    const s = performance.now();
    const resp = core.execRaw(req);
    const e = performance.now();
    now++;
    if (current) {
      current.seconds += (coreMs - before - CLOCK_MS) / 1000;
      current.api_seconds += (e - s - 3 * CLOCK_MS) / 1000;
      current.commands++;
    }
    if (!resp.startsWith('{"ok":true')) throw new Error(`command failed\n  request:  ${req}\n  response: ${resp}`);
    // FNV-1a over the response and '\n' (the responses are ASCII, so chars are bytes).
    for (let k = 0; k < resp.length; k++) checksum = Math.imul(checksum ^ resp.charCodeAt(k), 16777619) >>> 0;
    checksum = Math.imul(checksum ^ 10, 16777619) >>> 0;
    return resp;
  }

  function importOrder(i) {
    const lines = [];
    for (let j = 0; j < linesOf(i); j++) {
      lines.push(`{"id":"L${j + 1}","sku":"SKU-${pad(skuOf(i, j), 3)}","name":"Product ${pad(skuOf(i, j), 3)}",` +
        `"quantity":${qtyOf(i, j)},"unit_price":${10000 + ((i * 31 + j * 17) % 50) * 1000}` +
        `${fragile(i, j) ? ',"classes":["fragile"]' : ''}}`);
    }
    run(`{"cmd":"order.import","at":${now},"order":{"id":"${oid(i)}","placed_at":${now},"paid_at":${now},` +
      `"currency":"VND","lines":[${lines.join(',')}]}}`);
  }

  function confirmOrder(i) {
    for (let j = 0; j < linesOf(i); j++) {
      run(`{"cmd":"line.check","at":${now},"order_id":"${oid(i)}","line_id":"L${j + 1}","result":"ok"}`);
    }
    run(`{"cmd":"order.confirm","at":${now},"order_id":"${oid(i)}"}`);
  }

  function packAndShip(i) {
    const got = JSON.parse(run(`{"cmd":"order.get","at":${now},"order_id":"${oid(i)}"}`));
    for (let j = 0; j < linesOf(i); j++) {
      for (let u = 0; u < qtyOf(i, j); u++) {
        run(`{"cmd":"pack.scan","at":${now},"order_id":"${oid(i)}","sku":"SKU-${pad(skuOf(i, j), 3)}"}`);
      }
    }
    for (const entry of got.result?.checklist ?? []) {
      if (typeof entry?.item !== 'string' || entry.confirmed === true) continue;
      run(`{"cmd":"pack.confirm","at":${now},"order_id":"${oid(i)}","item":"${entry.item}"}`);
    }
    run(`{"cmd":"pack.complete","at":${now},"order_id":"${oid(i)}"}`);
    run(`{"cmd":"handover.set","at":${now},"order_id":"${oid(i)}","method":"pickup"` +
      `${fragile(i, 0) ? ',"note":"fragile: keep upright"' : ''}}`);
    run(`{"cmd":"order.ship","at":${now},"order_id":"${oid(i)}"}`);
  }

  current = phases.import;
  for (let i = 0; i < n; i++) importOrder(i);
  current = phases.confirm_pack_ship;
  for (let i = 0; i < Math.floor(n / 2); i++) {
    confirmOrder(i);
    packAndShip(i);
  }
  current = null;
  for (let i = Math.floor(n / 2); i < n; i++) confirmOrder(i);
  current = phases.orders_list;
  for (let q = 0; q < LIST_QUERIES; q++) run(`{"cmd":"orders.list","at":${now},"stage":"confirmed","limit":50}`);
  current = null;
  core.close();
  return { n, phases, checksum: checksum.toString(16).padStart(8, '0') };
}

const sizes = process.argv.slice(2).map(Number);
const cold = benchN(WARMUP_ORDERS);
for (let r = 1; r < WARMUP_RUNS; r++) benchN(WARMUP_ORDERS);
const results = [];
for (const n of sizes.length ? sizes : [1000, 100000]) results.push(benchN(n));
console.log(JSON.stringify({
  engine: SHIPPED ? 'wasm-shipped' : 'wasm', clock_ns: CLOCK_MS * 1e6, load_ms: loadMs, cold: cold.phases, results,
}));
