// console.mjs: the seller console's half of `make bench`, in headless Chromium against the real
// web/server.mjs. A shop of N orders (10k by default) is put in the console's IndexedDB store
// first; then the time from navigation to the first order list rendered (performance.now() when
// the first row appears, measured from the navigation's start), once on a cold page and a few
// times reloaded, and the bytes the console loads: shell files (HTML, modules, CSS, icon) and
// the wasm core with its glue, raw and gzipped (zlib level 9: what a server would send), and where
// the time went (the page's packdesk: marks and measures, resource timings; median reload).
// Prints a table; adds {console: {...}} to build/bench/results.json when that file exists.
// usage: [PACKDESK_BENCH_RELOADS=5] node bench/console.mjs [orders]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../tests/lib/browser.mjs';
import { startConsoleServer } from '../tests/lib/console.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.argv[2] ?? 10000);
const RELOADS = Number(process.env.PACKDESK_BENCH_RELOADS ?? 5); // more on a noisy machine
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The real server, on a free port, without a sync server (the console alone).
const server = await startConsoleServer({ env: { PACKDESK_DATA: undefined } });
const { origin } = server;

const dir = await mkdtemp(path.join(os.tmpdir(), 'packdesk-bench-console-'));
const context = await chromium.launchPersistentContext(dir, { ...CHROMIUM, viewport: { width: 1280, height: 800 } });
try {
  // Fill the console's store ('default') from a page of the console's origin that opens the store
  // and nothing else. Orders placed over the last hours, paid, with their deadlines ahead: the
  // New tab holds them all, and nothing is overdue (no tick work before the first paint).
  const fill = await context.newPage();
  await fill.route(`${origin}/bench-fill.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><script type="module">
      import { openStore } from '/wasm/packdesk-store.mjs';
      window.store = await openStore({ name: 'default' });
      window.filled = true;
    </script>`,
  }));
  await fill.goto(`${origin}/bench-fill.html`);
  await fill.waitForFunction(() => window.filled, null, { timeout: 60000 });
  const t0 = Date.now();
  await fill.evaluate(async (n) => {
    const now = Date.now();
    const DAY = 24 * 3600 * 1000;
    const products = ['TEA-OOLONG-200', 'MUG-CERAMIC', 'TOWEL-COTTON', 'NOTEBOOK-A5'];
    for (let start = 0; start < n; start += 1000) {
      const runs = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const placed = now - Math.round((n - i) * Math.min(10000, DAY / n)); // within the last day, so none is due
        // With an op id, as the console's commands carry: the store keeps the newest answers
        // (OPS_KEPT), which every open reads, as a seller's does.
        const r = window.store.exec({ cmd: 'order.import', at: placed, op: `import-${i}`, order: {
          id: `B${String(i).padStart(6, '0')}`, placed_at: placed, paid_at: placed, currency: 'VND',
          lines: [{ id: 'L1', sku: products[i % 4], name: `Product ${i % 4}`, quantity: 1 + (i % 3), unit_price: 150000 }],
          buyer: { name: `Buyer ${i}`, phone: '0900000000', address: `${i} Le Loi, Q1`, region: 'Ho Chi Minh' } } });
        if (!r.response.ok) throw new Error(JSON.stringify(r.response.error));
        runs.push(r.saved);
      }
      await Promise.all(runs);
    }
    await window.store.close();
  }, N);
  const fillSeconds = (Date.now() - t0) / 1000;
  await fill.close();

  // The console: time to the first rendered row, and every byte it loaded from the origin.
  const page = await context.newPage();
  // The page says when it is done (a console message, which Playwright is sent): waiting with
  // page.waitForFunction would run its predicate in the page at every frame, over DevTools, on
  // the main thread the console starts on.
  // A row counts once the seller can see it: the console draws its first screen out of sight
  // first (app.mjs: the bodies it shows are loaded before it is shown).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      const shown = document.getElementById('console')?.hidden === false;
      if (window.firstList === undefined && shown && document.querySelector('#orders button[data-order-id]')) window.firstList = performance.now();
      if (window.firstList !== undefined && document.body?.dataset.ready) {
        observer.disconnect();
        console.log('packdesk-bench: ready');
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready', 'hidden'] });
  });
  const loaded = new Map();
  page.on('response', async (response) => {
    if (!response.url().startsWith(origin) || response.status() !== 200) return;
    const url = new URL(response.url()).pathname;
    loaded.set(url, await response.body().catch(() => Buffer.alloc(0)));
  });
  const visit = async (go) => {
    const done = page.waitForEvent('console', { predicate: (m) => m.text() === 'packdesk-bench: ready', timeout: 120000 });
    await go();
    await done;
    return page.evaluate(() => {
      // Where the time went: app.mjs's marks and the store's measures (wasm/packdesk-store.mjs).
      const at = {};
      for (const e of performance.getEntriesByType('mark')) if (e.name.startsWith('packdesk:')) at[e.name.slice(9)] = e.startTime;
      for (const e of performance.getEntriesByType('measure')) if (e.name.startsWith('packdesk:')) at[`${e.name.slice(9)}_ms`] = e.duration;
      const nav = performance.getEntriesByType('navigation')[0];
      if (nav) at.html = nav.responseEnd;
      at.sw = navigator.serviceWorker?.controller ? 1 : 0; // 1: this load came through web/sw.js
      for (const r of performance.getEntriesByType('resource')) {
        if (/\/(app|packdesk)\.(m?js|wasm)$/.test(r.name)) at[r.name.split('/').pop()] = r.responseEnd;
      }
      return { ms: window.firstList, at, orders: Number(document.getElementById('tab-awaiting_confirmation').dataset.count) };
    });
  };
  const cold = await visit(() => page.goto(`${origin}/#stage=awaiting_confirmation`));
  if (cold.orders !== N) throw new Error(`the console shows ${cold.orders} new orders, not ${N}`);
  // The reloads a seller makes run under the service worker (web/sw.js): wait until it is active,
  // so that every measured reload is one of those, not the first one or two before it took over.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const warm = [];
  const steps = [];
  for (let i = 0; i < RELOADS; i++) {
    const v = await visit(() => page.reload());
    warm.push(v.ms);
    steps.push(v.at);
  }
  // The median reload's breakdown, ms from navigation start (marks) or durations (_ms).
  const breakdown = {};
  for (const key of new Set(steps.flatMap(Object.keys))) breakdown[key] = Math.round(median(steps.map((s) => s[key] ?? NaN)));

  const size = { shell: { raw: 0, gzip: 0, files: 0 }, wasm: { raw: 0, gzip: 0, files: 0 } };
  for (const [url, body] of loaded) {
    const part = /^\/build\/(wasm|widget)\/packdesk\.(mjs|wasm)$/.test(url) ? size.wasm : size.shell;
    part.raw += body.length;
    part.gzip += gzipSync(body, { level: 9 }).length;
    part.files++;
  }
  const kb = (b) => (b / 1024).toFixed(1);
  const result = {
    orders: N, fill_s: fillSeconds, first_list_ms_cold: cold.ms, first_list_ms_reload_median: median(warm),
    // bundled: web/server.mjs served build/console/ (make console), not the modules (a stale bundle)
    first_list_ms_reload_max: Math.max(...warm), bundled: loaded.has('/build/console/app.js'), reload_breakdown: breakdown, cold_breakdown: cold.at, bytes: size,
  };
  console.log(`\n| console, Chromium, ${N} orders in IndexedDB       | ${result.bundled ? ' bundled' : ' modules'} |`);
  console.log('|------------------------------------------------|---------:|');
  console.log(`| navigation → first order list, cold page (ms)  | ${cold.ms.toFixed(0).padStart(8)} |`);
  console.log(`| navigation → first order list, reload, median  | ${median(warm).toFixed(0).padStart(8)} |`);
  console.log(`| reload, median: ${Object.entries(breakdown).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`| shell: ${String(size.shell.files).padStart(2)} files, KiB raw / gzipped          | ${kb(size.shell.raw).padStart(5)} / ${kb(size.shell.gzip)} |`);
  console.log(`| wasm core + glue: ${size.wasm.files} files, KiB raw / gzipped  | ${kb(size.wasm.raw).padStart(5)} / ${kb(size.wasm.gzip)} |`);
  console.log(`| total gzipped (KiB)                            | ${kb(size.shell.gzip + size.wasm.gzip).padStart(8)} |`);
  console.log(JSON.stringify(result));
  const file = path.join(ROOT, 'build/bench/results.json');
  mkdirSync(path.dirname(file), { recursive: true });
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  all.console = result;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
} finally {
  await context.close();
  await rm(dir, { recursive: true, force: true });
  await server.stop();
}
