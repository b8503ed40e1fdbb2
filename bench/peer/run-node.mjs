// run-node.mjs: packdesk (wasm) and its peer, sql.js (sqljs-shop.mjs), side by side in one Node
// process, on the same workload (workload.mjs) at N = 1k, 10k, 100k: time per phase, memory, and
// the bytes a browser would download (gzip -9), with the ratios packdesk / sql.js. Writes
// build/bench/peer-node.json (bench/chart.mjs merges it into peer.json and draws peer.svg).
//
// usage: node bench/peer/run-node.mjs [--slice K] [N...]   (default N: 1000 10000 100000)
//   --slice K: confirm-pack-ship only the first K orders at every N (the default runs the whole
//   first half; the table says when a slice was used).
//
// Method: one warm-up run of each system (WARMUP orders, not reported) so the JIT has tiered up;
// then for each N, packdesk then sql.js, each on a fresh instance (a fresh wasm memory: sql.js's
// glue is loaded anew for each run, as it keeps one module per load). Only the time inside the
// system's entry point is counted (execRaw for packdesk, exec for the peer). Memory: the wasm
// linear memory at the end of the run (its high-water mark: wasm memory never shrinks), and the
// JS heap that the run left alive (heapUsed after a full GC, minus the same before the run).
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';
import { createCore } from '../../wasm/packdesk-core.mjs';
import { createSqljsShop } from './sqljs-shop.mjs';
import { printTable, fmt } from './table.mjs';
import { PHASES, WARMUP, packdeskSystem, peerSystem, runWorkload, withMemoryCapture } from './workload.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SQLJS_GLUE = path.join(ROOT, 'node_modules/sql.js/dist/sql-wasm.js');

// A full GC between runs needs --expose-gc: run again with it when it is missing.
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
let slice = null;
const sizes = [];
for (let k = 0; k < args.length; k++) {
  if (args[k] === '--slice') slice = Number(args[++k]);
  else sizes.push(Number(args[k]));
}
if (!sizes.length) sizes.push(1000, 10000, 100000);

const require = createRequire(import.meta.url);
const SQLJS_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/sql.js/package.json'), 'utf8')).version;
// A fresh sql.js module (and wasm memory): initSqlJs memoizes its module per load of the glue.
function freshSqlJs() {
  delete require.cache[require.resolve(SQLJS_GLUE)];
  return require(SQLJS_GLUE)();
}

const SYSTEMS = {
  packdesk: {
    open: () => createCore(),
    system: (core) => packdeskSystem(core),
    close: (core) => core.close(),
  },
  sqljs: {
    open: async (opts) => createSqljsShop(await freshSqlJs(), opts),
    system: (shop) => peerSystem(shop),
    close: (shop) => shop.close(),
  },
};

async function measure(name, n, opts) {
  const s = SYSTEMS[name];
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const { value: inst, memory } = await withMemoryCapture(() => s.open(opts));
  const t0 = performance.now();
  const result = runWorkload(n, s.system(inst), { slice: n > WARMUP ? slice : null });
  const wall = performance.now() - t0;
  gc();
  const heap = Math.max(0, process.memoryUsage().heapUsed - heap0);
  const wasmBytes = memory ? memory.buffer.byteLength : null;
  const counts = name === 'sqljs' ? inst.stageCounts() : null;
  const fileBytes = name === 'sqljs' ? inst.fileBytes() : 0;
  s.close(inst);
  return { ...result, wall_ms: wall, wasm_bytes: wasmBytes, file_bytes: fileBytes,
    memory_bytes: (wasmBytes ?? 0) + fileBytes, js_heap_bytes: heap, stage_counts: counts };
}

/**
 * gzip -9 of each file a browser downloads, summed. A file given as {file, minify: true} is
 * counted as the console's bundler ships it (esbuild --minify): its comments never reach a browser.
 */
function shipped(files) {
  const parts = files.map((spec) => {
    const f = spec.file ?? spec;
    let body = readFileSync(path.join(ROOT, f));
    if (spec.minify) body = Buffer.from(transformSync(body.toString('utf8'), { minify: true, format: 'esm', target: 'es2022' }).code);
    return { file: f, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  });
  return { files: parts, bytes: parts.reduce((a, p) => a + p.bytes, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0) };
}

const bytes = {
  packdesk: shipped(['build/wasm/packdesk.wasm', 'build/wasm/packdesk.mjs', 'wasm/packdesk-core.mjs']),
  // What the console and the widget ship (make widget: -Oz, emmalloc, minified glue), with the API
  // minified as the bundler ships it: the goal is judged on this one.
  packdesk_shipped: existsSync(path.join(ROOT, 'build/widget/packdesk.wasm'))
    ? shipped(['build/widget/packdesk.wasm', 'build/widget/packdesk.mjs', { file: 'wasm/packdesk-core.mjs', minify: true }])
    : null,
  sqljs: shipped(['node_modules/sql.js/dist/sql-wasm-browser.wasm', 'node_modules/sql.js/dist/sql-wasm-browser.js']),
  // Not in the ratio: the peer's own shop code, and packdesk's browser store (persistence).
  sqljs_shop_code: shipped(['bench/peer/sqljs-shop.mjs']),
  packdesk_store_code: (() => {
    const f = ['wasm/packdesk-store.mjs', 'wasm/coalescer.mjs', 'wasm/idbfs-sync.mjs', 'wasm/store-error.mjs', 'wasm/writer-lock.mjs'];
    return f.every((x) => existsSync(path.join(ROOT, x))) ? shipped(f) : null;
  })(),
};

const t0 = performance.now();
await measure('packdesk', WARMUP);
await measure('sqljs', WARMUP);
const results = [];
for (const n of sizes) {
  const pd = await measure('packdesk', n);
  const sq = await measure('sqljs', n);
  const same = JSON.stringify(pd.listed) === JSON.stringify(sq.listed) && pd.total === sq.total;
  if (!same) {
    console.error(`run-node: at N=${n} the two systems listed different pages (packdesk ${pd.listed.slice(0, 3)}…, total ${pd.total}; ` +
      `sql.js ${sq.listed.slice(0, 3)}…, total ${sq.total})`);
    process.exit(1);
  }
  for (const r of [pd, sq]) delete r.listed;
  results.push({ n, slice: pd.slice, packdesk: pd, sqljs: sq });
  process.stderr.write(`  node: N=${n} done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
// How much the peer's settings matter, at one size: SQLite's own pragmas (a rollback journal
// file per transaction), and a page cache 32x SQLite's default (64 MiB instead of 2 MB).
const VARIANT_N = sizes.includes(10000) ? 10000 : null;
const variants = [];
if (VARIANT_N) {
  for (const [label, opts] of [['sql.js, SQLite default pragmas', { pragmas: 'default' }], ['sql.js, tuned + 64 MiB page cache', { cacheKiB: 65536 }]]) {
    const r = await measure('sqljs', VARIANT_N, opts);
    delete r.listed;
    variants.push({ label, options: opts, ...r });
  }
}
const wall = (performance.now() - t0) / 1000;

printTable('packdesk (wasm) vs sql.js, one Node process', results);
if (variants.length) {
  const base = results.find((r) => r.n === VARIANT_N);
  console.log(`\nthe peer's settings, at N = ${fmt(VARIANT_N)} (µs per command; the table uses the tuned pragmas, SQLite's default cache):`);
  for (const v of [{ label: 'sql.js, tuned (the table)', ...base.sqljs }, ...variants]) {
    console.log(`  ${v.label.padEnd(36)} ${PHASES.map((p) => `${p} ${fmt((v.phases[p].ms * 1000) / v.phases[p].commands, 1)}`).join(', ')}; ` +
      `wasm memory ${(v.wasm_bytes / 1048576).toFixed(1)} MB`);
  }
}
const g = (k) => bytes[k]?.gzip;
console.log(`\nbytes shipped, gzip -9 (wasm + glue + API): packdesk ${fmt(g('packdesk'))} B, sql.js ${fmt(g('sqljs'))} B: ` +
  `packdesk/sql.js ${(g('packdesk') / g('sqljs')).toFixed(3)} (${(g('sqljs') / g('packdesk')).toFixed(1)}x smaller). ` +
  `Not counted: the peer's own shop code (${fmt(g('sqljs_shop_code'))} B gzipped)` +
  (bytes.packdesk_store_code ? `, packdesk's browser store (${fmt(bytes.packdesk_store_code.gzip)} B gzipped).` : '.'));
if (bytes.packdesk_shipped) {
  console.log(`the core the console and widget ship (-Oz, minified): packdesk ${fmt(g('packdesk_shipped'))} B: ` +
    `packdesk/sql.js ${(g('packdesk_shipped') / g('sqljs')).toFixed(3)} (${(g('sqljs') / g('packdesk_shipped')).toFixed(1)}x smaller)`);
}
console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, sql.js ${SQLJS_VERSION}; ` +
  `time inside each system's entry point only, after a ${WARMUP}-order warm-up; whole run ${wall.toFixed(1)} s. ` +
  'Same first page listed by both at every N: yes.');

mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'build/bench/peer-node.json'), `${JSON.stringify({
  date: new Date().toISOString(), cpu: os.cpus()[0]?.model, node: process.version,
  sqljs: SQLJS_VERSION, wall_seconds: wall, results, variants, bytes }, null, 2)}\n`);
console.log('written: build/bench/peer-node.json');
