// views/print-sheets.mjs: the sheets printed for a batch of orders (views/batch.mjs), built from
// order.get's answers. The pick list: every SKU of the selected orders once, its quantities
// summed, with the product name, sorted by SKU, so the shelves are walked once. The packing
// slips: one per order, a page each: order id, lines and quantities, and the checklist to tick.
// Neither carries buyer data: a slip goes into the box, while the shipping label (label.print) is
// the one place with the buyer's name and address (S1); order.get's buyer, masked anyway, is not
// used. The sheets open in #print-view, an overlay that print.css makes the only thing printed.
import { h } from '../dom.mjs';
import { count, dateTime, t, word } from '../i18n.mjs';

const skuOf = (line) => line.seller_sku || line.sku_id;
const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // the same order in every language

/** [{sku, name, quantity}] over the lines not cancelled of `orders`, sorted by SKU. */
export function pickList(orders) {
  const skus = new Map();
  for (const o of orders) {
    for (const l of o.lines ?? []) {
      if (l.cancelled) continue;
      const sku = skuOf(l);
      const entry = skus.get(sku) ?? { sku, name: l.product_name || l.sku_name || '', quantity: 0 };
      entry.quantity += l.quantity;
      skus.set(sku, entry);
    }
  }
  return [...skus.values()].sort((a, b) => byCodePoint(a.sku, b.sku));
}

const box = () => h('span', { class: 'box', 'aria-hidden': 'true' });

function pickSheet(orders, now) {
  const rows = pickList(orders);
  const units = rows.reduce((n, r) => n + r.quantity, 0);
  return h('article', { class: 'sheet pick-list', id: 'pick-list' },
    h('h2', {}, t('print.pick_title')),
    h('p', {}, t('print.pick_summary', { orders: count(orders.length), units: count(units), when: dateTime(now) })),
    h('table', { id: 'pick-table' },
      h('thead', {}, h('tr', {}, [t('col.sku'), t('col.product'), t('col.qty'), t('print.picked')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { sku: r.sku, quantity: String(r.quantity) } },
        h('td', {}, r.sku), h('td', {}, r.name), h('td', { class: 'num' }, count(r.quantity)), h('td', {}, box()))))),
    h('p', { class: 'orders-covered' }, t('print.orders', { ids: orders.map((o) => o.id).join(', ') })));
}

function slip(o) {
  const lines = (o.lines ?? []).filter((l) => !l.cancelled);
  const units = lines.reduce((n, l) => n + l.quantity, 0);
  const ho = o.handover ?? {};
  const facts = [
    [t('detail.placed'), dateTime(o.placed_at)],
    ho.method ? [t('print.handover'), [word('method', ho.method), ho.carrier].filter(Boolean).join(' · ')] : null,
    o.tracking_number ? [t('print.tracking'), o.tracking_number] : null,
  ].filter(Boolean);
  return h('article', { class: 'sheet slip', dataset: { orderId: o.id } },
    h('h2', {}, t('print.slip_title', { id: o.id })),
    h('dl', {}, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('table', {},
      h('thead', {}, h('tr', {}, ['', t('col.sku'), t('col.product'), t('col.qty')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, lines.map((l) => h('tr', { dataset: { sku: skuOf(l) } },
        h('td', {}, box()), h('td', {}, skuOf(l)), h('td', {}, l.product_name || l.sku_name || ''), h('td', { class: 'num' }, count(l.quantity)))))),
    h('p', { class: 'units' }, t('print.units', { count: count(units) })),
    o.checklist?.length ? [h('h3', {}, t('print.checklist')),
      h('ul', { class: 'checks' }, o.checklist.map((c) => h('li', { dataset: { item: c.item } }, box(), ' ', word('item', c.item))))] : null,
    h('p', { class: 'signature' }, `${t('print.packed_by')}: `, h('span', { class: 'blank' })));
}

/**
 * Opens the print view for kind 'pick' | 'slips' over `orders` (order.get results): the sheet,
 * with Print and Close above it; body[data-printing=sheet] while it is open, so the browser's
 * own print command prints it too. Escape or Close ends it.
 */
export function openPrintView(kind, orders, { now }) {
  document.getElementById('print-view')?.remove();
  const close = () => {
    view.remove();
    if (document.body.dataset.printing === 'sheet') delete document.body.dataset.printing;
    document.getElementById('batch-actions')?.querySelector(`[data-key="batch-${kind === 'pick' ? 'pick' : 'slips'}"]`)?.focus();
  };
  const sheets = kind === 'pick' ? [pickSheet(orders, now)] : orders.map(slip);
  const view = h('section', { id: 'print-view', class: 'print-view', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'print-title', dataset: { kind } },
    h('div', { class: 'row print-toolbar' },
      h('h2', { id: 'print-title' }, t('print.title')),
      h('button', { type: 'button', class: 'primary', dataset: { key: 'print-now' }, onclick: () => print() }, t('print.print')),
      h('button', { type: 'button', dataset: { key: 'print-close' }, onclick: close }, t('print.close'))),
    h('div', { class: 'sheets' }, sheets));
  view.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  document.body.append(view);
  document.body.dataset.printing = 'sheet';
  view.querySelector('[data-key="print-now"]').focus();
  return view;
}
