// store-browser.mjs: the store in headless Chromium on real IndexedDB, at 1k and 100k orders:
// the save per command (exec → `saved`, one command at a time: what a packer waits for), and the
// time to open the store in a fresh page (IDBFS load + snapshot pages + journal tail): the median
// of OPENS opens, each in a new page, with the median of each phase the store measures
// (packdesk-store.mjs: the core's import and instantiation run alongside the lock and the
// IndexedDB read, so the phases overlap and do not add up to the open) and the machine's load.
// Opens load the console's core (build/widget/: -Oz, emmalloc, what a seller's browser runs) and,
// alternately, the -O2 one Node runs (build/wasm/). They open with the whole journal tail the
// workload left (idleCheckpointMs null: a tab killed before it was ever idle), then, once a tab
// has been idle and checkpointed, with none (what a seller's next open after a pause replays).
// Last, lazy opens with the longest tail there can be: one record short of a checkpoint, of the
// smallest command a packer sends (line.check: 255 records), as a tab killed at the worst moment
// leaves it (the store's tail-pages names the pages whose bodies its replay needs, so a lazy open
// reads them with the rest and waits for no load: body_loads_lazy_full). Each also opens with
// lazy bodies (openStore's lazyBodies: an order page's bodies are read when a command needs
// them), and every open is followed by the first page of orders.list (50 rows,
// through run(): with lazy bodies it loads the pages its rows are on), timed from the open's start.
// Then a follower tab: what each of the writer's saves costs it (follower_refresh_ms: the changed
// files read, the new journal records applied; before pd_store_follow, a whole open).
// Every command carries an op id, as the console's do (web/shop.mjs): the store then keeps the
// newest OPS_KEPT answers (core/shop.h), which every open reads; without ops an open of 100k
// orders measured ~40 ms less than a seller's (session 8).
// Prints JSON lines; bench/run-store.mjs puts them in the table. usage: node bench/store-browser.mjs [N...]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, serveRepo } from '../tests/lib/browser.mjs';

const AT = 1764230400000;
const sizes = process.argv.slice(2).map(Number);
if (!sizes.length) sizes.push(1000, 100000);
const server = await serveRepo();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const OPENS = 9; // this machine varies ±25% open to open: a median of 9
// The cores an open loads: the console's (web/app.mjs's CORE) and the -O2 one.
const CORES = { console: '/build/widget/', o2: '/build/wasm/' };
// bench field → the store's measure (performance timeline) it reports.
const PHASES = {
  core_import_ms: 'packdesk:core-import', core_instantiate_ms: 'packdesk:core-instantiate', lock_ms: 'packdesk:lock',
  idb_read_ms: 'packdesk:idb-read', idb_apply_ms: 'packdesk:idb-apply', idb_load_ms: 'packdesk:idb-load', c_open_ms: 'packdesk:open',
};
const round = (x) => (x === undefined ? undefined : Math.round(x * 10) / 10);

for (const n of sizes) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'packdesk-bench-'));
  const context = await chromium.launchPersistentContext(dir, CHROMIUM);
  const open = async (options, list = true) => {
    const page = await context.newPage();
    await page.goto(`${server.origin}/tests/browser/store.html`);
    await page.waitForFunction(() => window.pageReady);
    const { ms, listMs, phases, replayed, bodyLoads } = await page.evaluate(async ({ names, options, at, list }) => {
      const t0 = performance.now();
      await window.openTestStore(options);
      const total = performance.now() - t0;
      const rows = list ? (await window.store.run({ cmd: 'orders.list', at, limit: 50 })).response : null;
      if (rows && (!rows.ok || rows.result.orders.length !== 50)) throw new Error(`orders.list: ${JSON.stringify(rows).slice(0, 200)}`);
      const listMs = performance.now() - t0;
      const last = (name) => performance.getEntriesByName(name).at(-1)?.duration;
      return { ms: total, listMs, phases: Object.fromEntries(Object.entries(names).map(([field, name]) => [field, last(name)])),
        // the journal tail the open replayed (at most a segment), and how many loads of bodies it waited for
        replayed: window.store.report.replayed, bodyLoads: window.store.report.bodyLoads };
    }, { names: PHASES, options, at: AT, list });
    return { page, ms, listMs, phases, replayed, bodyLoads };
  };
  let { page } = await open({ baseUrl: CORES.console, idleCheckpointMs: null }, false);
  // Fill the shop in bursts of 1,000 imports, each burst saved before the next.
  await page.evaluate(async ({ n, AT }) => {
    for (let start = 0; start < n; start += 1000) {
      const runs = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        runs.push(window.store.exec({ cmd: 'order.import', at: AT + i, op: `import-${i}`, order: {
          id: `O${i}`, placed_at: AT + i, paid_at: AT + i, currency: 'VND',
          lines: [{ id: 'L1', sku: `SKU-${i % 500}`, name: `Product ${i % 500}`, quantity: 1, unit_price: 150000 }],
          buyer: { name: `Buyer ${i}`, phone: '+84 900 000 000', address: `${i} Le Loi`, region: 'Ho Chi Minh' } } }));
      }
      await Promise.all(runs.map((r) => r.saved));
    }
  }, { n, AT });
  // One command at a time, each waited for, on the newest orders.
  const saves = await page.evaluate(async ({ n, AT }) => {
    const times = [];
    for (let i = n - 200; i < n; i++) {
      const t0 = performance.now();
      const r = window.store.exec({ cmd: 'line.check', at: AT + n + i, op: `check-${i}`, order_id: `O${i}`, line_id: 'L1', result: 'ok' });
      if (!r.response.ok) throw new Error(JSON.stringify(r.response));
      await r.saved;
      times.push(performance.now() - t0);
    }
    return times;
  }, { n, AT });
  await page.close();
  // Each open in a fresh page, the one before closed (so each is the writer).
  const load = os.loadavg()[0];
  const opensOf = async (runs) => {
    const opens = Object.fromEntries(runs.map(([name]) => [name, []]));
    let orders;
    for (let i = 0; i < OPENS; i++) {
      for (const [name, options] of i % 2 ? [...runs].reverse() : runs) {
        const reopened = await open(options);
        orders = await reopened.page.evaluate(() => window.query({ cmd: 'stats', at: 1764230400000 }).result.orders);
        await reopened.page.close();
        opens[name].push(reopened);
      }
    }
    return { opens, orders };
  };
  const summary = (opens) => ({ ms: round(median(opens.map((o) => o.ms))), all: opens.map((o) => round(o.ms)),
    list: round(median(opens.map((o) => o.listMs))), replayed: [...new Set(opens.map((o) => o.replayed))],
    bodyLoads: [...new Set(opens.map((o) => o.bodyLoads))] });
  const lazy = { baseUrl: CORES.console, idleCheckpointMs: null, lazyBodies: true };
  const whole = await opensOf([['console', { baseUrl: CORES.console, idleCheckpointMs: null }], ['o2', { baseUrl: CORES.o2, idleCheckpointMs: null }], ['lazy', lazy]]);
  const phases = Object.fromEntries(Object.keys(PHASES).map((field) => [field, round(median(whole.opens.console.map((o) => o.phases[field])))]));
  // A tab left idle: it checkpoints (and saves) the tail; then the same opens with nothing to replay.
  ({ page } = await open({ baseUrl: CORES.console }, false));
  const checkpointed = await page.evaluate(() => new Promise((resolve) => {
    window.store.addEventListener('checkpoint', (e) => resolve(e.detail.error?.message ?? 'ok'), { once: true });
    setTimeout(() => resolve('none within 10 s'), 10000);
  }).then(async (how) => (await window.store.flush(), how)));
  await page.close();
  const idle = await opensOf([['console', { baseUrl: CORES.console, idleCheckpointMs: null }], ['lazy', lazy]]);
  // The longest tail an open can meet: a tab killed with its journal tail one record short of a
  // checkpoint, of the smallest commands a packer sends (line.check with an op id, ~130 bytes a
  // record), each on an order not checked yet. From the checkpointed store, as many as fit under
  // both of core/store.c's limits: SEGMENT_MAX bytes (a record is 20 bytes + its request) and
  // TAIL_RECORDS_MAX records (without it, ~2,080 such records filled a segment).
  ({ page } = await open({ baseUrl: CORES.console, idleCheckpointMs: null, lazyBodies: true }, false));
  const fullTail = await page.evaluate(async ({ n, AT, SEGMENT_MAX, TAIL_RECORDS_MAX }) => {
    const requests = [];
    for (let bytes = 0, i = n - 201; i >= 0 && requests.length < TAIL_RECORDS_MAX - 1; i--) {
      const text = JSON.stringify({ cmd: 'line.check', at: AT + 2 * n + i, op: `full-${i}`, order_id: `O${i}`, line_id: 'L1', result: 'ok' });
      bytes += 20 + new TextEncoder().encode(text).length;
      if (bytes > SEGMENT_MAX) break;
      requests.push(text);
    }
    for (const text of requests) {
      const r = await window.store.run(text);
      if (!r.response.ok) throw new Error(`line.check: ${JSON.stringify(r.response).slice(0, 200)}`);
      await r.saved;
    }
    return requests.length;
  }, { n, AT, SEGMENT_MAX: 256 * 1024, TAIL_RECORDS_MAX: 256 }); // core/store.c's, packdesk.h's
  await page.close();
  const full = await opensOf([['lazy', lazy]]);
  const lazyFull = summary(full.opens.lazy);
  if (lazyFull.replayed.length !== 1 || lazyFull.replayed[0] !== fullTail) {
    throw new Error(`the full-segment tail replayed ${lazyFull.replayed}, not ${fullTail}: a checkpoint came first`);
  }
  // A follower tab: the writer's saves, one at a time, each taken on by the follower. The
  // writer first replays the full tail and, idle, checkpoints it, so no checkpoint falls among
  // the saves (each would make the follower open the whole shop again, as every save did
  // before pd_store_follow). Each refresh is timed in the follower, from the writer's
  // announcement to the shop caught up (packdesk:refresh: reading the changed files, then the
  // new records applied).
  ({ page } = await open({ baseUrl: CORES.console, idleCheckpointMs: 100, lazyBodies: true }, false));
  const writerCheckpointed = await page.evaluate(() => new Promise((resolve) => {
    window.store.addEventListener('checkpoint', (e) => resolve(e.detail.error?.message ?? 'ok'), { once: true });
    setTimeout(() => resolve('none within 10 s'), 10000);
  }).then(async (how) => (await window.store.flush(), how)));
  const { page: followerPage } = await open({ baseUrl: CORES.console, idleCheckpointMs: null, lazyBodies: true }, false);
  const follows = [];
  for (let i = 0; i < OPENS; i++) {
    await page.evaluate(async ({ at, i }) => {
      const r = await window.store.run({ cmd: 'line.check', at, op: `follow-${i}`, order_id: `O${i}`, line_id: 'L1', result: 'ok' });
      if (!r.response.ok) throw new Error(JSON.stringify(r.response).slice(0, 200));
      await r.saved;
    }, { at: AT + 3 * n + i, i });
    follows.push(await followerPage.waitForFunction((k) => window.store.report.followed === k
      && performance.getEntriesByName('packdesk:refresh').at(-1)?.duration, i + 1, { timeout: 20000 }).then((h) => h.jsonValue()));
  }
  const followerOrders = await followerPage.evaluate(() => window.query({ cmd: 'stats', at: 1764230400000 }).result.orders);
  if (followerOrders !== n || writerCheckpointed !== 'ok') throw new Error(`follower: ${followerOrders} orders, writer's checkpoint ${writerCheckpointed}`);
  await followerPage.close();
  await page.close();
  const [tail, o2, after] = [summary(whole.opens.console), summary(whole.opens.o2), summary(idle.opens.console)];
  const [lazyTail, lazyAfter] = [summary(whole.opens.lazy), summary(idle.opens.lazy)];
  console.log(JSON.stringify({ orders: n, browser_save_ms_median: median(saves), browser_save_ms_max: Math.max(...saves),
    browser_open_ms: tail.ms, ...phases, reopened_orders: whole.orders, replayed: tail.replayed, browser_open_ms_all: tail.all,
    browser_open_o2_ms: o2.ms, browser_open_o2_ms_all: o2.all,
    checkpointed, browser_open_idle_ms: after.ms, replayed_idle: after.replayed, browser_open_idle_ms_all: after.all,
    browser_open_lazy_ms: lazyTail.ms, browser_open_lazy_ms_all: lazyTail.all, browser_open_lazy_idle_ms: lazyAfter.ms, browser_open_lazy_idle_ms_all: lazyAfter.all,
    first_list_ms: tail.list, first_list_lazy_ms: lazyTail.list, first_list_idle_ms: after.list, first_list_lazy_idle_ms: lazyAfter.list,
    browser_open_lazy_full_ms: lazyFull.ms, replayed_full: lazyFull.replayed, body_loads_lazy: lazyTail.bodyLoads, body_loads_lazy_full: lazyFull.bodyLoads, browser_open_lazy_full_ms_all: lazyFull.all, first_list_lazy_full_ms: lazyFull.list,
    follower_refresh_ms: round(median(follows)), follower_refresh_ms_all: follows.map(round),
    load_avg: round((load + os.loadavg()[0]) / 2) }));
  await context.close();
  await rm(dir, { recursive: true, force: true });
}
await server.close();
