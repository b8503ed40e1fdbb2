// views/requests.mjs: the buyer's requests on an order (order.get's `requests`), each with its
// 48 h answer countdown (C4, from `due`), and the seller's answers (C5) as controls only for the
// commands the core's `actions` allow: approve, reject with a reason, extend by some hours. The
// shell checks nothing itself: an empty reason or too many hours go to the core, whose refusal
// (message and rule) is shown like any other.
import { field, h } from '../dom.mjs';
import { dateTime, t, word } from '../i18n.mjs';
import { dueElement } from './orders.mjs';

/** ctx: {now, can(cmd), run(cmd, args)}; null when the order has no requests. */
export function renderRequests(order, ctx) {
  const requests = order.requests ?? [];
  if (!requests.length) return null;
  return h('section', { class: 'step', id: 'requests', 'aria-label': t('req.title') },
    h('h3', {}, t('req.title')),
    h('ul', { class: 'requests' }, requests.map((r) => request(r, ctx))));
}

function request(r, ctx) {
  const pending = r.state === 'pending';
  const key = r.id.replace(/\W/g, '-');
  return h('li', { dataset: { request: r.id, state: r.state, kind: r.kind } },
    h('p', {}, h('strong', {}, word('req.kind', r.kind)), ' · ', h('span', { class: 'req-state' }, word('req.state', r.state)),
      r.extensions ? h('span', { class: 'muted' }, ' · ', t('req.extended', { n: r.extensions })) : null),
    r.reason ? h('p', {}, t('req.reason', { reason: r.reason })) : null,
    h('p', { class: 'muted' }, t('req.submitted', { when: dateTime(r.submitted_at) })),
    pending ? h('p', {}, t('req.answer_by'), ' ', h('time', { datetime: new Date(r.due).toISOString() }, dateTime(r.due)), ' · ',
      dueElement({ due: r.due, state: 'open' }, ctx.now)) : null,
    r.answer_reason ? h('p', {}, t('req.answered', { reason: r.answer_reason })) : null,
    pending ? answers(r, key, ctx) : null);
}

function answers(r, key, ctx) {
  const parts = [];
  if (ctx.can('request.approve')) {
    parts.push(h('div', { class: 'row' }, h('button', {
      type: 'button', class: 'primary', dataset: { key: `req-approve-${key}` },
      onclick: () => ctx.run('request.approve', { request_id: r.id }),
    }, t('req.approve'))));
  }
  if (ctx.can('request.reject')) {
    const reason = field(t('req.reject_reason'), {
      name: 'reject-reason', type: 'text', maxlength: 200, 'aria-required': 'true', dataset: { key: `req-reject-reason-${key}` },
    });
    parts.push(h('form', {
      class: 'inline', onsubmit: (e) => {
        e.preventDefault();
        // The reason goes as typed, even empty: the core refuses a rejection without one (C5).
        ctx.run('request.reject', { request_id: r.id, reason: reason.querySelector('input').value.trim() });
      },
    }, reason, h('button', { type: 'submit', class: 'danger', dataset: { key: `req-reject-${key}` } }, t('req.reject'))));
  }
  if (ctx.can('request.extend')) {
    const hours = field(t('req.extend_hours'), {
      name: 'hours', type: 'number', min: 1, step: 1, value: 24, inputmode: 'numeric', dataset: { key: `req-extend-hours-${key}` },
    });
    parts.push(h('form', {
      class: 'inline', onsubmit: (e) => {
        e.preventDefault();
        ctx.run('request.extend', { request_id: r.id, hours: Number(hours.querySelector('input').value) });
      },
    }, hours, h('button', { type: 'submit', dataset: { key: `req-extend-${key}` } }, t('req.extend'))));
  }
  if (!parts.length) return null;
  return h('div', { role: 'group', 'aria-label': t('req.actions', { id: r.id }) }, parts);
}
