// views/order-extras.mjs: the order's remaining commands, each only when the core's `actions`
// offer it: the shipping label (label.print; its answer is the one place the buyer's full name and
// address appear, S1, so it is shown in a print-only block while the seller keeps it open and is
// never kept anywhere else), a message to the buyer (message.send; the core checks P3/S2 and its
// refusal is shown), and resolving each open issue (issue.resolve, T2).
import { field, h } from '../dom.mjs';
import { dateTime, t, word } from '../i18n.mjs';

/** ctx: {can, run, label: {orderId, label}|null, hideLabel()}; the label section or null. */
export function renderLabel(order, ctx) {
  const shown = ctx.label?.orderId === order.id ? ctx.label.label : null;
  if (!ctx.can('label.print') && !shown) return null;
  const parts = [h('h3', {}, t('label.title'))];
  if (ctx.can('label.print')) {
    parts.push(h('div', { class: 'row' }, h('button', {
      type: 'button', dataset: { key: 'label-print' }, onclick: () => ctx.run('label.print'),
    }, t('label.print'))));
  }
  if (shown) {
    const rows = [
      [t('label.order'), order.id],
      [t('label.name'), shown.name],
      [t('label.address'), shown.address],
      [t('label.carrier'), shown.carrier ?? order.handover?.carrier],
      [t('label.tracking'), shown.tracking_number ?? order.tracking_number],
    ];
    parts.push(h('div', { class: 'label-print', id: 'label' },
      h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { field: k } }, v || t('label.none'))]))),
    h('p', { class: 'muted no-print' }, t('label.note')),
    h('div', { class: 'row no-print' },
      h('button', { type: 'button', class: 'primary', dataset: { key: 'label-print-now' }, onclick: printLabel }, t('label.print_now')),
      h('button', { type: 'button', dataset: { key: 'label-hide' }, onclick: ctx.hideLabel }, t('label.hide'))));
  }
  return h('section', { class: 'step', id: 'label-section', 'aria-label': t('label.title') }, parts);
}

/** Prints only the label block (console.css hides the rest while body[data-printing=label]). */
function printLabel() {
  document.body.dataset.printing = 'label';
  addEventListener('afterprint', () => delete document.body.dataset.printing, { once: true });
  print();
}

/** The message form: the core checks the text (P3: no review requests or marketing; S2). */
export function renderMessage(order, ctx) {
  if (!ctx.can('message.send')) return null;
  const text = field(t('msg.text'), { name: 'message', maxlength: 1000, rows: 3, dataset: { key: 'message-text' } }, 'textarea');
  return h('details', { class: 'step', id: 'message' }, h('summary', {}, t('msg.title')),
    h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        const value = text.querySelector('textarea').value.trim();
        ctx.run('message.send', { text: value });
      },
    }, text, h('button', { type: 'submit', dataset: { key: 'message-send' } }, t('msg.send'))));
}

/** One button per open issue, when the core offers issue.resolve (T2). */
export function renderIssues(order, ctx) {
  const open = (order.issues ?? []).filter((i) => !i.resolved_at);
  if (!open.length || !ctx.can('issue.resolve')) return null;
  return h('section', { class: 'step', id: 'issues', 'aria-label': t('issue.title') }, h('h3', {}, t('issue.title')),
    h('ul', {}, open.map((i) => h('li', { dataset: { issue: i.kind } },
      word('flag', i.kind), ' ', h('span', { class: 'muted' }, t('issue.opened', { when: dateTime(i.opened_at) })), ' ',
      h('button', { type: 'button', dataset: { key: `issue-${i.kind}` }, onclick: () => ctx.run('issue.resolve', { kind: i.kind }) },
        t('issue.resolve', { kind: word('flag', i.kind) }))))));
}
