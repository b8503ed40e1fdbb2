// views/packing.mjs: step 2, the packing station, for someone standing at a table with a
// keyboard-wedge scanner (it types the SKU and Enter into the focused field) or typing SKUs.
// Each scan is one `pack.scan`; the answer shows large (packed 2/3, or refused and why) and
// sounds (sound.mjs), so the packer need not look. The checklist and "complete" appear only when
// the core's `actions` offer them.
import { h, uid } from '../dom.mjs';
import { t, word } from '../i18n.mjs';

/**
 * order: order.get's result; ctx: {can(cmd), run(cmd, args), scan(sku), feedback: {kind, text}|null}.
 * Returns the section, or null when there is nothing to pack.
 */
/**
 * The packing station's feedback for a pack.scan answer: {kind: 'ok' | 'refused', text}.
 * NOT_ORDERED covers a SKU not ordered and one unit too many (P1): the core says which in
 * `reason`, so the shell decides nothing about the order.
 */
export function scanFeedback(r) {
  if (r.ok) return { kind: 'ok', text: t('step2.packed', { packed: r.result.packed, units: r.result.units }) };
  const why = r.error.code !== 'NOT_ORDERED' ? word('error', r.error.code)
    : t(r.error.reason === 'one_too_many' ? 'step2.refused_too_many' : 'step2.refused_not_ordered');
  return { kind: 'refused', text: t('step2.refused', { why }) };
}

export function renderPacking(order, ctx) {
  const packing = ['pack.scan', 'pack.unscan', 'pack.confirm', 'pack.complete'].some((a) => ctx.can(a));
  if (!packing) return null;
  const lines = order.lines.filter((l) => !l.cancelled);
  const units = lines.reduce((n, l) => n + l.quantity, 0);
  const packed = lines.reduce((n, l) => n + l.packed, 0);
  const inputId = uid('scan');
  const children = [h('h3', {}, t('step2.title')),
    h('p', { class: 'muted', id: 'pack-progress' }, t('step2.progress', { packed, units }))];
  if (ctx.can('pack.scan')) {
    const input = h('input', {
      id: inputId, name: 'sku', type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
      enterkeyhint: 'done', dataset: { key: 'scan' }, required: true, maxlength: 100,
    });
    children.push(h('form', {
      class: 'scan', onsubmit: (e) => {
        e.preventDefault();
        const sku = input.value.trim();
        input.value = '';
        if (sku) ctx.scan(sku);
      },
    }, h('label', { for: inputId }, t('step2.scan')), h('div', { class: 'row' }, input,
      h('button', { type: 'submit', class: 'primary', dataset: { key: 'scan-button' } }, t('step2.scan_button')))));
  }
  children.push(h('p', {
    class: 'feedback', id: 'scan-feedback', role: 'status', 'aria-live': 'assertive',
    dataset: { kind: ctx.feedback?.kind ?? '' },
  }, ctx.feedback?.text ?? ''));
  if (ctx.can('pack.unscan')) {
    // P1: a unit scanned by mistake comes back out; one button per line with a unit packed.
    const packedLines = lines.filter((l) => l.packed > 0);
    if (packedLines.length) {
      children.push(h('div', { class: 'row', role: 'group', 'aria-label': t('unscan.title') }, packedLines.map((l) => {
        const sku = l.seller_sku || l.sku_id;
        return h('button', { type: 'button', dataset: { key: `unscan-${l.id}` }, onclick: () => ctx.run('pack.unscan', { sku }) },
          t('unscan.button', { sku }));
      })));
    }
  }
  if (order.checklist?.length) {
    children.push(h('h4', {}, t('step2.checklist')), h('ul', { class: 'checklist' }, order.checklist.map((entry) => {
      const label = word('item', entry.item);
      if (entry.confirmed) return h('li', { dataset: { item: entry.item, confirmed: 'true' } }, `✓ ${t('step2.confirmed_item', { item: label })}`);
      return h('li', { dataset: { item: entry.item, confirmed: 'false' } }, ctx.can('pack.confirm')
        ? h('button', { type: 'button', dataset: { key: `item-${entry.item}` }, onclick: () => ctx.run('pack.confirm', { item: entry.item }) },
          t('step2.confirm_item', { item: label }))
        : label);
    })));
  }
  if (ctx.can('pack.complete')) {
    children.push(h('div', { class: 'row' }, h('button', {
      type: 'button', class: 'primary', dataset: { key: 'pack-complete' }, onclick: () => ctx.run('pack.complete'),
    }, t('step2.complete'))));
  }
  return h('section', { class: 'step', id: 'packing', 'aria-label': t('step2.title') }, children);
}
