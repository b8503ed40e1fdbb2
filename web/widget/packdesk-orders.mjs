// packdesk-orders.mjs: the <packdesk-orders> element's class: the console's order list and order
// detail for one shop, inside the storefront's own admin page. Importing this module does
// nothing (no element is defined, nothing is opened); packdesk-widget.js registers it.
//
// Attributes are the whole configuration, each applied when it changes:
//   shop      the shop (required): its store is `shop-<shop>` in the storefront's IndexedDB
//   server    the sync server's origin (https://desk.example.com); without it the widget joins the
//             shop as the page already has it open, or works on this device only
//   stage     the stage tab shown (a stage of views/orders.mjs's STAGES; awaiting_confirmation)
//   language  en | vi (default: the page's lang, then the browser's languages)
//   compact   present: one pane at a time (the list, or the open order)
// A bad value changes nothing: the widget keeps what it had and fires packdesk-error (source
// 'attribute'); a missing or bad shop at the first open shows the error instead of a shop.
//
// Events (CustomEvent, bubbles and composed, fired on the element; README "Widget"):
//   packdesk-ready          {shop, orders, writer}
//   packdesk-order-changed  {shop, orderId, cmd, previousStage, stage}
//   packdesk-saved          {shop}
//   packdesk-error          {shop, source, code, message, rule?, reason?, cmd?, orderId?, attribute?}
// Methods: refresh(), openOrder(id) → Promise<boolean>, closeOrder(), saved() → Promise.
import { initialLanguage, LANGUAGES } from '../i18n.mjs';
import { STAGES } from '../views/orders.mjs';
import { OrdersView } from './controller.mjs';
import { acquireCore, validShop } from './cores.mjs';
import { widgetSheet } from './styles.mjs';

export const TAG = 'packdesk-orders';
const DEFAULT_STAGE = 'awaiting_confirmation';

const coded = (code, message, attribute) => Object.assign(new Error(message), { code, ...(attribute ? { attribute } : {}) });

// The server attribute as an origin, or throws BAD_ATTRIBUTE.
function serverOrigin(value) {
  if (value === null) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw coded('BAD_ATTRIBUTE', `server: not a URL: ${JSON.stringify(value)}`, 'server');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || (url.pathname !== '/' || url.search || url.hash)) {
    throw coded('BAD_ATTRIBUTE', `server: an http(s) origin without path, like https://desk.example.com: ${JSON.stringify(value)}`, 'server');
  }
  return url.origin;
}

function stageOf(value) {
  if (value === null) return DEFAULT_STAGE;
  if (!STAGES.includes(value)) throw coded('BAD_ATTRIBUTE', `stage: one of ${STAGES.join(', ')}: ${JSON.stringify(value)}`);
  return value;
}

function languageOf(value) {
  if (value === null) return initialLanguage(null, [document.documentElement.lang, ...(navigator.languages ?? [])].filter(Boolean));
  if (!LANGUAGES.some((l) => l.code === value)) throw coded('BAD_ATTRIBUTE', `language: one of ${LANGUAGES.map((l) => l.code).join(', ')}: ${JSON.stringify(value)}`);
  return value;
}

export class PackdeskOrders extends HTMLElement {
  static get observedAttributes() {
    return ['shop', 'server', 'stage', 'language', 'compact'];
  }

  #view;
  #core = null;
  #config = null; // {shop, server} of the running widget
  #started = false;
  #generation = 0; // bumped by every start and stop: a slow open that was overtaken lets go
  #ready = null;
  #applied = {}; // the stage and language attribute values last applied
  #want = { shop: null, server: null }; // the last good shop and server values

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    this.#view = new OrdersView(root, (type, detail) => this.#emit(type, detail));
    widgetSheet().then((sheet) => {
      root.adoptedStyleSheets = [sheet];
    }, (err) => this.#emit('packdesk-error', { shop: this.getAttribute('shop'), source: 'style', code: 'STYLE_FAILED', message: err.message }));
  }

  connectedCallback() {
    this.#started = true;
    // Changes made while it was out of the document count now; a widget merely moved keeps the
    // tab and order its user chose.
    for (const name of ['stage', 'language']) if (this.#applied[name] !== this.getAttribute(name)) this.#apply(name, this.getAttribute(name));
    this.#view.setCompact(this.hasAttribute('compact'));
    for (const name of ['shop', 'server']) this.#take(name, this.getAttribute(name));
    this.#start();
  }

  disconnectedCallback() {
    this.#started = false;
    this.#stop();
  }

  attributeChangedCallback(name, before, value) {
    if (!this.#started || before === value) return; // connectedCallback reads them all
    if (name === 'compact') return this.#view.setCompact(value !== null);
    if (name === 'stage' || name === 'language') return this.#apply(name, value);
    // shop or server: a good new value replaces the running shop; a bad one changes nothing.
    if (!this.#take(name, value)) return;
    if (this.#config?.shop === this.#want.shop && this.#config?.server === this.#want.server) return;
    this.#stop();
    this.#start();
  }

  // --- methods for the host page ---

  /** Re-reads the shop and repaints (what another tab saved shows at once). */
  async refresh() {
    await this.#whenReady();
    this.#view.refresh();
  }

  /** Opens an order by id; resolves false (and fires packdesk-error) when the shop has none. */
  async openOrder(orderId) {
    await this.#whenReady();
    return this.#view.openOrder(String(orderId));
  }

  /** Back to the list. */
  async closeOrder() {
    await this.#whenReady();
    this.#view.closeOrder();
  }

  /** Resolves once every change made so far is in IndexedDB (rejects when that save fails). */
  async saved() {
    await this.#whenReady();
    return this.#core.store.flush();
  }

  // --- inside ---

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  #attributeError(attribute, err) {
    this.#emit('packdesk-error', { shop: this.#config?.shop ?? this.getAttribute('shop'), source: 'attribute', attribute, code: err.code ?? 'BAD_ATTRIBUTE', message: err.message });
  }

  #apply(name, value) {
    this.#applied[name] = value;
    try {
      if (name === 'stage') this.#view.setStage(stageOf(value));
      else this.#view.setLanguage(languageOf(value));
    } catch (err) {
      this.#attributeError(name, err);
    }
  }

  // Keeps a good shop or server value (normalized); a bad one is refused with a packdesk-error.
  #take(name, value) {
    try {
      if (name === 'server') this.#want.server = serverOrigin(value);
      else if (validShop(value)) this.#want.shop = value;
      else throw coded('BAD_ATTRIBUTE', `shop: 1-59 letters, digits, '.', '_' or '-', not starting with '.': ${JSON.stringify(value)}`, 'shop');
      return true;
    } catch (err) {
      this.#attributeError(name, err);
      return false;
    }
  }

  async #start() {
    const generation = ++this.#generation;
    let resolve;
    let reject;
    this.#ready = new Promise((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.#ready.catch(() => {}); // a failure is told through packdesk-error; a method call rejects
    const config = { ...this.#want };
    if (!config.shop) {
      const err = coded('BAD_ATTRIBUTE', `shop: required, and ${JSON.stringify(this.getAttribute('shop'))} is not a shop name`, 'shop');
      this.#view.fail(err);
      return reject(err);
    }
    this.#view.setShop(config.shop);
    this.#view.loading();
    let core;
    try {
      core = await acquireCore(config.shop, { server: config.server });
    } catch (err) {
      if (generation !== this.#generation) return reject(err);
      this.#view.fail(err);
      this.#emit('packdesk-error', { shop: config.shop, source: 'open', code: err.code ?? 'OPEN_FAILED', message: err.message });
      return reject(err);
    }
    if (generation !== this.#generation) {
      core.release();
      return reject(coded('NOT_CONNECTED', 'the widget was removed or reconfigured while opening'));
    }
    this.#core = core;
    this.#config = config;
    this.#view.attach(core);
    // The first paint asked for the bodies of the orders it shows (NOT_LOADED): the widget shows
    // once they are in and drawn, never a list that fills in a moment later.
    await core.api.settle();
    if (generation !== this.#generation) return reject(coded('NOT_CONNECTED', 'the widget was removed or reconfigured while opening'));
    this.#view.show();
    const stats = core.api.query('stats');
    this.#emit('packdesk-ready', { shop: config.shop, orders: stats.ok ? stats.result.orders : 0, writer: core.store.isWriter });
    resolve();
  }

  #stop() {
    this.#generation++;
    this.#view.detach();
    this.#core?.release();
    this.#core = null;
    this.#config = null;
    this.#ready = null;
  }

  #whenReady() {
    return this.#ready ?? Promise.reject(coded('NOT_CONNECTED', `<${TAG}> is not in the document`));
  }
}
