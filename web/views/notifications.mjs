// views/notifications.mjs: the bell (D2). Its count is notifications.list's `unread`; it opens a
// panel with the newest notifications (the core keeps the newest 100), each opening its order
// (and marking it read) or marked read on its own, and "mark all read" (notifications.read).
import { h } from '../dom.mjs';
import { count, dateTime, t } from '../i18n.mjs';

const SHOWN = 10;

/**
 * bell: the bell button; panel: its panel element; list: notifications.list's result (or null);
 * ctx: {open: boolean, toggle(), read(ids), openOrder(id, noteId)}.
 */
export function renderBell(bell, panel, list, ctx) {
  const unread = list?.unread ?? 0;
  bell.dataset.unread = String(unread);
  bell.setAttribute('aria-expanded', String(ctx.open));
  bell.setAttribute('aria-label', `${t('note.bell')}: ${t('note.unread', { count: count(unread) })}`);
  // A word, not an emoji: not every system has an emoji font (headless Chromium here has none).
  bell.replaceChildren(h('span', { 'aria-hidden': 'true' }, t('note.bell')), ' ', h('span', { class: 'count', id: 'bell-count', 'aria-hidden': 'true' }, count(unread)));
  panel.hidden = !ctx.open;
  if (!ctx.open) return panel.replaceChildren();
  const items = (list?.items ?? []).slice(0, SHOWN);
  const unreadIds = (list?.items ?? []).filter((n) => !n.read).map((n) => n.id);
  panel.replaceChildren(
    h('div', { class: 'row' }, h('h2', { id: 'notifications-title' }, t('note.title')),
      unreadIds.length ? h('button', { type: 'button', dataset: { key: 'note-all' }, onclick: () => ctx.read(unreadIds) }, t('note.mark_all')) : null,
      h('button', { type: 'button', dataset: { key: 'note-close' }, onclick: ctx.toggle }, t('note.close'))),
    items.length ? h('ul', { class: 'notes' }, items.map((n) => h('li', { dataset: { note: String(n.id), read: String(n.read), kind: n.kind } },
      h('button', {
        type: 'button', class: 'link', dataset: { key: `note-open-${n.id}` }, 'aria-label': t('note.open', { id: n.order_id }),
        onclick: () => ctx.openOrder(n.order_id, n.read ? null : n.id),
      }, t(`note.${n.kind}`, { id: n.order_id })),
      ' ', h('time', { class: 'muted', datetime: new Date(n.at).toISOString() }, dateTime(n.at)), ' ',
      n.read ? h('span', { class: 'muted' }, t('note.read'))
        : h('button', { type: 'button', dataset: { key: `note-read-${n.id}` }, onclick: () => ctx.read([n.id]) }, t('note.mark_read')))))
      : h('p', { class: 'muted' }, t('note.empty')));
}
