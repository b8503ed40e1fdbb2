// views/batch.mjs: batch work on the order list, as sellers do it in the marketplace's own
// center. A checkbox on each row and "select all on this page"; a bar that counts the selection
// and offers confirm and mark shipped only when the core's `actions` (order.get, asked for each
// selected order) allow it for at least one of them, so the shell decides no rule; then every
// selected order gets the command and its own answer from the core, listed one per order (done,
// or refused and why). The bar also prints the pick list and the packing slips
// (views/print-sheets.mjs). The selection lasts across tabs and searches, not across a reload.
import { h } from '../dom.mjs';
import { t } from '../i18n.mjs';
import { openPrintView } from './print-sheets.mjs';

// The commands a batch can send, with the label of the bar's button and of its results.
const COMMANDS = [
  { cmd: 'order.confirm', button: 'batch.confirm', title: 'step1.confirm' },
  { cmd: 'order.ship', button: 'batch.ship', title: 'step3.ship' },
];

/**
 * ctx: {query(cmd, args), command(cmd, args), refusal(error) → text, now(), refresh(),
 * openOrder(id)}. Returns {bar, results, rows, paint(list)}: the two sections to mount, the
 * selection for renderList's `select`, and paint, to call whenever the list was painted.
 */
export function createBatch(ctx) {
  const selected = new Set();
  let page = []; // the order ids the list shows now
  let outcome = null; // the last batch: {title, items: [{id, ok, text}]}

  const all = h('input', { type: 'checkbox', id: 'batch-all', dataset: { key: 'batch-all' }, onchange: (e) => selectPage(e.target.checked) });
  const allLabel = h('label', { class: 'pick-all', for: 'batch-all' });
  const count = h('p', { class: 'batch-count', id: 'batch-count', role: 'status' });
  const actions = h('div', { class: 'row batch-actions', id: 'batch-actions' });
  const bar = h('section', { id: 'batch', class: 'batch', 'aria-labelledby': 'batch-count' },
    h('div', { class: 'row' }, all, allLabel, count), actions);
  const results = h('section', { id: 'batch-results', class: 'batch-results', hidden: true, 'aria-live': 'polite' });

  const rows = {
    has: (id) => selected.has(id),
    toggle(id, on) {
      if (on) selected.add(id);
      else selected.delete(id);
      update();
    },
  };

  function selectPage(on) {
    for (const id of page) {
      if (on) selected.add(id);
      else selected.delete(id);
    }
    for (const box of document.querySelectorAll('#orders input[data-select]')) box.checked = selected.has(box.dataset.select);
    update();
  }

  /** The selected orders as the core answers now (order.get), in the order they were selected. */
  function orders() {
    const found = [];
    for (const id of selected) {
      const r = ctx.query('order.get', { order_id: id });
      if (r.ok) found.push(r.result);
    }
    return found;
  }

  function update() {
    const onPage = page.filter((id) => selected.has(id)).length;
    all.checked = page.length > 0 && onPage === page.length;
    all.indeterminate = onPage > 0 && onPage < page.length;
    all.disabled = page.length === 0;
    allLabel.textContent = t('batch.select_page');
    count.textContent = t('batch.selected', { count: selected.size });
    bar.dataset.count = String(selected.size);
    if (!selected.size) return actions.replaceChildren();
    const list = orders();
    const buttons = [];
    for (const { cmd, button } of COMMANDS) {
      const n = list.filter((o) => o.actions?.includes(cmd)).length;
      if (n > 0) {
        buttons.push(h('button', {
          type: 'button', class: 'primary', dataset: { key: `batch-${cmd}`, allowed: String(n) }, onclick: () => run(cmd),
        }, t(button, { n, count: selected.size })));
      }
    }
    buttons.push(
      h('button', { type: 'button', dataset: { key: 'batch-pick' }, onclick: () => print('pick') }, t('batch.pick')),
      h('button', { type: 'button', dataset: { key: 'batch-slips' }, onclick: () => print('slips') }, t('batch.slips')),
      h('button', { type: 'button', dataset: { key: 'batch-clear' }, onclick: clear }, t('batch.clear')));
    actions.replaceChildren(...buttons, h('p', { class: 'muted batch-hint' }, t('batch.hint')));
  }

  function clear() {
    selected.clear();
    selectPage(false);
    all.focus(); // the button that had the focus is gone
  }

  // Every selected order gets the command; the core answers each (a refusal changes nothing).
  function run(cmd) {
    const { title } = COMMANDS.find((c) => c.cmd === cmd);
    outcome = {
      title,
      items: [...selected].map((id) => {
        const r = ctx.command(cmd, { order_id: id });
        return { id, ok: r.ok, text: r.ok ? t('result.ok', { what: t(`cmd.${cmd}`) }) : ctx.refusal(r.error) };
      }),
    };
    ctx.refresh();
    results.querySelector('h3')?.focus();
  }

  function print(kind) {
    openPrintView(kind, orders(), { now: ctx.now() });
  }

  function paintResults() {
    results.hidden = !outcome;
    if (!outcome) return results.replaceChildren();
    const ok = outcome.items.filter((i) => i.ok).length;
    results.replaceChildren(
      h('div', { class: 'row' },
        h('h3', { tabindex: '-1' }, t('batch.results', { what: t(outcome.title), ok, refused: outcome.items.length - ok })),
        h('button', {
          type: 'button', dataset: { key: 'batch-dismiss' }, onclick: () => {
            outcome = null;
            paintResults();
          },
        }, t('batch.dismiss'))),
      h('ul', {}, outcome.items.map((i) => h('li', { dataset: { orderId: i.id, result: i.ok ? 'ok' : 'refused' } },
        h('button', { type: 'button', class: 'link', onclick: () => ctx.openOrder(i.id) }, i.id), ': ', i.text))));
  }

  return {
    bar, results, rows,
    paint(list) {
      page = list.map((o) => o.id);
      update();
      paintResults();
    },
  };
}
