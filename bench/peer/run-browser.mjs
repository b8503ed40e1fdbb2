// run-browser.mjs: packdesk (wasm) and sql.js side by side in ONE headless Chromium page
// (bench/peer/page.html), on the workload of workload.mjs, with the same table and ratios as
// run-node.mjs; then the floor of persistence: one raw IndexedDB transaction with one small put,
// beside packdesk's save per command (wasm/packdesk-store.mjs). Writes build/bench/peer-browser.json.
//
// usage: node bench/peer/run-browser.mjs [N...]   (default: 1000 10000 100000)
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
const sizes = process.argv.slice(2).map(Number);
if (!sizes.length) sizes.push(1000, 10000, 100000);

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
  await call('run', 'packdesk', 4 * WARMUP, null);
  await call('run', 'sqljs', 4 * WARMUP, null);
  const results = [];
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

  const floor = await call('idbFloor', FLOOR_COUNT);
  let store;
  try {
    store = await call('storeSave', FLOOR_COUNT);
  } catch (err) {
    store = { error: String(err.message ?? err).split('\n')[0] };
  }
  out = { date: new Date().toISOString(), chromium: version, cross_origin_isolated: isolated, wall_seconds: (performance.now() - t0) / 1000, results, floor, store };
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

printTable(`packdesk (wasm) vs sql.js, one Chromium page (${out.chromium})`, out.results);
const ms = (x) => `${x.toFixed(3)} ms`;
console.log(`\nthe floor, ${FLOOR_COUNT} sequential transactions each: raw IndexedDB, one small put per transaction: ` +
  `median ${ms(out.floor.median_ms)} (p90 ${ms(out.floor.p90_ms)})`);
if (out.store.error || out.store.median_ms == null) {
  console.log(`packdesk store: not measured (wasm/packdesk-store.mjs not ready: ${out.store.error ?? 'no figure'})`);
} else {
  const r = out.store.median_ms / out.floor.median_ms;
  console.log(`packdesk store, exec → saved per command, one at a time: median ${ms(out.store.median_ms)} (p90 ${ms(out.store.p90_ms)}): ` +
    `${r.toFixed(2)}x the raw put`);
}
console.log(`whole run ${out.wall_seconds.toFixed(1)} s`);
mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'build/bench/peer-browser.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('written: build/bench/peer-browser.json');
