// views/order-detail.mjs: one order as `order.get` returns it: stage and flags, masked buyer,
// money, deadlines with their rule, lines, timeline; and, as buttons and forms, only the commands
// its `actions` allow (step 1: check lines, confirm, cancel, buyer requests in views/requests.mjs;
// step 2: views/packing.mjs; step 3: handover, mark shipped, complaint; step 4:
// views/carrier-sim.mjs and the refund request; label, message, issues: views/order-extras.mjs).
import { field, h, uid } from '../dom.mjs';
import { dateTime, money, t, word } from '../i18n.mjs';
import { renderCarrierSim } from './carrier-sim.mjs';
import { renderConflicts } from './conflicts.mjs';
import { renderIssues, renderLabel, renderMessage } from './order-extras.mjs';
import { dueElement } from './orders.mjs';
import { renderPacking } from './packing.mjs';
import { renderRequests } from './requests.mjs';

const CHECKS = ['ok', 'out_of_stock', 'damaged', 'expired'];

/** Nothing chosen yet. */
export function renderEmptyDetail(section) {
  section.replaceChildren(h('p', { class: 'muted' }, t('detail.none')));
  delete section.dataset.order;
  delete section.dataset.stage;
}

/**
 * section: the detail pane; order: order.get's result; ctx: {now, run(cmd, args), scan(sku),
 * message: {kind, text}|null, feedback, close(), label: {orderId, label}|null, hideLabel()}.
 */
export function renderDetail(section, order, ctx) {
  const actions = new Set(order.actions ?? []);
  const view = { ...ctx, can: (cmd) => actions.has(cmd) };
  section.dataset.order = order.id;
  section.dataset.stage = order.stage;
  section.replaceChildren(...[
    header(order, ctx),
    renderConflicts(order, view), // what the server refused of this device's changes (sync)
    h('p', { class: 'message', id: 'detail-message', role: 'status', dataset: { kind: ctx.message?.kind ?? '' } }, ctx.message?.text ?? ''),
    facts(order),
    deadlines(order, ctx.now),
    lines(order, view),
    renderRequests(order, view),
    stepOne(order, view),
    renderPacking(order, view),
    renderLabel(order, view),
    stepThree(order, view),
    stepFour(order, view),
    renderIssues(order, view),
    renderMessage(order, view),
    cancelForm(view),
    timeline(order),
  ].flat().filter(Boolean));
}

function header(order, ctx) {
  return h('div', {},
    h('div', { class: 'row' },
      h('h2', { id: 'detail-title', tabindex: '-1' }, t('detail.order', { id: order.id })),
      h('span', { class: 'stage', id: 'detail-stage', dataset: { stage: order.stage } }, word('stage', order.stage)),
      h('button', { type: 'button', dataset: { key: 'close' }, onclick: ctx.close }, t('detail.close'))),
    order.flags?.length ? h('p', {}, order.flags.map((f) => h('span', { class: 'flag', dataset: { flag: f } }, word('flag', f)))) : null);
}

function facts(order) {
  const b = order.buyer ?? {};
  const m = order.money ?? {};
  const ho = order.handover ?? {};
  const rows = [
    [t('detail.placed'), dateTime(order.placed_at)],
    [t('detail.buyer'), h('span', {}, [b.name, b.phone, b.address].filter(Boolean).join(' · '), h('br'), h('small', { class: 'muted' }, t('detail.buyer_masked')))],
    [t('detail.subtotal'), money(m.subtotal, m.currency)],
    [t('detail.shipping_fee'), money(m.shipping_fee, m.currency)],
    [t('detail.total'), h('strong', {}, money(m.total, m.currency))],
    order.tracking_number ? [t('detail.tracking'), order.tracking_number] : null,
    ho.method ? [t('detail.handover'), [word('method', ho.method), ho.shipping_point, ho.note].filter(Boolean).join(' · ')] : null,
    order.cancel_reason ? [t('detail.cancel_reason'), order.cancel_reason] : null,
    order.issues?.some((i) => !i.resolved_at) ? [t('detail.issues'), order.issues.filter((i) => !i.resolved_at).map((i) => word('flag', i.kind)).join(', ')] : null,
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function table(caption, head, rows, id) {
  return h('div', { class: 'table-wrap' }, h('table', { id },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

function deadlines(order, now) {
  const list = order.deadlines ?? [];
  return [h('h3', {}, t('detail.deadlines')), list.length
    ? table(t('detail.deadlines'), [t('col.kind'), t('col.due'), t('col.left'), t('col.rule'), t('col.state')],
      list.map((d) => h('tr', { dataset: { kind: d.kind, state: d.state } },
        h('td', {}, word('deadline', d.kind)), h('td', {}, dateTime(d.due)),
        h('td', {}, d.state === 'open' ? dueElement(d, now) : ''),
        h('td', {}, d.rule ?? ''), h('td', {}, word('dstate', d.state)))), 'deadlines')
    : h('p', { class: 'muted' }, t('detail.no_deadlines'))];
}

function lines(order, view) {
  const currency = order.money?.currency;
  const checking = view.can('line.check');
  return [h('h3', {}, t('detail.lines')), table(t('detail.lines'),
    [t('col.product'), t('col.sku'), t('col.qty'), t('col.packed'), t('col.price'), t('col.check')],
    // data-label: the column's name, which console.css shows beside each cell on a phone,
    // where each line is a card instead of a table row.
    order.lines.map((l) => h('tr', { dataset: { line: l.id, check: l.check } },
      h('td', {}, l.product_name || l.sku_name || l.seller_sku, l.classes?.length ? h('span', {}, ' ', l.classes.map((c) => h('span', { class: 'flag' }, word('item', c).split(':')[0]))) : null),
      h('td', { dataset: { label: t('col.sku') } }, l.seller_sku || l.sku_id),
      h('td', { dataset: { label: t('col.qty') } }, String(l.quantity)), h('td', { dataset: { label: t('col.packed') } }, `${l.packed}/${l.quantity}`),
      h('td', { dataset: { label: t('col.price') } }, money(l.unit_price, currency)),
      h('td', { dataset: { label: t('col.check') } }, word('check', l.check), checking && !l.cancelled ? h('div', { class: 'row', role: 'group', 'aria-label': t('step1.check_line', { line: l.id }) },
        CHECKS.map((result) => h('button', {
          type: 'button', 'aria-pressed': String(l.check === result), dataset: { check: result, key: `check-${l.id}-${result}` },
          'aria-label': `${t('step1.check_line', { line: l.id })}: ${word('check', result)}`,
          onclick: () => view.run('line.check', { line_id: l.id, result }),
        }, word('check', result)))) : null))), 'lines')];
}

function stepOne(order, view) {
  if (!view.can('order.confirm')) return null;
  return h('section', { class: 'step', id: 'step1', 'aria-label': t('step1.title') }, h('h3', {}, t('step1.title')),
    h('div', { class: 'row' }, h('button', {
      type: 'button', class: 'primary', dataset: { key: 'confirm' }, onclick: () => view.run('order.confirm'),
    }, t('step1.confirm'))));
}

function cancelForm(view) {
  if (!view.can('order.cancel')) return null;
  const reason = field(t('step1.reason'), {
    name: 'reason', type: 'text', required: true, maxlength: 200, placeholder: t('step1.reason_placeholder'), dataset: { key: 'cancel-reason' },
  });
  return h('details', { class: 'step', id: 'cancel' }, h('summary', {}, t('step1.cancel')),
    h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        const text = reason.querySelector('input').value.trim();
        if (text) view.run('order.cancel', { reason: text });
      },
    }, reason, h('button', { type: 'submit', class: 'danger', dataset: { key: 'cancel-submit' } }, t('step1.cancel'))));
}

function stepThree(order, view) {
  const parts = [];
  if (view.can('handover.set')) {
    const ho = order.handover ?? {};
    const methodId = uid('method');
    const method = h('select', { id: methodId, name: 'method', dataset: { key: 'handover-method' } },
      ['pickup', 'dropoff'].map((m) => h('option', { value: m, selected: ho.method === m }, t(`step3.${m}`))));
    const point = field(t('step3.point'), { name: 'point', type: 'text', maxlength: 200, value: ho.shipping_point ?? '', dataset: { key: 'handover-point' } });
    const note = field(t('step3.note'), { name: 'note', type: 'text', maxlength: 200, value: ho.note ?? '', dataset: { key: 'handover-note' } });
    parts.push(h('form', {
      id: 'handover', onsubmit: (e) => {
        e.preventDefault();
        const shippingPoint = point.querySelector('input').value.trim();
        const noteText = note.querySelector('input').value.trim();
        view.run('handover.set', { method: method.value, ...(shippingPoint ? { shipping_point: shippingPoint } : {}), ...(noteText ? { note: noteText } : {}) });
      },
    }, h('div', { class: 'field' }, h('label', { for: methodId }, t('step3.method')), method), point, note,
    h('button', { type: 'submit', dataset: { key: 'handover-set' } }, t('step3.set'))));
  }
  if (view.can('order.ship')) {
    parts.push(h('div', { class: 'row' }, h('button', {
      type: 'button', class: 'primary', dataset: { key: 'ship' }, onclick: () => view.run('order.ship'),
    }, t('step3.ship'))));
  }
  if (view.can('complaint.file')) {
    const text = field(t('step3.complaint_text'), { name: 'complaint', type: 'text', required: true, maxlength: 500, dataset: { key: 'complaint-text' } });
    parts.push(h('form', {
      id: 'complaint', onsubmit: (e) => {
        e.preventDefault();
        const value = text.querySelector('input').value.trim();
        if (value) view.run('complaint.file', { text: value });
      },
    }, text, h('button', { type: 'submit', dataset: { key: 'complaint-file' } }, t('step3.complaint'))));
  }
  if (!parts.length) return null;
  return h('section', { class: 'step', id: 'step3', 'aria-label': t('step3.title') }, h('h3', {}, t('step3.title')), parts);
}

function stepFour(order, view) {
  const sim = renderCarrierSim(order, view);
  let refund = null;
  if (view.can('refund.submit')) {
    const reason = field(t('refund.reason'), { name: 'refund', type: 'text', required: true, maxlength: 200, dataset: { key: 'refund-reason' } });
    refund = h('form', {
      id: 'refund', onsubmit: (e) => {
        e.preventDefault();
        const value = reason.querySelector('input').value.trim();
        if (value) view.run('refund.submit', { reason: value });
      },
    }, reason, h('button', { type: 'submit', dataset: { key: 'refund-submit' } }, t('refund.submit')));
  }
  if (!sim && !refund) return null;
  return h('section', { class: 'step', id: 'step4', 'aria-label': t('step4.title') }, h('h3', {}, t('step4.title')), refund, sim);
}

function timeline(order) {
  return [h('h3', {}, t('detail.timeline')), h('ol', { class: 'timeline', id: 'timeline' },
    (order.timeline ?? []).map((e) => h('li', { dataset: { event: e.event } },
      h('time', { datetime: new Date(e.at).toISOString() }, dateTime(e.at)),
      word('event', e.event), e.detail ? h('span', { class: 'muted' }, ` · ${e.detail}`) : null)))];
}
