// views/marketplace-calls.mjs: the marketplace calls the server could not make (docs/sync.md, "The
// marketplace"), shown in the console. An accepted ship, cancellation or request answer becomes a
// signed call the server sends; one the marketplace refuses for good stays `failed` on the server,
// not in the core (devices pull no server-written notices). So the console asks the server:
// GET /api/marketplace/calls?state=failed with the device's token, after each sync round that went
// through (sync-ui.mjs: paired and online), and shows
//   - on the affected order, a notice under its title: "The marketplace refused the ship call:
//     206108 invalid tracking number", with Retry (POST /api/marketplace/calls/retry {id}: the
//     server sends it again; the notice goes once the next list no longer has it as failed);
//   - in the status bar, how many calls were refused (#marketplace-calls, hidden at 0).
// What the list says is the server's; this file keeps only the last list and the retries on
// their way. Strings are i18n.mjs's (market.*).
import { h } from '../dom.mjs';
import { count, t, word } from '../i18n.mjs';

const TIMEOUT_MS = 20000;

/**
 * The console's view of the refused calls. link(): the current pairing ({server, token}; it
 * changes when the device is paired again); onChange(): the list or a retry's state changed
 * (the page repaints). Returns {refresh(), forOrder(id), notice(orderId), paintCount(el), calls()}.
 */
export function createMarketplaceCalls({ link, onChange, fetch: fetchFn = globalThis.fetch?.bind(globalThis) }) {
  let calls = []; // the last list: failed calls, newest first
  let supported = true; // a server without the marketplace routes (404) is not asked again
  let running = null;
  let again = false;
  const retrying = new Set(); // ids whose retry is on its way
  const failures = new Map(); // id → the message of a retry the server refused

  async function request(path, init = {}) {
    const { server, token } = link();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const res = await fetchFn(`${server}${path}`, {
        ...init, cache: 'no-store', signal: abort.signal,
        headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    } finally {
      clearTimeout(timer);
    }
  }

  // One GET; a failed one (network, 401: the sync status says why) keeps the last list.
  async function load() {
    let r;
    try {
      r = await request('/api/marketplace/calls?state=failed', { method: 'GET' });
    } catch {
      return;
    }
    if (r.status === 404) supported = false;
    if (r.status !== 200 || !Array.isArray(r.body?.calls)) return;
    const next = r.body.calls.filter((c) => c?.state === 'failed' && Number.isSafeInteger(c.id) && typeof c.order_id === 'string');
    for (const id of failures.keys()) if (!next.some((c) => c.id === id)) failures.delete(id);
    const changed = JSON.stringify(next) !== JSON.stringify(calls);
    calls = next;
    if (changed) onChange?.();
  }

  /** Reads the list again (one request at a time; asked meanwhile: once more after it). */
  function refresh() {
    if (!supported) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await load();
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  async function retry(call) {
    retrying.add(call.id);
    failures.delete(call.id);
    onChange?.();
    let r;
    try {
      r = await request('/api/marketplace/calls/retry', { method: 'POST', body: JSON.stringify({ id: call.id }) });
    } catch (err) {
      r = { status: 0, body: { error: { message: err?.message ?? String(err) } } };
    }
    retrying.delete(call.id);
    if (r.status === 200) calls = calls.filter((c) => c.id !== call.id); // pending again: no longer refused
    else failures.set(call.id, r.body?.error?.message ?? `HTTP ${r.status}`);
    onChange?.();
    await refresh();
  }

  const forOrder = (orderId) => calls.filter((c) => c.order_id === orderId);

  /** The notice of an order's refused calls (null without): one sentence and Retry each. */
  function notice(orderId) {
    const mine = forOrder(orderId);
    if (!mine.length) return null;
    return h('section', { class: 'market-calls', id: 'market-calls', 'aria-labelledby': 'market-calls-title', dataset: { count: String(mine.length) } },
      h('h3', { id: 'market-calls-title' }, t('market.title')),
      mine.map((c) => {
        const busy = retrying.has(c.id);
        const failed = failures.get(c.id);
        return h('div', { class: 'market-call', dataset: { call: String(c.id), kind: c.kind ?? '' } },
          h('p', {}, t('market.refused', { call: word('market.call', c.kind), code: c.code ?? '', message: c.message ?? '' }).replace(/ {2,}/g, ' ').trim()),
          h('p', { class: 'muted' }, t('market.hint')),
          failed ? h('p', { class: 'message', dataset: { kind: 'refused' } }, t('market.retry_failed', { message: failed })) : null,
          h('button', { type: 'button', disabled: busy, dataset: { key: `market-retry-${c.id}` }, onclick: () => retry(c) },
            busy ? t('market.retrying') : t('market.retry')));
      }));
  }

  /** The status bar's count (el hidden at 0). */
  function paintCount(el) {
    el.hidden = calls.length === 0;
    el.dataset.count = String(calls.length);
    el.dataset.state = calls.length ? 'sync-failed' : 'synced';
    el.textContent = calls.length ? t('market.count', { count: count(calls.length) }) : '';
  }

  return { refresh, forOrder, notice, paintCount, calls: () => calls };
}
