// app.mjs: the seller console. Opens the shop (wasm/packdesk-store.mjs, IndexedDB), seeds the
// demo shop when it is empty (demo-shop.mjs), then renders the stage tabs, the order list and the
// open order from what the core answers, and sends the seller's commands. The URL's hash holds
// what is on screen (#stage=confirmed&order=DEMO-12&q=...&sort=newest), so a reload comes back to it.
// Time: every request's `at` is the clock; a tick as it opens and every minute applies what time
// alone decides.
// With a sync server it is a device of the server's shop instead of the demo (sync-ui.mjs).
import { openStore } from '../wasm/packdesk-store.mjs'; // served at /wasm/; relative so esbuild bundles it
import { seedDemoShop } from './demo-shop.mjs';
import { h } from './dom.mjs';
import { initialLanguage, language, LANGUAGES, onLanguage, setLanguage, t, word } from './i18n.mjs';
import { Shop } from './shop.mjs';
import { beep } from './sound.mjs';
import { StatusBar } from './status.mjs';
import { startConsoleSync, startLink, storeNameFor } from './sync-ui.mjs';
import { createBatch } from './views/batch.mjs';
import { markConflicts } from './views/conflicts.mjs';
import { renderMetrics } from './views/metrics.mjs';
import { renderBell } from './views/notifications.mjs';
import { renderDetail, renderEmptyDetail } from './views/order-detail.mjs';
import { renderList, renderTabs, STAGES, updateCountdowns } from './views/orders.mjs';
import { scanFeedback } from './views/packing.mjs';

const PAGE = 25;
const SORTS = ['urgency', 'newest', 'oldest']; // orders.list's sorts
const TICK_MS = 60 * 1000;
// The core built for size (make widget: -Oz, emmalloc; tests/cases.test.mjs checks its answers are
// byte-identical): the console's byte budget (issue 4) needs it. index.html preloads it.
const CORE = '/build/widget/';
const $ = (id) => document.getElementById(id);

const state = {
  stage: 'awaiting_confirmation', q: '', orderId: null, sort: 'urgency',
  list: [], next: null, total: 0,
  message: null, // {orderId, kind, text}: the last command's result, shown on its order
  feedback: null, // {orderId, kind, text}: the packing station's last scan
  label: null, // {orderId, label}: the shipping label the seller asked for (S1), on screen only
  bellOpen: false,
};
let shop = null;
let status = null;
let batch = null; // views/batch.mjs: the selection, its bar and results
let consoleSync = null; // sync-ui.mjs's, when paired: the order's refused marketplace calls
let link = null; // the pairing the console syncs with (sync-link.mjs), null standalone

// --- the hash: what is on screen ---

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.stage = STAGES.includes(p.get('stage')) ? p.get('stage') : 'awaiting_confirmation';
  state.q = p.get('q') ?? '';
  state.orderId = p.get('order') || null;
  state.sort = SORTS.includes(p.get('sort')) ? p.get('sort') : 'urgency';
}

function go(changes) {
  const next = { stage: state.stage, q: state.q, order: state.orderId, sort: state.sort, ...changes };
  const p = new URLSearchParams();
  if (next.stage) p.set('stage', next.stage);
  if (next.q) p.set('q', next.q);
  if (next.sort !== 'urgency') p.set('sort', next.sort);
  if (next.order) p.set('order', next.order);
  location.hash = p.toString();
}

// --- rendering ---

function staticText() {
  document.documentElement.lang = language();
  document.title = t('app.title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('q').placeholder = t('search.placeholder');
  const select = $('lang');
  select.replaceChildren(...LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === language(), lang: l.code }, l.name)));
  $('sort').replaceChildren(...SORTS.map((s) => h('option', { value: s, selected: s === state.sort }, t(`sort.${s}`))));
  status?.render();
}

function loadList() {
  const args = { limit: Math.min(500, Math.max(PAGE, state.list.length)) };
  if (state.sort !== 'urgency') args.sort = state.sort;
  if (state.q) args.q = state.q;
  else args.stage = state.stage;
  const r = shop.query('orders.list', args);
  if (!r.ok) {
    state.list = [];
    state.next = null;
    state.total = 0;
    return;
  }
  state.list = r.result.orders;
  state.next = r.result.next;
  state.total = r.result.total;
}

function moreOrders() {
  const args = { limit: PAGE, after: state.next };
  if (state.sort !== 'urgency') args.sort = state.sort;
  if (state.q) args.q = state.q;
  else args.stage = state.stage;
  const r = shop.query('orders.list', args);
  if (!r.ok) return;
  state.list = state.list.concat(r.result.orders);
  state.next = r.result.next;
  paintList();
  $('orders').querySelector(`li:nth-child(${state.list.length - r.result.orders.length + 1}) button`)?.focus();
}

function paintList() {
  renderList($('orders'), state.list, { selected: state.orderId, now: shop.now(), onOpen: (id) => go({ order: id }), select: batch.rows });
  markConflicts($('orders'), state.list);
  $('more').hidden = !state.next;
  $('list-info').textContent = state.list.length ? t('list.count', { shown: state.list.length, total: state.total }) + ` · ${t(`sort.${state.sort}`)}` : '';
  batch.paint(state.list);
}

function paintDetail() {
  const section = $('detail');
  if (!state.orderId) return renderEmptyDetail(section);
  const r = shop.query('order.get', { order_id: state.orderId });
  if (!r.ok) {
    renderEmptyDetail(section);
    section.prepend(h('p', { class: 'message', dataset: { kind: 'refused' } }, refusal(r.error)));
    return;
  }
  const mine = (x) => (x?.orderId === state.orderId ? x : null);
  renderDetail(section, r.result, {
    now: shop.now(), message: mine(state.message), feedback: mine(state.feedback),
    run: (cmd, args) => run(r.result, cmd, args), scan: (sku) => scan(r.result, sku),
    close: () => go({ order: null }),
    label: state.label, hideLabel: () => {
      state.label = null;
      refresh();
    },
  });
  const refusedCalls = consoleSync?.notice(state.orderId); // views/marketplace-calls.mjs
  if (refusedCalls) $('detail-message').before(refusedCalls);
}

// The bell and the metrics live outside index.html's panes: they are added once, here.
function mountShopParts() {
  const bell = h('button', { type: 'button', id: 'bell', class: 'bell', 'aria-controls': 'notifications', dataset: { key: 'bell' } });
  bell.addEventListener('click', toggleBell);
  const panel = h('section', { id: 'notifications', class: 'notifications', hidden: true, 'aria-labelledby': 'notifications-title' });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') toggleBell();
  });
  $('lang').closest('label').before(bell);
  document.querySelector('header.bar').after(panel);
  $('tabs').after(h('section', { id: 'metrics', class: 'metrics' }));
  mountBatch();
}

// The batch bar, new: its selection names orders of the shop it was made on (a switch of store
// starts another, whose orders may carry the same ids).
function mountBatch() {
  const next = createBatch({
    query: (cmd, args) => shop.query(cmd, args), command: (cmd, args) => shop.command(cmd, args),
    refusal, now: () => shop.now(), refresh: () => refresh(), openOrder: (id) => go({ order: id }),
  });
  if (batch) {
    batch.bar.replaceWith(next.bar);
    batch.results.replaceWith(next.results);
  } else {
    $('list-info').after(next.bar, next.results);
  }
  batch = next;
}

function toggleBell() {
  state.bellOpen = !state.bellOpen;
  paintShopParts();
  (state.bellOpen ? $('notifications').querySelector('button') : $('bell'))?.focus();
}

function paintShopParts() {
  const notes = shop.query('notifications.list');
  renderBell($('bell'), $('notifications'), notes.ok ? notes.result : null, {
    open: state.bellOpen, toggle: toggleBell,
    read: (ids) => {
      const r = shop.command('notifications.read', { ids });
      refresh();
      if (!r.ok) $('notifications').prepend(h('p', { class: 'message', dataset: { kind: 'refused' } }, refusal(r.error)));
    },
    openOrder: (orderId, noteId) => {
      if (noteId !== null) shop.command('notifications.read', { ids: [noteId] });
      state.bellOpen = false;
      if (orderId === state.orderId) refresh();
      else go({ order: orderId, q: '' });
    },
  });
  const metrics = shop.query('metrics');
  renderMetrics($('metrics'), metrics.ok ? metrics.result : null);
}

/** Re-reads everything from the core and repaints; keeps focus (and, on a tick, typed text and chosen options). */
function refresh({ keepInputs = false } = {}) {
  const focusKey = document.activeElement?.dataset?.key;
  // Selects too: a repaint that kept a typed drop-off point but reset the method to pickup would
  // send a request the core refuses (H1).
  const typed = keepInputs ? [...$('detail').querySelectorAll('input[data-key], select[data-key]')].map((el) => [el.dataset.key, el.value]) : [];
  const stats = shop.query('stats');
  renderTabs($('tabs'), stats.ok ? stats.result : null, state.q ? null : state.stage, (stage) => go({ stage, q: '' }));
  loadList();
  paintList();
  paintShopParts();
  paintDetail();
  for (const [key, value] of typed) {
    const el = $('detail').querySelector(`input[data-key="${key}"], select[data-key="${key}"]`);
    if (el && (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === value))) el.value = value;
  }
  if (focusKey) {
    const el = document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (el) el.focus();
    else if (state.orderId) $('detail-title')?.focus();
  }
}

// --- commands ---

function refusal(error) {
  return t('result.refused', {
    code: word('error', error.code), rule: error.rule ? t('result.rule', { rule: error.rule }) : '', message: error.message,
  });
}

function run(order, cmd, args = {}) {
  // Requests are named by their own id (<order_id>/r<n>); every other command by the order's.
  const r = shop.command(cmd, cmd.startsWith('request.') ? args : { order_id: order.id, ...args });
  let text;
  if (!r.ok) text = refusal(r.error);
  else if (cmd === 'order.cancel' || r.result.order?.stage === 'cancelled' && order.stage !== 'cancelled' && noticeQueued(order.id)) text = t('step1.cancelled_notice');
  else if (cmd === 'message.send') text = t('msg.queued');
  else text = t('result.ok', { what: word('cmd', cmd) });
  if (r.ok && cmd === 'label.print') state.label = { orderId: order.id, label: r.result.label };
  state.message = { orderId: order.id, kind: r.ok ? 'ok' : 'refused', text };
  refresh();
  return r;
}

/** Whether the core queued a cancellation notice to this order's buyer (C7), as its outbox says. */
function noticeQueued(orderId) {
  const r = shop.query('outbox.list', { order_id: orderId });
  return r.ok && r.result.items.some((m) => m.order_id === orderId && m.kind === 'cancellation_notice');
}

function scan(order, sku) {
  const r = shop.command('pack.scan', { order_id: order.id, sku });
  const feedback = scanFeedback(r);
  feedback.orderId = order.id;
  state.feedback = feedback;
  state.message = null;
  const sound = beep(feedback.kind);
  refresh();
  $('scan-feedback')?.setAttribute('data-sound', sound ?? 'none');
  $('detail').querySelector('input[data-key="scan"]')?.focus();
}

// --- start ---

function wire() {
  $('lang').addEventListener('change', (e) => {
    setLanguage(e.target.value);
    try {
      localStorage.setItem('packdesk.lang', language());
    } catch { /* storage refused: the choice lasts this visit */ }
  });
  onLanguage(() => {
    staticText();
    refresh();
  });
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    go({ q: $('q').value.trim(), order: null });
  });
  $('search-clear').addEventListener('click', () => {
    $('q').value = '';
    go({ q: '' });
  });
  $('more').addEventListener('click', moreOrders);
  $('sort').addEventListener('change', (e) => go({ sort: e.target.value }));
  addEventListener('hashchange', () => {
    const before = state.orderId;
    readHash();
    if (state.label?.orderId !== state.orderId) state.label = null; // the address leaves the screen with its order
    $('q').value = state.q;
    $('sort').value = state.sort;
    state.list = [];
    refresh();
    if (state.orderId && state.orderId !== before) {
      $('detail-title')?.focus();
      $('detail').scrollIntoView?.({ block: 'start' });
    }
  });
  setInterval(() => {
    updateCountdowns(document.body, shop.now());
  }, 1000);
  setInterval(() => {
    if (!shop.store.isWriter) return refresh({ keepInputs: true }); // a follower shows what the writer saved
    const r = shop.tick();
    if (r.ok && r.result.changed > 0) refresh({ keepInputs: true });
  }, TICK_MS);
}

// Opens the store of `pairing` (sync-ui.mjs's storeNameFor). The bar shows a store's statuses
// while it is the console's: a switch opens the next store before it leaves the one on screen,
// and last() is then the status to show.
async function openShopStore(pairing) {
  let store = null;
  let last = null;
  const onStatus = (detail) => {
    last = detail;
    if (!shop || shop.store === store) status.store(detail);
  };
  // Lazy bodies: at 100k orders the open reads the orders' summaries, not their ~20 MB of bodies,
  // and a screen loads the pages of the orders it shows (shop.mjs: NOT_LOADED, onLoaded).
  store = await openStore({ name: storeNameFor(pairing), baseUrl: CORE, onStatus, lazyBodies: true });
  // A follower tab shows the writer's save as soon as it has reloaded it, not at the next tick.
  store.addEventListener('reloaded', () => shop?.store === store && refresh({ keepInputs: true }));
  return { store, last: () => last };
}

// A standalone console whose server pairs it now (startLink's check in the background found a
// sync server that had answered "no sync" at the last start) becomes that shop's device, as a
// start with that answer would have made it; the standalone store is left as it is (the two
// never mix). The shop's store is opened first, so a failure leaves the seller on the shop on
// screen; then the standalone one is closed: close() saves what this tab had not saved yet and
// gives its Web Lock to the next tab in line (which then follows the shop's store too, once its
// own check has found the pairing this one kept).
async function switchTo(next) {
  if (link) return;
  let opened;
  try {
    opened = await openShopStore(next);
  } catch (err) {
    $('loading').textContent = t('load.failed', { message: err.message });
    return;
  }
  const before = shop.store;
  link = next;
  shop = new Shop(opened.store);
  shop.onLoaded = () => refresh({ keepInputs: true });
  state.list = [];
  state.message = state.feedback = state.label = null;
  mountBatch();
  if (opened.last()) status.store(opened.last());
  consoleSync = startConsoleSync({ link, store: opened.store, shop, anchor: $('save'), refresh });
  refresh();
  await before.close().catch(() => {}); // a failed last save was shown as 'save failed'
}

async function main() {
  performance.mark('packdesk:main');
  let stored = null;
  try {
    stored = localStorage.getItem('packdesk.lang');
  } catch { /* no storage: the browser's language */ }
  setLanguage(initialLanguage(stored, navigator.languages ?? []));
  status = new StatusBar({ net: $('net'), save: $('save'), retry: $('save-retry'), onRetry: () => shop?.store.flush().catch(() => {}) });
  // With a sync server, the console is a device of its shop and opens that shop's store, which
  // the server fills (sync-ui.mjs); without one, the standalone store, seeded with the demo. A
  // kept pairing, or a "no sync" this server gave at the last start, opens a store at once
  // (startLink; the latter is asked again once the list is on screen, below: switchTo); only a
  // first start waits for the answer. The page's text is written while the store opens.
  const opening = startLink().then(async (start) => {
    performance.mark('packdesk:link');
    return { start, ...(await openShopStore(start.link)) };
  });
  staticText();
  $('loading').textContent = t('load.opening');
  const { start, store } = await opening;
  performance.mark('packdesk:store');
  link = start.link;
  shop = new Shop(store);
  const stats = shop.query('stats');
  if (!link && stats.ok && stats.result.orders === 0 && store.isWriter) {
    $('loading').textContent = t('load.seeding');
    seedDemoShop((request) => {
      const { response, saved } = store.exec(request);
      saved.catch(() => {}); // a failed save shows as 'save failed'
      return response;
    }, shop.now());
  }
  // What time alone decided while the console was closed is applied now, once, as the minute's
  // tick would: else every query of the first minute applies it again on scratch copies (stats
  // and the list as of now), which is the whole backlog's work at each click.
  if (store.isWriter) shop.tick();
  readHash();
  $('q').value = state.q;
  $('sort').value = state.sort;
  mountShopParts();
  wire();
  // Drawn once out of sight first: its queries ask for the bodies the first screen shows, which
  // are loaded before the seller sees it (no list that fills in a moment later).
  refresh();
  await shop.settle();
  $('loading').textContent = '';
  $('console').hidden = false;
  refresh();
  shop.onLoaded = () => refresh({ keepInputs: true }); // bodies a later screen asked for are in
  performance.mark('packdesk:first-list'); // bench/console.mjs reads these marks
  consoleSync = link ? startConsoleSync({ link, store, shop, anchor: $('save'), refresh }) : null;
  // For tests and tools: saved() resolves once everything changed so far is in IndexedDB;
  // command(request) sends one command through the same store and repaints (as a marketplace
  // sync would import an order); the answer is the core's. query(cmd, args) asks the core
  // (`at` may be given); sync, when paired: {status(), sync()} (sync-ui.mjs), else null;
  // storeName: the store on screen ('default' standalone, 'shop-<id>' paired); settled()
  // resolves once the order bodies answers asked for (NOT_LOADED) are loaded and drawn.
  window.packdeskConsole = {
    get sync() {
      return consoleSync;
    },
    get storeName() {
      return storeNameFor(link);
    },
    query: (cmd, args = {}) => shop.query(cmd, args),
    saved: () => shop.store.flush(),
    settled: () => shop.settle(),
    command: (cmd, args = {}) => {
      const r = shop.command(cmd, args);
      refresh();
      return r;
    },
  };
  document.body.dataset.ready = 'true';
  start.recheck?.().then((found) => found.link && switchTo(found.link)).catch(() => {});
}

main().catch((err) => {
  $('loading').textContent = t('load.failed', { message: err.message });
  document.body.dataset.ready = 'failed';
  throw err;
});
