// views/orders.mjs: the stage tabs with their counts (from `stats`) and the order list (a page of
// `orders.list`, most urgent first), each row with its next deadline counting down.
import { h } from '../dom.mjs';
import { countdown, money, t, word } from '../i18n.mjs';

export const STAGES = ['unpaid', 'awaiting_confirmation', 'confirmed', 'packed', 'awaiting_collection',
  'in_transit', 'delivered', 'completed', 'cancelled', 'lost'];
const SOON = 12 * 3600 * 1000;

/** The tabs: one button a stage, with its count; the chosen one is aria-pressed. */
export function renderTabs(nav, stats, current, onSelect) {
  nav.setAttribute('aria-label', t('tabs.label'));
  nav.replaceChildren(...STAGES.map((stage) => {
    const count = stats?.stages?.[stage]?.count ?? 0;
    return h('button', {
      type: 'button', id: `tab-${stage}`, 'aria-pressed': String(stage === current),
      dataset: { stage, count: String(count), key: `tab-${stage}` }, onclick: () => onSelect(stage),
    }, word('stage', stage), h('span', { class: 'count' }, new Intl.NumberFormat().format(count)));
  }));
}

/** A deadline's countdown element, kept current by updateCountdowns. */
export function dueElement(deadline, now, tag = 'span') {
  const el = h(tag, { class: 'due' });
  if (deadline?.due === undefined || deadline.state !== 'open' && deadline.state !== 'missed') {
    el.textContent = deadline ? word('dstate', deadline.state) : t('list.none_due');
    return el;
  }
  el.dataset.due = String(deadline.due);
  el.dataset.state = deadline.state;
  paint(el, now);
  return el;
}

function paint(el, now) {
  const due = Number(el.dataset.due);
  const missed = el.dataset.state === 'missed' || due < now;
  el.textContent = countdown(due, now);
  el.classList.toggle('overdue', missed);
  el.classList.toggle('soon', !missed && due - now < SOON);
}

/** Repaints every countdown under root (called every second). */
export function updateCountdowns(root, now) {
  for (const el of root.querySelectorAll('.due[data-due]')) paint(el, now);
}

/**
 * The list rows; the open order is aria-current. With `select` ({has(id), toggle(id, on)}: the
 * batch's selection, views/batch.mjs), each row starts with a checkbox.
 */
export function renderList(ul, orders, { selected, now, onOpen, select }) {
  ul.setAttribute('aria-label', t('list.label'));
  ul.replaceChildren(...orders.map((o) => h('li', { class: select ? 'pickable' : null },
    select ? h('label', { class: 'pick' }, h('input', {
      type: 'checkbox', checked: select.has(o.id), 'aria-label': t('batch.select', { id: o.id }),
      dataset: { select: o.id, key: `select-${o.id}` }, onchange: (e) => select.toggle(o.id, e.target.checked),
    })) : null,
    h('button', {
      type: 'button', 'aria-current': o.id === selected ? 'true' : null,
      dataset: { orderId: o.id, stage: o.stage, key: `row-${o.id}` }, onclick: () => onOpen(o.id),
    },
    h('span', { class: 'id' }, o.id),
    o.next_deadline ? [h('span', {}, word('deadline', o.next_deadline.kind), ' ', dueElement(o.next_deadline, now))] : h('span', { class: 'muted' }, t('list.none_due')),
    h('span', { class: 'muted' }, [o.first_product, t('list.items', { count: o.items }), o.buyer?.name].filter(Boolean).join(' · ')),
    h('span', {}, o.total ? money(o.total.amount, o.total.currency) : ''),
    o.flags?.length ? h('span', {}, o.flags.map((f) => h('span', { class: 'flag' }, word('flag', f)))) : null))));
  if (!orders.length) ul.replaceChildren(h('li', { class: 'muted' }, t('list.empty')));
}
