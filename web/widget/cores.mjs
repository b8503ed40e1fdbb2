// cores.mjs: one open shop per shop name and page, shared by every widget showing that shop.
// Two <packdesk-orders shop="demo"> on a page, or the widget script loaded twice (even from two
// URLs, which makes two copies of these modules), still open the store `shop-demo` once: one core
// (one wasm instance), one save queue, one writer. The registry lives on globalThis under a
// registered symbol for that reason. Across tabs, the store's own Web Lock keeps one writer per
// origin and store name (wasm/packdesk-store.mjs).
//
// A shop's store is `shop-<shop>` in the storefront's origin (IndexedDB `/packdesk/shop-<shop>`),
// so shops never share data. An empty store is seeded with the demo shop, as the console does,
// unless a sync client fills it from the server. One tick as it opens, then one a minute, per shop
// (not per widget).
import { openStore } from '../../wasm/packdesk-store.mjs';
import { seedDemoShop } from '../demo-shop.mjs';
import { Shop } from '../shop.mjs';
import { attachSync } from './sync.mjs';

const REGISTRY = Symbol.for('packdesk.widget.cores/1');
const TICK_MS = 60 * 1000;
// The wasm glue and the wasm, relative to this module: build/wasm/ for the source modules (served
// at /widget/), or the bundle's own folder, where make widget puts a minified copy of the glue
// (esbuild defines PACKDESK_WASM_BASE there; here it is not declared, so typeof says so).
/* global PACKDESK_WASM_BASE */
const WASM_BASE = new URL(typeof PACKDESK_WASM_BASE === 'string' ? PACKDESK_WASM_BASE : '../../build/wasm/', import.meta.url);
// How long a shop nobody shows stays open: a widget moved in the DOM (disconnected, then connected
// again) keeps its core instead of closing and reopening it.
const LINGER_MS = 1000;

/** A shop name, as the attribute gives it: 1-59 letters, digits, '.', '_', '-', not starting with '.'. */
export const validShop = (shop) => typeof shop === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,58}$/.test(shop);
export const storeName = (shop) => `shop-${shop}`;

function registry() {
  globalThis[REGISTRY] ??= new Map();
  return globalThis[REGISTRY];
}

/**
 * The shared core of `shop`, opened on first use. Every acquire() is paired with one release().
 * `server` (an origin, or null: no opinion) joins the shop's: one shop syncs with one server, so
 * the first widget naming one attaches sync, and another server is SERVER_MISMATCH. Rejects with
 * an Error whose code is BAD_ATTRIBUTE, SERVER_MISMATCH or the store's (LOAD_FAILED, ...).
 */
export async function acquireCore(shop, { server = null } = {}) {
  if (!validShop(shop)) throw codedError('BAD_ATTRIBUTE', `shop: 1-59 letters, digits, '.', '_' or '-' (not starting with '.'): ${JSON.stringify(shop)}`);
  const cores = registry();
  let core = cores.get(shop);
  if (!core) {
    core = new SharedCore(shop, server);
    cores.set(shop, core);
  }
  if (server && core.server && core.server !== server) {
    throw codedError('SERVER_MISMATCH', `shop ${shop} is already open on this page with server ${core.server}, not ${server}`);
  }
  core.retain();
  try {
    await core.opened;
  } catch (err) {
    core.release();
    throw err;
  }
  if (server && !core.server) core.attachServer(server);
  return core;
}

function codedError(code, message) {
  return Object.assign(new Error(message), { code });
}

/**
 * One shop, open: `api` is the console's Shop (queries and commands with `at` and `op`),
 * `store` the store. Events: 'changed' ({cmd, orderId, source}) after any accepted change, so
 * every widget of the shop repaints; 'status' (the store's statuses).
 */
class SharedCore extends EventTarget {
  store = null;
  api = null;
  sync = null;
  #refs = 0;
  #linger = null;
  #timer = null;

  constructor(shop, server) {
    super();
    this.shop = shop;
    this.server = server; // the sync server's origin, or null
    this.opened = this.#open();
    this.opened.catch(() => {
      if (registry().get(shop) === this) registry().delete(shop); // the next widget tries afresh
    });
  }

  async #open() {
    // Lazy bodies, as the console: an open reads the orders' summaries, not their bodies, and a
    // widget's query that needs one not loaded is answered NOT_LOADED; the shop loads its page,
    // then every widget of the shop draws again (the first screen before it shows: controller's
    // show()).
    this.store = await openStore({
      name: storeName(this.shop), baseUrl: WASM_BASE, lazyBodies: true,
      onStatus: (detail) => this.dispatchEvent(new CustomEvent('status', { detail })),
    });
    this.api = new Shop(this.store);
    this.api.onLoaded = () => this.changed({ cmd: null, source: 'load' });
    // Another tab saved and this one reopened on it (a follower's refresh, or a takeover).
    this.store.addEventListener('reloaded', () => this.changed({ cmd: null, source: 'reload' }));
    // The sync client (docs/sync.md's device loop) is attached here, and only here, when the
    // widget names a server; it brings the shop's orders, so such a store is not seeded. A
    // server with no sync for this page (sync.mjs) leaves the store local, seeded as before.
    this.sync = this.server ? attachSync(this) : null;
    const synced = this.sync ? await this.sync.ready : false;
    const stats = this.api.query('stats');
    if (!synced && stats.ok && stats.result.orders === 0 && this.store.isWriter) {
      seedDemoShop((request) => {
        const { response, saved } = this.store.exec(request);
        saved.catch(() => {}); // a failed save shows as 'save-failed'
        return response;
      }, this.api.now());
    }
    // What time decided while no page had the shop open is applied now, once: else every query of
    // the first minute would apply it again on scratch copies (the console does the same).
    if (this.store.isWriter) this.api.tick();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  // What time alone decides, once a minute, by the writer; a follower repaints what the writer saved.
  #tick() {
    if (!this.store.isWriter) return this.changed({ cmd: 'tick', source: 'tick' });
    const r = this.api.tick();
    if (r.ok && r.result.changed > 0) this.changed({ cmd: 'tick', source: 'tick' });
  }

  /** A widget names a server for a shop opened without one: sync starts now. */
  attachServer(server) {
    this.server = server;
    this.sync = attachSync(this);
  }

  /** Tells every widget of the shop that something changed (they repaint). */
  changed(detail) {
    this.dispatchEvent(new CustomEvent('changed', { detail }));
  }

  retain() {
    this.#refs++;
    clearTimeout(this.#linger);
  }

  release() {
    if (--this.#refs > 0) return;
    clearTimeout(this.#linger);
    this.#linger = setTimeout(() => this.#close(), LINGER_MS);
  }

  // Nobody shows the shop any more: save what is left, close, let the next widget reopen it.
  async #close() {
    if (this.#refs > 0) return;
    if (registry().get(this.shop) === this) registry().delete(this.shop);
    clearInterval(this.#timer);
    await this.opened.catch(() => {});
    this.sync?.stop();
    await this.store?.close().catch(() => {}); // a failed last save was reported as 'save-failed'
  }
}
