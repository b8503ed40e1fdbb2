// views/pair-again.mjs: the offer to pair this device again, shown under the bar when the sync
// server no longer knows it (a round answered 401 UNAUTHORIZED: the server's data folder was
// reset, the token revoked; or PAIRED_ELSEWHERE: the page's pairing is not the one the core
// holds). It says that the changes waiting on this device are kept, and offers, on the server
// that pairs this machine by itself (make run's local pairing), one button; elsewhere, or when
// local pairing is refused, a field for a pairing code from the server's operator. sync-ui.mjs
// does the pairing (sync-link.mjs's pairAgain); this file only draws.
import { h } from '../dom.mjs';
import { count, t } from '../i18n.mjs';

/** The 401s of a round that mean "pair again" (sync-client.mjs's error codes). */
export const LOST_DEVICE = new Set(['UNAUTHORIZED', 'PAIRED_ELSEWHERE']);

/**
 * Paints section (hidden when offer is null). offer: {mode: 'local' | 'code', pending, busy,
 * error?: {code, message}}; onLocal(), onCode(code): what the button and the form ask.
 */
export function paintPairAgain(section, offer, { onLocal, onCode }) {
  section.hidden = !offer;
  if (!offer) return section.replaceChildren();
  section.dataset.mode = offer.mode;
  const focused = section.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  const typed = section.querySelector('input[data-key="pair-code"]')?.value ?? '';
  const parts = [
    h('h2', { id: 'pair-again-title' }, t('pair.title')),
    h('p', {}, t('pair.lost', { count: count(offer.pending ?? 0) })),
  ];
  if (offer.mode === 'local') {
    parts.push(h('button', { type: 'button', class: 'primary', disabled: offer.busy, dataset: { key: 'pair-again' }, onclick: () => onLocal() },
      offer.busy ? t('pair.pairing') : t('pair.again')));
  } else {
    const input = h('input', { id: 'pair-code', name: 'code', autocomplete: 'off', required: true, maxlength: 200, dataset: { key: 'pair-code' } });
    input.value = typed;
    parts.push(h('p', { class: 'muted' }, t('pair.need_code')), h('form', {
      class: 'row', onsubmit: (e) => {
        e.preventDefault();
        if (input.value.trim()) onCode(input.value.trim());
      },
    }, h('label', { for: 'pair-code' }, t('pair.code_label')), input,
    h('button', { type: 'submit', class: 'primary', disabled: offer.busy, dataset: { key: 'pair-submit' } }, offer.busy ? t('pair.pairing') : t('pair.submit'))));
  }
  if (offer.error) {
    parts.push(h('p', { class: 'message', id: 'pair-error', role: 'alert', dataset: { kind: 'refused', code: offer.error.code } },
      t('pair.failed', { message: offer.error.message })));
  }
  section.replaceChildren(...parts);
  if (focused) section.querySelector(`[data-key="${focused}"]`)?.focus();
}
