// controller.mjs: what one <packdesk-orders> shows, in its shadow root: the console's stage tabs,
// order list and order detail, drawn by the console's own views (web/views/*.mjs) from the core's
// answers, and the console's commands (the same Shop, the same refusals). What app.mjs keeps in
// the URL's hash lives here in `state`: a widget never touches the storefront's URL.
//
// Language: i18n.mjs has one current language per page, and two widgets may each have their own.
// Every paint and every handler that formats text runs inside inLanguage(), which switches the
// language for that synchronous stretch and back (the storefront page has no other i18n listener).
import { h } from '../dom.mjs';
import { language, setLanguage, t, word } from '../i18n.mjs';
import { beep } from '../sound.mjs';
import { markConflicts } from '../views/conflicts.mjs';
import { renderDetail, renderEmptyDetail } from '../views/order-detail.mjs';
import { renderList, renderTabs, updateCountdowns } from '../views/orders.mjs';
import { scanFeedback } from '../views/packing.mjs';
import { paintSyncStatus } from '../views/sync-status.mjs';

const PAGE = 25;

/** Runs fn with the page's i18n language set to code, then sets it back. */
export function inLanguage(code, fn) {
  const before = language();
  if (code === before) return fn();
  setLanguage(code);
  try {
    return fn();
  } finally {
    setLanguage(before);
  }
}

export class OrdersView {
  #root;
  #emit; // (type, detail) → dispatched by the element
  #els;
  #core = null;
  #shop = '';
  #lang = 'en';
  #unhook = [];
  state = {
    stage: 'awaiting_confirmation', q: '', orderId: null, list: [], next: null, total: 0,
    message: null, feedback: null, label: null,
  };

  /** root: the shadow root to draw in; emit(type, detail): how the host page is told. */
  constructor(root, emit) {
    this.#root = root;
    this.#emit = emit;
    this.#els = this.#skeleton();
    root.replaceChildren(this.#els.base);
  }

  // --- configuration (the element's attributes) ---

  setShop(shop) {
    this.#shop = shop;
    this.#paintStatic();
  }

  setStage(stage) {
    this.#go({ stage, q: '' });
  }

  setLanguage(code) {
    this.#lang = code;
    this.#paintStatic();
    this.refresh();
  }

  setCompact(on) {
    this.#els.base.toggleAttribute('data-compact', on);
  }

  // --- life ---

  loading() {
    this.#els.main.hidden = true;
    this.#message(inLanguage(this.#lang, () => t('load.opening')), 'loading');
  }

  /** The widget cannot show its shop: says why (the error's code and message). */
  fail(error) {
    this.#els.main.hidden = true;
    this.#els.save.hidden = true;
    const why = error.code ? `${error.code}: ${error.message}` : error.message;
    this.#message(inLanguage(this.#lang, () => t('load.failed', { message: why })), 'failed');
  }

  /** Shows `core` (cores.mjs's shared core) and follows its changes until detach(). */
  attach(core) {
    this.detach();
    this.#core = core;
    const onChanged = (e) => this.refresh({ keepInputs: e.detail.view !== this });
    const onStatus = ({ detail }) => {
      this.#paintStatus();
      if (detail.status === 'saved') this.#emit('packdesk-saved', { shop: this.#shop });
      if (detail.status === 'save-failed' || detail.error) {
        this.#emit('packdesk-error', { shop: this.#shop, source: 'store', code: detail.error?.code ?? 'SAVE_FAILED', message: detail.error?.message ?? detail.status });
      }
    };
    // Sync (sync.mjs): its state in the header; a failure told to the host page once, when it
    // starts (the loop retries every 30 s, the page hears again only after a good round).
    let failing = false;
    const onSync = ({ detail }) => {
      this.#paintStatus();
      if (detail.status === 'sync-failed' && !failing) {
        this.#emit('packdesk-error', { shop: this.#shop, source: 'sync', code: detail.error?.code ?? 'SYNC_FAILED', message: detail.error?.message ?? detail.status });
      }
      if (detail.status !== 'syncing') failing = detail.status === 'sync-failed';
    };
    const onNet = () => this.#paintStatus();
    const countdowns = setInterval(() => inLanguage(this.#lang, () => updateCountdowns(this.#root, core.api.now())), 1000);
    core.addEventListener('changed', onChanged);
    core.addEventListener('status', onStatus);
    core.addEventListener('sync', onSync);
    addEventListener('online', onNet);
    addEventListener('offline', onNet);
    this.#unhook.push(() => {
      core.removeEventListener('changed', onChanged);
      core.removeEventListener('status', onStatus);
      core.removeEventListener('sync', onSync);
      removeEventListener('online', onNet);
      removeEventListener('offline', onNet);
      clearInterval(countdowns);
    });
    this.state.list = [];
    this.refresh(); // out of sight: show() shows it once the bodies it asked for are in
    const synced = core.sync?.detail();
    if (synced) onSync({ detail: synced }); // a failure before this widget came is told to its page too
  }

  show() {
    this.#message('', '');
    this.#els.main.hidden = false;
    this.#els.save.hidden = false;
    this.refresh();
  }

  detach() {
    for (const undo of this.#unhook.splice(0)) undo();
    this.#core = null;
    this.#els.sync.hidden = true;
  }

  // --- what the element's methods do ---

  /** Opens an order (switching to its stage); false, with a packdesk-error, when there is none. */
  async openOrder(orderId) {
    const r = await this.#loaded('order.get', { order_id: orderId });
    if (!r) return false; // detached meanwhile
    if (!r.ok) {
      this.#emit('packdesk-error', { shop: this.#shop, source: 'method', orderId, ...errorDetail(r.error) });
      return false;
    }
    this.#go({ stage: r.result.stage, q: '', order: orderId });
    return true;
  }

  closeOrder() {
    this.#go({ order: null });
  }

  /** Re-reads everything from the core and repaints; keeps focus (and, if asked, typed text). */
  refresh({ keepInputs = false } = {}) {
    if (!this.#core) return;
    inLanguage(this.#lang, () => {
      const { detail, tabs } = this.#els;
      const focusKey = this.#root.activeElement?.dataset?.key;
      const typed = keepInputs ? [...detail.querySelectorAll('input[data-key], textarea[data-key]')].map((el) => [el.dataset.key, el.value]) : [];
      const stats = this.#query('stats');
      renderTabs(tabs, stats.ok ? stats.result : null, this.state.q ? null : this.state.stage, (stage) => this.#go({ stage, q: '' }));
      this.#loadList();
      this.#paintList();
      this.#paintDetail();
      for (const [key, value] of typed) {
        const el = detail.querySelector(`[data-key="${CSS.escape(key)}"]`);
        if (el) el.value = value;
      }
      this.#paintStatus();
      markParts(this.#root);
      this.#els.base.toggleAttribute('data-open', Boolean(this.state.orderId));
      if (focusKey) {
        const el = this.#root.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
        if (el) el.focus();
        else if (this.state.orderId) this.#root.getElementById('detail-title')?.focus();
      }
    });
  }

  // --- inside ---

  #query(cmd, args) {
    return this.#core.api.query(cmd, args);
  }

  // A query that may need bodies not loaded yet: asked again once they are in (lazy bodies,
  // cores.mjs), a few times at most (a list may reach a page more each time; a load that fails
  // leaves the answer NOT_LOADED, said as any refusal). Null when the widget was detached meanwhile.
  async #loaded(cmd, args) {
    const core = this.#core;
    let r = core.api.query(cmd, args);
    for (let tries = 0; r.error?.code === 'NOT_LOADED' && tries < 4; tries++) {
      await core.api.settle();
      if (this.#core !== core) return null;
      r = core.api.query(cmd, args);
    }
    return r;
  }

  #skeleton() {
    const q = h('input', { id: 'q', name: 'q', type: 'search', autocomplete: 'off', maxlength: 100 });
    const els = {
      shopName: h('p', { class: 'shop' }),
      net: h('p', { class: 'status', id: 'net', role: 'status', part: 'status' }),
      save: h('p', { class: 'status', id: 'save', role: 'status', 'aria-live': 'polite', part: 'status', hidden: true }),
      sync: h('p', { class: 'status', id: 'sync', part: 'status', hidden: true }),
      retry: h('button', { type: 'button', id: 'save-retry', hidden: true, onclick: () => this.#core?.store.flush().catch(() => {}) }),
      loading: h('p', { class: 'loading', id: 'loading', role: 'status', 'aria-live': 'polite', part: 'loading' }),
      tabs: h('nav', { class: 'tabs', id: 'tabs', part: 'tabs' }),
      listTitle: h('h2', { id: 'list-title', class: 'visually-hidden' }),
      q,
      qLabel: h('label', { for: 'q' }),
      submit: h('button', { type: 'submit' }),
      clear: h('button', { type: 'button', onclick: () => this.#go({ q: '' }) }),
      listInfo: h('p', { class: 'muted', id: 'list-info' }),
      orders: h('ul', { class: 'orders', id: 'orders' }),
      more: h('button', { type: 'button', id: 'more', hidden: true, onclick: () => this.#moreOrders() }),
      detail: h('section', { class: 'pane detail', id: 'detail', part: 'detail', 'aria-live': 'polite' }),
    };
    const search = h('form', {
      class: 'search', role: 'search', onsubmit: (e) => {
        e.preventDefault();
        this.#go({ q: q.value.trim(), order: null });
      },
    }, els.qLabel, q, els.submit, els.clear);
    els.main = h('div', { class: 'main', hidden: true }, els.tabs, h('div', { class: 'panes' },
      h('section', { class: 'pane list-pane', id: 'list-pane', part: 'list', 'aria-labelledby': 'list-title' },
        els.listTitle, search, els.listInfo, els.orders, els.more),
      els.detail));
    els.base = h('div', { class: 'pd', part: 'base' },
      h('header', { class: 'pd-bar', part: 'header' }, els.shopName, els.net, els.save, els.sync, els.retry), els.loading, els.main);
    return els;
  }

  #message(text, kind) {
    this.#els.loading.textContent = text;
    this.#els.loading.dataset.kind = kind;
  }

  #paintStatic() {
    inLanguage(this.#lang, () => {
      const e = this.#els;
      e.base.lang = this.#lang;
      e.shopName.textContent = this.#shop;
      e.listTitle.textContent = t('list.label');
      e.qLabel.textContent = t('search.label');
      e.q.placeholder = t('search.placeholder');
      e.submit.textContent = t('search.submit');
      e.clear.textContent = t('search.clear');
      e.more.textContent = t('list.more');
      e.retry.textContent = t('save.retry');
      this.#paintStatus();
      markParts(this.#root);
    });
  }

  #paintStatus() {
    inLanguage(this.#lang, () => {
      const { net, save, retry, sync } = this.#els;
      const syncing = this.#core?.sync?.detail() ?? null; // null: no device loop (yet)
      sync.hidden = !syncing;
      if (syncing) paintSyncStatus(sync, syncing);
      const online = navigator.onLine;
      net.dataset.state = online ? 'online' : 'offline';
      net.textContent = t(online ? 'net.online' : 'net.offline');
      const status = this.#core?.store.status ?? 'writer';
      save.dataset.state = status;
      save.textContent = t(`save.${status}`);
      retry.hidden = status !== 'save-failed';
    });
  }

  #go({ stage, q, order }) {
    const s = this.state;
    const before = s.orderId;
    if (stage !== undefined) s.stage = stage;
    if (q !== undefined) s.q = q;
    if (order !== undefined) s.orderId = order;
    if (s.label?.orderId !== s.orderId) s.label = null; // the address leaves the screen with its order
    this.#els.q.value = s.q;
    s.list = [];
    this.refresh();
    if (s.orderId && s.orderId !== before) this.#root.getElementById('detail-title')?.focus();
  }

  #loadList() {
    const s = this.state;
    const args = { limit: Math.min(500, Math.max(PAGE, s.list.length)) };
    if (s.q) args.q = s.q;
    else args.stage = s.stage;
    const r = this.#query('orders.list', args);
    s.list = r.ok ? r.result.orders : [];
    s.next = r.ok ? r.result.next : null;
    s.total = r.ok ? r.result.total : 0;
  }

  async #moreOrders() {
    const s = this.state;
    const args = { limit: PAGE, after: s.next };
    if (s.q) args.q = s.q;
    else args.stage = s.stage;
    const r = await this.#loaded('orders.list', args);
    if (!r?.ok || args.after !== s.next) return; // detached, refused, or the list changed meanwhile
    s.list = s.list.concat(r.result.orders);
    s.next = r.result.next;
    inLanguage(this.#lang, () => this.#paintList());
    markParts(this.#root);
    this.#els.orders.querySelector(`li:nth-child(${s.list.length - r.result.orders.length + 1}) button`)?.focus();
  }

  #paintList() {
    const s = this.state;
    renderList(this.#els.orders, s.list, { selected: s.orderId, now: this.#core.api.now(), onOpen: (id) => this.#go({ order: id }) });
    markConflicts(this.#els.orders, s.list);
    this.#els.more.hidden = !s.next;
    this.#els.listInfo.textContent = s.list.length ? `${t('list.count', { shown: s.list.length, total: s.total })} · ${t('sort.urgency')}` : '';
  }

  #paintDetail() {
    const s = this.state;
    const section = this.#els.detail;
    if (!s.orderId) return renderEmptyDetail(section);
    const r = this.#query('order.get', { order_id: s.orderId });
    if (!r.ok) {
      renderEmptyDetail(section);
      if (r.error.code === 'NOT_LOADED') return; // drawn again once its page is in (cores.mjs)
      section.prepend(h('p', { class: 'message', dataset: { kind: 'refused' } }, refusal(r.error)));
      return;
    }
    const mine = (x) => (x?.orderId === s.orderId ? x : null);
    renderDetail(section, r.result, {
      now: this.#core.api.now(), message: mine(s.message), feedback: mine(s.feedback),
      run: (cmd, args) => inLanguage(this.#lang, () => this.#run(r.result, cmd, args)),
      scan: (sku) => inLanguage(this.#lang, () => this.#scan(r.result, sku)),
      close: () => this.#go({ order: null }),
      label: s.label, hideLabel: () => {
        s.label = null;
        this.refresh();
      },
    });
  }

  // A command on an order, as the console sends it; every widget of the shop repaints after an
  // accepted one, and the host page hears of it from this widget.
  #run(order, cmd, args = {}) {
    const core = this.#core;
    const r = core.api.command(cmd, cmd.startsWith('request.') ? args : { order_id: order.id, ...args });
    let text;
    if (!r.ok) text = refusal(r.error);
    else if (cmd === 'order.cancel' || r.result.order?.stage === 'cancelled' && order.stage !== 'cancelled' && this.#noticeQueued(order.id)) text = t('step1.cancelled_notice');
    else if (cmd === 'message.send') text = t('msg.queued');
    else text = t('result.ok', { what: word('cmd', cmd) });
    if (r.ok && cmd === 'label.print') this.state.label = { orderId: order.id, label: r.result.label };
    this.state.message = { orderId: order.id, kind: r.ok ? 'ok' : 'refused', text };
    this.#after(order, cmd, r);
    return r;
  }

  #noticeQueued(orderId) {
    const r = this.#query('outbox.list', { order_id: orderId });
    return r.ok && r.result.items.some((m) => m.order_id === orderId && m.kind === 'cancellation_notice');
  }

  #scan(order, sku) {
    const r = this.#core.api.command('pack.scan', { order_id: order.id, sku });
    const feedback = scanFeedback(r);
    this.state.feedback = { ...feedback, orderId: order.id };
    this.state.message = null;
    const sound = beep(feedback.kind);
    this.#after(order, 'pack.scan', r);
    this.#root.getElementById('scan-feedback')?.setAttribute('data-sound', sound ?? 'none');
    this.#root.querySelector('input[data-key="scan"]')?.focus();
  }

  // After a command: repaint (every widget of the shop when it changed something), then tell the
  // host page: packdesk-order-changed, or packdesk-error with the core's refusal.
  #after(order, cmd, r) {
    const core = this.#core;
    if (!r.ok) {
      this.refresh();
      this.#emit('packdesk-error', { shop: this.#shop, source: 'command', cmd, orderId: order.id, ...errorDetail(r.error) });
      return;
    }
    core.changed({ cmd, orderId: order.id, source: 'widget', view: this });
    const now = core.api.query('order.get', { order_id: order.id });
    this.#emit('packdesk-order-changed', {
      shop: this.#shop, orderId: order.id, cmd, previousStage: order.stage, stage: now.ok ? now.result.stage : null,
    });
  }
}

function errorDetail(error) {
  const detail = { code: error.code, message: error.message };
  if (error.rule) detail.rule = error.rule;
  if (error.reason) detail.reason = error.reason;
  return detail;
}

function refusal(error) {
  return t('result.refused', {
    code: word('error', error.code), rule: error.rule ? t('result.rule', { rule: error.rule }) : '', message: error.message,
  });
}

// The parts the storefront can style (README, "Widget"): every button, tab, row and field; the
// containers are marked where they are built.
function markParts(root) {
  for (const b of root.querySelectorAll('button')) {
    const parts = ['button'];
    if (b.classList.contains('primary')) parts.push('primary');
    if (b.classList.contains('danger')) parts.push('danger');
    if (b.parentElement?.id === 'tabs') parts.push(b.getAttribute('aria-pressed') === 'true' ? 'tab tab-selected' : 'tab');
    if (b.dataset.orderId) parts.push(b.getAttribute('aria-current') === 'true' ? 'row row-selected' : 'row');
    b.setAttribute('part', parts.join(' '));
  }
  for (const el of root.querySelectorAll('input, select, textarea')) el.setAttribute('part', 'field');
}
