// views/sync-status.mjs: the sync state in the status bar, for the console (sync-ui.mjs) and the
// widget: synced / syncing / offline / sync failed (or, in a tab that only reads, "synced by the
// writing tab"), with how many of this device's changes wait for the server and how many it
// refused. The detail is sync-link.mjs's ({status, pending, conflicts, error?}); the element
// carries them as data-state, data-pending and data-conflicts, the error in its title.
import { count, t } from '../i18n.mjs';

/** Paints el from detail (null before the first round: syncing). */
export function paintSyncStatus(el, detail) {
  const d = detail ?? { status: 'syncing' };
  const pending = d.pending ?? 0;
  const conflicts = d.conflicts ?? 0;
  el.dataset.state = d.status;
  el.dataset.pending = String(pending);
  el.dataset.conflicts = String(conflicts);
  // "Synced" with changes made since the last round would be untrue: those say they wait.
  const parts = [d.status === 'synced' && pending > 0 ? t('sync.waiting', { count: count(pending) }) : t(`sync.${d.status}`)];
  if (d.status !== 'synced' && pending > 0) parts.push(t('sync.pending', { count: count(pending) }));
  if (conflicts > 0) parts.push(t('sync.conflicts', { count: count(conflicts) }));
  el.textContent = parts.join(' · ');
  el.title = d.error ? `${d.error.code}: ${d.error.message}` : '';
}
