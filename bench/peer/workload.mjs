// workload.mjs: the workload of bench/bench.c and bench/bench-wasm.mjs, command for command (the
// same generated orders, the same request shapes, the same `at` clock: 1 ms per command), run
// against any system that takes those commands: packdesk's core (JSON strings) or the sql.js
// peer (sqljs-shop.mjs, the same commands as objects). Runs in Node and in browsers.
//
// For each N: a fresh shop; import N orders; confirm-pack-ship the first half (line.check each
// line, order.confirm, order.get for the checklist, pack.scan each unit, pack.confirm each open
// checklist item, pack.complete, handover.set pickup, order.ship); confirm the second half (not
// timed: it gives the listing something to list); then orders.list {stage: "confirmed",
// limit: 50} LIST_QUERIES times.
//
// A system is {prepare(obj) → arg, call(arg) → raw, result(raw, obj) → object}: only call() is
// timed, so building the request (JSON.stringify for packdesk) and reading the answer
// (JSON.parse for packdesk) are outside the measure, as in bench-wasm.mjs.

export const EPOCH = 1764230400000;
export const LIST_QUERIES = 500;
export const WARMUP = 500;

export const linesOf = (i) => 1 + (i % 3);
const skuOf = (i, j) => (i * 7 + j * 13) % 200;
const qtyOf = (i, j) => 1 + ((i + j) % 2);
const fragile = (i, j) => i % 10 === 0 && j === 0;
const pad = (n, w) => String(n).padStart(w, '0');
export const oid = (i) => `BENCH-${pad(i, 7)}`;
const sku = (i, j) => `SKU-${pad(skuOf(i, j), 3)}`;

export const PHASES = ['import', 'confirm_pack_ship', 'orders_list'];

/**
 * Runs the workload at n orders on `system`. `slice` (optional) limits confirm-pack-ship to the
 * first `slice` orders, for sizes where the full half would take too long (the second half is
 * still confirmed in full, so the listing sees the same stage). Returns {n, slice, phases: {name: {commands, ms}}, listed}.
 */
export function runWorkload(n, system, { slice } = {}) {
  const phases = Object.fromEntries(PHASES.map((p) => [p, { commands: 0, ms: 0 }]));
  let now = EPOCH;
  let current = null;
  let lastList = null;

  function run(obj) {
    const arg = system.prepare(obj);
    const t0 = performance.now();
    const raw = system.call(arg);
    const t1 = performance.now();
    now++;
    if (current) {
      current.ms += t1 - t0;
      current.commands++;
    }
    return system.result(raw, obj);
  }

  function importOrder(i) {
    const lines = [];
    for (let j = 0; j < linesOf(i); j++) {
      const line = { id: `L${j + 1}`, sku: sku(i, j), name: `Product ${pad(skuOf(i, j), 3)}`,
        quantity: qtyOf(i, j), unit_price: 10000 + ((i * 31 + j * 17) % 50) * 1000 };
      if (fragile(i, j)) line.classes = ['fragile'];
      lines.push(line);
    }
    run({ cmd: 'order.import', at: now, order: { id: oid(i), placed_at: now, paid_at: now, currency: 'VND', lines } });
  }

  function confirmOrder(i) {
    for (let j = 0; j < linesOf(i); j++) run({ cmd: 'line.check', at: now, order_id: oid(i), line_id: `L${j + 1}`, result: 'ok' });
    run({ cmd: 'order.confirm', at: now, order_id: oid(i) });
  }

  function packAndShip(i) {
    const got = run({ cmd: 'order.get', at: now, order_id: oid(i) });
    for (let j = 0; j < linesOf(i); j++) {
      for (let u = 0; u < qtyOf(i, j); u++) run({ cmd: 'pack.scan', at: now, order_id: oid(i), sku: sku(i, j) });
    }
    for (const entry of got?.checklist ?? []) {
      if (typeof entry?.item !== 'string' || entry.confirmed === true) continue;
      run({ cmd: 'pack.confirm', at: now, order_id: oid(i), item: entry.item });
    }
    run({ cmd: 'pack.complete', at: now, order_id: oid(i) });
    const handover = { cmd: 'handover.set', at: now, order_id: oid(i), method: 'pickup' };
    if (fragile(i, 0)) handover.note = 'fragile: keep upright';
    run(handover);
    run({ cmd: 'order.ship', at: now, order_id: oid(i) });
  }

  const half = Math.floor(n / 2);
  const shipped = slice ? Math.min(slice, half) : half;
  current = phases.import;
  for (let i = 0; i < n; i++) importOrder(i);
  current = phases.confirm_pack_ship;
  for (let i = 0; i < shipped; i++) {
    confirmOrder(i);
    packAndShip(i);
  }
  current = null;
  for (let i = half; i < n; i++) confirmOrder(i);
  current = phases.orders_list;
  for (let q = 0; q < LIST_QUERIES; q++) lastList = run({ cmd: 'orders.list', at: now, stage: 'confirmed', limit: 50 });
  current = null;
  const listed = (lastList?.orders ?? []).map((o) => o.id);
  return { n, slice: slice ?? null, phases, listed, total: lastList?.total ?? null };
}

/** packdesk's core as a workload system: the exact request strings, the exact response strings. */
export function packdeskSystem(core) {
  return {
    prepare: (obj) => JSON.stringify(obj),
    call: (req) => core.execRaw(req),
    result(resp, obj) {
      if (!resp.startsWith('{"ok":true')) throw new Error(`packdesk: command failed\n  request:  ${JSON.stringify(obj)}\n  response: ${resp}`);
      // Only the answers the workload reads are parsed (outside the measure either way).
      return obj.cmd === 'order.get' || obj.cmd === 'orders.list' ? JSON.parse(resp).result : null;
    },
  };
}

/** The sql.js peer as a workload system: the same commands as objects, answers as objects. */
export function peerSystem(shop) {
  return {
    prepare: (obj) => obj,
    call: (obj) => shop.exec(obj),
    result: (res) => res,
  };
}

/** Captures the WebAssembly.Memory of every instance created while `fn` runs (Node and browsers). */
export async function withMemoryCapture(fn) {
  const memories = [];
  const grab = (out) => {
    const inst = out instanceof WebAssembly.Instance ? out : out?.instance;
    for (const v of Object.values(inst?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.push(v);
    return out;
  };
  const { instantiate, instantiateStreaming } = WebAssembly;
  WebAssembly.instantiate = (...a) => instantiate.apply(WebAssembly, a).then(grab);
  if (instantiateStreaming) WebAssembly.instantiateStreaming = (...a) => instantiateStreaming.apply(WebAssembly, a).then(grab);
  try {
    const value = await fn();
    return { value, memory: memories[memories.length - 1] ?? null };
  } finally {
    WebAssembly.instantiate = instantiate;
    if (instantiateStreaming) WebAssembly.instantiateStreaming = instantiateStreaming;
  }
}
