// views/carrier-sim.mjs: step 4 for the demo. No carrier is connected yet, so this panel, marked
// as a demo, plays the carrier's part: it sends `carrier.event` as a carrier's webhook would. It
// offers the events order.get's `carrier_events` says fit the order now (a pickup order is never
// "dropped off"); the core still answers each, and a refusal is shown.
import { field, h } from '../dom.mjs';
import { t, word } from '../i18n.mjs';

/** ctx: {can(cmd), run(cmd, args)}; null unless `carrier.event` is in actions with an event that fits. */
export function renderCarrierSim(order, ctx) {
  const events = order.carrier_events ?? [];
  if (!ctx.can('carrier.event') || !events.length) return null;
  const tracking = field(t('sim.tracking'), {
    name: 'tracking', type: 'text', autocomplete: 'off', maxlength: 64, dataset: { key: 'sim-tracking' },
    value: order.tracking_number ?? `VN${order.id.replace(/\W/g, '')}`,
  });
  const input = tracking.querySelector('input');
  const send = (event) => {
    const number = input.value.trim();
    const withTracking = (event === 'picked_up' || event === 'dropped_off') && number;
    ctx.run('carrier.event', { event, ...(withTracking ? { tracking_number: number } : {}) });
  };
  return h('section', { class: 'step demo', id: 'carrier-sim', 'aria-label': t('sim.title') },
    h('h3', {}, t('sim.title')), h('p', { class: 'muted' }, t('sim.note')), tracking,
    h('div', { class: 'row' }, events.map((event) => h('button', {
      type: 'button', dataset: { event, key: `sim-${event}` }, onclick: () => send(event),
    }, t('sim.send', { event: word('carrier', event) })))));
}
