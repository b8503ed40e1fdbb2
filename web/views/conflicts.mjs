// views/conflicts.mjs: what the server refused of this device's changes (order.get's `conflicts`,
// docs/sync.md), shown where the seller looks, never dropped in silence. On the order, a banner
// under its title, led by the latest refusal in one sentence from the catalog:
//   "On this device at 10:04: marked shipped. The server refused it: <the core's message>
//    (rule H2). Cancelled at 09:58 (on the server)."
// the earlier ones listed under it, and one button that dismisses them all (conflict.dismiss per
// refused operation: its `op` names that operation, README's protocol table). In the list, a
// marker on the row (orders.list's `conflicts` count). Times go through Intl (i18n.mjs).
import { h } from '../dom.mjs';
import { count, shortTime, t, word } from '../i18n.mjs';

/** One conflict ({op, cmd, at, code, rule?, message, because?}) as a sentence, as of now. */
export function conflictSentence(c, now) {
  const because = c.because ? t('conflict.because', { event: word('event', c.because.event), time: shortTime(c.because.at, now) }) : '';
  return t('conflict.sentence', {
    did: word('cmd', c.cmd), time: shortTime(c.at, now), message: c.message, rule: c.rule ? t('conflict.rule', { rule: c.rule }) : '', because,
  }).trim();
}

/**
 * The banner of an order with conflicts (null without): view is order-detail's ({now, can(cmd),
 * run(cmd, args)}).
 */
export function renderConflicts(order, view) {
  const list = order.conflicts ?? [];
  if (!list.length) return null;
  const latest = list[list.length - 1]; // the core keeps them in the order they were refused
  const earlier = list.slice(0, -1).reverse();
  const sentence = (c) => conflictSentence(c, view.now);
  return h('section', { class: 'conflicts', id: 'conflicts', 'aria-labelledby': 'conflicts-title', dataset: { count: String(list.length) } },
    h('h3', { id: 'conflicts-title' }, t('conflict.title')),
    h('p', { class: 'conflict', dataset: { op: latest.op, cmd: latest.cmd, code: latest.code } }, sentence(latest)),
    earlier.length ? h('details', {}, h('summary', {}, t('conflict.more', { count: count(earlier.length) })),
      h('ul', {}, earlier.map((c) => h('li', { class: 'conflict', dataset: { op: c.op, cmd: c.cmd, code: c.code } }, sentence(c))))) : null,
    view.can('conflict.dismiss') ? h('button', {
      type: 'button', dataset: { key: 'conflict-dismiss' },
      onclick: () => {
        for (const c of list) if (!view.run('conflict.dismiss', { op: c.op }).ok) break;
      },
    }, list.length > 1 ? t('conflict.dismiss_all', { count: count(list.length) }) : t('conflict.dismiss')) : null);
}

/**
 * Marks the rows (views/orders.mjs's list in ul) whose order has conflicts: orders.list gives
 * each row its `conflicts` count when there are some (none on the others), so the marker costs
 * no query of its own.
 */
export function markConflicts(ul, rows) {
  for (const row of rows) {
    if (!(row.conflicts > 0)) continue;
    const button = ul.querySelector(`button[data-order-id="${CSS.escape(row.id)}"]`);
    if (!button) continue;
    button.dataset.conflict = String(row.conflicts);
    button.append(h('span', { class: 'flag conflict-mark' }, t('conflict.mark')));
  }
}
