// run-browser.mjs: packdesk (wasm) and sql.js side by side in ONE headless Chromium page
// (bench/peer/page.html), on the workload of workload.mjs, with the same table and ratios as
// run-node.mjs; then the floor of persistence: one raw IndexedDB transaction with one small put,
// beside packdesk's save per command (wasm/packdesk-store.mjs). Writes build/bench/peer-browser.json.
//
// The floor is measured with both durabilities: 'strict' (complete once the data is on disk:
// what packdesk's saves ask for, so the ratio that counts is against it, `floor` in the JSON)
// and Chromium's default (`floor_default`; here it measures as 'relaxed' does: complete may come
// before the disk has it). The two floors and the save run in ROUNDS interleaved rounds of
// FLOOR_COUNT, pooled, so that a busy spell of the machine weighs on all three alike; each round
// also has an instrumented run of the save, which says where its time goes (browser-bench.mjs,
// storeSave phases; medians over the rounds).
//
// usage: node bench/peer/run-browser.mjs [N...]   (default: 1000 10000 100000)
//        node bench/peer/run-browser.mjs --save    (the floor and the save only; writes nothing)
//   At N > SLICE_ABOVE, confirm-pack-ship runs on the first SLICE orders only (import and the
//   listing still cover all N), so the page stays within about a minute; the table says so.
//
// Chromium: /usr/bin/chromium through playwright-core, the flags of PLATFORM.md, plus
// --js-flags=--expose-gc and --enable-precise-memory-info (a full GC and exact heap figures
// between runs), on a fresh user-data directory (removed afterwards).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { printTable } from './table.mjs';
import { WARMUP } from './workload.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLICE_ABOVE = 10000;
const SLICE = 10000;
const FLOOR_COUNT = 200;
const ROUNDS = 3;
const saveOnly = process.argv.includes('--save');
const sizes = process.argv.slice(2).filter((a) => a !== '--save').map(Number);
if (!sizes.length && !saveOnly) sizes.push(1000, 10000, 100000);

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const summary = (xs) => {
  const s = sorted(xs);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { count: s.length, median_ms: median, p90_ms: s[Math.min(s.length - 1, Math.floor(0.9 * s.length))], min_ms: s[0] };
};

const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer(async (req, res) => {
  const file = path.join(ROOT, path.normalize(decodeURIComponent(new URL(req.url, 'http://localhost').pathname)));
  if (!file.startsWith(ROOT)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    // Cross-origin isolated, so that performance.now() has Chromium's fine resolution (5 µs,
    // instead of 100 µs): the commands measured take 10-100 µs each.
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const profile = mkdtempSync(path.join(os.tmpdir(), 'packdesk-peer-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc', '--enable-precise-memory-info'],
});
const t0 = performance.now();
let out;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/bench/peer/page.html`);
  await page.waitForFunction(() => window.peerBenchReady === true, null, { timeout: 20000 }).catch(() => {});
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  const isolated = await page.evaluate(() => window.crossOriginIsolated);
  const version = context.browser()?.version() ?? 'Chromium';
  const call = (fn, ...args) => page.evaluate(({ fn, args }) => window.peerBench[fn](...args), { fn, args });

  // A longer warm-up than in Node: Chromium tiers wasm up lazily, function by function.
  const results = [];
  if (sizes.length) {
    await call('run', 'packdesk', 4 * WARMUP, null);
    await call('run', 'sqljs', 4 * WARMUP, null);
  }
  for (const n of sizes) {
    const slice = n > SLICE_ABOVE ? SLICE : null;
    const pd = await call('run', 'packdesk', n, slice);
    const sq = await call('run', 'sqljs', n, slice);
    if (JSON.stringify(pd.listed) !== JSON.stringify(sq.listed) || pd.total !== sq.total) {
      throw new Error(`at N=${n} the two systems listed different pages`);
    }
    for (const r of [pd, sq]) delete r.listed;
    results.push({ n, slice, packdesk: pd, sqljs: sq });
    process.stderr.write(`  chromium: N=${n} done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }

  const pools = { strict: [], default: [], store: [], phases: [] };
  let store = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      pools.strict.push(...(await call('idbFloor', FLOOR_COUNT, 20, 'strict')).samples);
      const s = await call('storeSave', FLOOR_COUNT);
      if (s.error) throw new Error(s.error);
      pools.store.push(...s.samples);
      store.usage_bytes = s.usage_bytes;
      pools.default.push(...(await call('idbFloor', FLOOR_COUNT, 20, 'default')).samples);
      pools.phases.push(...(await call('storeSave', FLOOR_COUNT, 20, { phases: true })).phase_rows);
    }
    const col = (i) => summary(pools.phases.map((row) => row[i])).median_ms;
    store = { ...summary(pools.store), usage_bytes: store.usage_bytes };
    store.phases = { saves: pools.phases.length, exec_ms: col(0), to_transaction_ms: col(1), transaction_and_puts_ms: col(2),
      commit_ms: col(3), to_saved_ms: col(4), puts: col(5), bytes: col(6), total_ms: col(7) };
  } catch (err) {
    store = { error: String(err.message ?? err).split('\n')[0] };
  }
  const floor = { ...summary(pools.strict), durability: 'strict', rounds: ROUNDS };
  const floorDefault = pools.default.length ? { ...summary(pools.default), durability: 'default', rounds: ROUNDS } : null;
  out = { date: new Date().toISOString(), chromium: version, cross_origin_isolated: isolated, wall_seconds: (performance.now() - t0) / 1000,
    results, floor, floor_default: floorDefault, store };
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

if (out.results.length) printTable(`packdesk (wasm) vs sql.js, one Chromium page (${out.chromium})`, out.results);
const ms = (x) => `${x.toFixed(3)} ms`;
const fig = (x) => (x ? `median ${ms(x.median_ms)} (p90 ${ms(x.p90_ms)})` : 'not measured');
console.log(`\nthe floor, ${ROUNDS} x ${FLOOR_COUNT} sequential transactions, one small put each, raw IndexedDB:`);
console.log(`  durability 'strict' (what packdesk's saves ask for): ${fig(out.floor)}`);
console.log(`  Chromium's default durability (as 'relaxed'):        ${fig(out.floor_default)}`);
if (out.store.error || out.store.median_ms == null) {
  console.log(`packdesk store: not measured (wasm/packdesk-store.mjs not ready: ${out.store.error ?? 'no figure'})`);
} else {
  const r = out.store.median_ms / out.floor.median_ms;
  const rd = out.floor_default ? ` (${(out.store.median_ms / out.floor_default.median_ms).toFixed(2)}x the default one)` : '';
  console.log(`packdesk store, exec → saved per command, one at a time ('strict'): ${fig(out.store)}: ${r.toFixed(2)}x the strict put${rd}`);
  const p = out.store.phases;
  if (p) {
    console.log(`  where a save's time goes (medians of instrumented runs, ${p.saves} saves): exec ${ms(p.exec_ms)}, ` +
      `to the transaction ${ms(p.to_transaction_ms)}, transaction() and puts ${ms(p.transaction_and_puts_ms)}, ` +
      `commit ${ms(p.commit_ms)}, complete → saved ${ms(p.to_saved_ms)} (whole: ${ms(p.total_ms)}); ${p.puts} put(s), ${p.bytes} bytes a save`);
  }
}
console.log(`whole run ${out.wall_seconds.toFixed(1)} s`);
if (!saveOnly) {
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/peer-browser.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('written: build/bench/peer-browser.json');
}
