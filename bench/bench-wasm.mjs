// bench-wasm.mjs: the wasm half of `make bench`, the same workload as bench/bench.c command for
// command (see there), through wasm/packdesk-core.mjs in Node. Only the time inside execRaw
// (string copy in, pd_exec, string copy out) is counted. A warm-up run of WARMUP orders (not
// reported) lets the JIT tier up first; bench.c does the same.
//
// usage: node bench/bench-wasm.mjs [N...]   (default: 1000 100000); prints one JSON object.
// PACKDESK_BENCH_CORE=shipped measures the core the console and widget ship (build/widget/: -Oz,
// emmalloc) instead of the -O2 build.
import { createCore } from '../wasm/packdesk-core.mjs';

const SHIPPED = process.env.PACKDESK_BENCH_CORE === 'shipped';

const EPOCH = 1764230400000;
const LIST_QUERIES = 500;
const WARMUP = 500;

const linesOf = (i) => 1 + (i % 3);
const skuOf = (i, j) => (i * 7 + j * 13) % 200;
const qtyOf = (i, j) => 1 + ((i + j) % 2);
const fragile = (i, j) => i % 10 === 0 && j === 0;
const pad = (n, w) => String(n).padStart(w, '0');
const oid = (i) => `BENCH-${pad(i, 7)}`;

async function benchN(n) {
  const core = await createCore(SHIPPED ? { baseUrl: '../build/widget/', esm: true } : {});
  const phases = {
    import: { commands: 0, seconds: 0 },
    confirm_pack_ship: { commands: 0, seconds: 0 },
    orders_list: { commands: 0, seconds: 0 },
  };
  let now = EPOCH;
  let checksum = 2166136261;
  let current = null;

  function run(req) {
    const t0 = performance.now();
    const resp = core.execRaw(req);
    const t1 = performance.now();
    now++;
    if (current) {
      current.seconds += (t1 - t0) / 1000;
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
await benchN(WARMUP);
const results = [];
for (const n of sizes.length ? sizes : [1000, 100000]) results.push(await benchN(n));
console.log(JSON.stringify({ engine: 'wasm', results }));
