// sync-link.mjs: how a console or a widget joins its sync server (docs/sync.md), shared by
// sync-ui.mjs (the console) and widget/sync.mjs. Two jobs, both around web/sync-client.mjs:
//
//   findLink({server, shop})  the device's pairing {server, shop_id, device_id, token}: the one
//                             this page kept, else GET <server>/api/local-pairing once
//   startLink({server, shop}) findLink for a start (the console's): a "no sync here" is
//                             remembered, so the next start need not wait for it (recheck())
//   connect({store, link})    pairs the store's core as that device (sync.pair, writer tab only)
//                             and runs the device loop: at once, on `online`, every 30 s, soon
//                             after a local command (changed()), and when this tab becomes the
//                             writer; onChange() after a round that changed what the core holds
//   pairAgain({link, code?})  a new pairing when the server no longer knows the device (a 401:
//                             its data folder was reset, the token lost): local pairing again,
//                             or POST /api/pair {shop_id, code}; kept in place of the old one.
//                             connect({..., again: true}) then pairs the core as the new device
//                             (sync.pair's `again`: its pending operations are kept and pushed
//                             under the new device)
//
// Where the token is kept: in localStorage, under `packdesk.sync <server> <shop or *>`, and
// nowhere else. Not in the URL: addresses leak (history, bookmarks, screenshots, a link sent to
// someone). Not in the core's store: the store is the core's (journaled, exported by `packdesk
// export`, copied to the server as order states), and a bearer secret has no place there. This
// origin's localStorage survives reloads, is shared by its tabs (a second tab syncs as the same
// device once it becomes the writer), and is cleared with the site's data, IndexedDB with it.
import { SyncClient } from './sync-client.mjs';

const PAIRING_TIMEOUT_MS = 10000;

/** The localStorage key of the link to server ('' = this page's origin) for shop (null: any). */
export const linkKey = (server, shop) => `packdesk.sync ${server || 'self'} ${shop ?? '*'}`;

// A pairing as the server gives it; the shop id names a store (shop-<id>), so it is checked as one.
const fits = (re, x) => typeof x === 'string' && re.test(x);
const isLink = (v) => fits(/^[\w-][\w.-]{0,58}$/, v?.shop_id) && fits(/^[\w.:-]{1,128}$/, v.device_id) && fits(/^[\w-]{16,200}$/, v.token);

function storageOf(given) {
  try {
    return given ?? globalThis.localStorage ?? null;
  } catch {
    return null; // storage refused (a sandboxed frame, cookies off): no link survives a reload
  }
}

function readLink(storage, key) {
  try {
    const value = JSON.parse(storage?.getItem(key) ?? 'null');
    return isLink(value) ? value : null;
  } catch {
    return null;
  }
}

const coded = (code, message) => ({ code, message });

// GET /api/local-pairing → {link} or {link: null, why}. 200: this machine's device. 204 (the
// console server without a data folder answers so, to spare every standalone page a failed
// request in its console), 403, 404: no sync here for this page.
async function askLocalPairing(server, shop, fetchFn) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PAIRING_TIMEOUT_MS);
  let res;
  let body = null;
  try {
    res = await fetchFn(`${server}/api/local-pairing`, { method: 'GET', cache: 'no-store', signal: abort.signal });
    if (res.status === 200) body = await res.json().catch(() => null); // not JSON: no pairing, said below
  } catch (err) {
    return { link: null, why: coded('OFFLINE', `the sync server cannot be reached: ${err?.message ?? err}`) };
  } finally {
    clearTimeout(timer);
  }
  const where = `${server || globalThis.location?.origin}/api/local-pairing`;
  if ([204, 403, 404].includes(res.status)) return { link: null, why: coded('NO_SYNC', `${where}: ${res.status}, no sync for this page`) };
  if (!isLink(body)) return { link: null, why: coded('PAIRING_FAILED', `${where}: ${res.status}, no pairing`) };
  if (shop && body.shop_id !== shop) return { link: null, why: coded('OTHER_SHOP', `${where} pairs this machine to shop ${body.shop_id}, not ${shop}`) };
  return { link: { server, shop_id: body.shop_id, device_id: body.device_id, token: body.token } };
}

/**
 * The link of this page to `server` ('' = the page's own origin) for `shop` (null: whichever
 * shop the server pairs this machine to). Resolves {link} or {link: null, why: {code, message}}:
 * NO_SYNC (the server has no sync for this page), OFFLINE (no link kept and no network),
 * PAIRING_FAILED, OTHER_SHOP. Two tabs opening at once pair once: the ask runs under a Web Lock,
 * and the second tab finds the first one's link when it gets the lock.
 */
export async function findLink({ server = '', shop = null, fetch: fetchFn = globalThis.fetch?.bind(globalThis), storage } = {}) {
  const store = storageOf(storage);
  const key = linkKey(server, shop);
  const kept = readLink(store, key);
  if (kept) return { link: { ...kept, server } };
  if (globalThis.navigator?.onLine === false) return { link: null, why: coded('OFFLINE', 'offline, and this page was never paired') };
  const ask = async () => {
    const again = readLink(store, key);
    if (again) return { link: { ...again, server } };
    const found = await askLocalPairing(server, shop, fetchFn);
    if (found.link) keepLink(store, key, found.link);
    return found;
  };
  const locks = globalThis.navigator?.locks;
  return locks ? locks.request(`packdesk:pairing ${key}`, ask) : ask();
}

/** The localStorage key of the remembered "no sync here" (NO_SYNC) of server for shop (startLink). */
export const noSyncKey = (server, shop) => `packdesk.nosync ${server || 'self'} ${shop ?? '*'}`;

// Only what learn() wrote counts: anything else there (another version's value, a hand edit)
// is no answer, so the start asks and waits as a first one does.
function remembersNoSync(storage, key) {
  try {
    return Number.isFinite(JSON.parse(storage?.getItem(key) ?? 'null')?.at);
  } catch {
    return false;
  }
}

// What the answer teaches the next start: a link forgets "no sync", a NO_SYNC is remembered; the
// other answers (OFFLINE, PAIRING_FAILED: a server that may well sync once it answers) change
// nothing, so they neither make a start wait nor hide a server that answered "no" before.
function learn(storage, key, found) {
  try {
    if (found.link) storage?.removeItem?.(key);
    else if (found.why?.code === 'NO_SYNC') storage?.setItem(key, JSON.stringify({ at: Date.now() }));
  } catch { /* storage refused: the next start asks and waits again */ }
}

/**
 * findLink for a page that must not wait on the pairing check when it need not (issue 4): a
 * standalone console would otherwise wait for GET /api/local-pairing at every start, for a
 * "no" it already had. Resolves {link, why?, recheck}:
 * - a kept link: {link, recheck: null}, nothing asked (as findLink);
 * - this server answered NO_SYNC before (remembered in localStorage under noSyncKey): at once
 *   {link: null, why: {code: 'NO_SYNC'}, recheck}; recheck() asks again (the page calls it once
 *   it is on screen, so the check does not compete with its start) and resolves to findLink's
 *   answer: {link} when a sync server came since;
 * - else the check, awaited: {link} or {link: null, why}, recheck null.
 * What the check answers is remembered for the next start as `learn` says.
 */
export async function startLink({ server = '', shop = null, fetch: fetchFn, storage } = {}) {
  const store = storageOf(storage);
  const kept = readLink(store, linkKey(server, shop));
  if (kept) return { link: { ...kept, server }, recheck: null };
  const key = noSyncKey(server, shop);
  const check = async () => {
    const found = await findLink({ server, shop, storage: store, ...(fetchFn ? { fetch: fetchFn } : {}) });
    learn(store, key, found);
    return found;
  };
  if (remembersNoSync(store, key)) {
    const where = server || globalThis.location?.origin;
    return { link: null, why: coded('NO_SYNC', `${where} had no sync at the last start`), recheck: check };
  }
  return { ...(await check()), recheck: null };
}

function keepLink(storage, key, link) {
  try {
    storage?.setItem(key, JSON.stringify({ shop_id: link.shop_id, device_id: link.device_id, token: link.token, ...(link.via ? { via: link.via } : {}) }));
  } catch { /* storage full or refused: this visit syncs, the next pairs again */ }
}

// POST /api/pair {shop_id, code} → {link} or {link: null, why}.
async function askPairing(server, shop, code, fetchFn) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PAIRING_TIMEOUT_MS);
  let res;
  let body = null;
  try {
    res = await fetchFn(`${server}/api/pair`, {
      method: 'POST', cache: 'no-store', signal: abort.signal,
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ shop_id: shop, code }),
    });
    body = await res.json().catch(() => null);
  } catch (err) {
    return { link: null, why: coded('OFFLINE', `the sync server cannot be reached: ${err?.message ?? err}`) };
  } finally {
    clearTimeout(timer);
  }
  if (res.status !== 200) {
    const e = body?.error ?? {};
    return { link: null, why: coded(e.code ?? `HTTP_${res.status}`, e.message ?? `/api/pair answered ${res.status}`) };
  }
  if (!isLink(body)) return { link: null, why: coded('PAIRING_FAILED', '/api/pair answered no pairing') };
  if (body.shop_id !== shop) return { link: null, why: coded('OTHER_SHOP', `/api/pair paired shop ${body.shop_id}, not ${shop}`) };
  return { link: { server, shop_id: body.shop_id, device_id: body.device_id, token: body.token, via: 'code' } };
}

/**
 * Pairs this page again with link's server, for link's shop, when the server no longer knows
 * the device (a 401: its data folder was reset, or the token was revoked). Without `code`,
 * through GET /api/local-pairing as at the first start; with it, POST /api/pair {shop_id, code}.
 * `shop` is what findLink was given (where the link is kept). Resolves {link} (kept in place of
 * the old one) or {link: null, why}: NO_SYNC (this page is not paired by itself: ask for a
 * code), UNAUTHORIZED (a wrong code), OFFLINE, OTHER_SHOP (a pairing for another shop: the
 * pending operations of this one must not go there), PAIRING_FAILED.
 */
export async function pairAgain({ link, code, shop = null, fetch: fetchFn = globalThis.fetch?.bind(globalThis), storage } = {}) {
  const found = typeof code === 'string'
    ? await askPairing(link.server, link.shop_id, code.trim(), fetchFn)
    : await askLocalPairing(link.server, link.shop_id, fetchFn);
  if (found.link) keepLink(storageOf(storage), linkKey(link.server, shop), found.link);
  return found;
}

/**
 * Runs the device loop of `link` on an open store (wasm/packdesk-store.mjs). Returns
 * {client, detail(), changed(), sync(), start(), stop()}; detail() is the last status
 * ({status, pending, conflicts, cursor, error?}, or a follower's {status: 'follower', ...}).
 * onStatus(detail) after every status; onChange() after a round that changed the store's
 * cursor, pending operations or conflicts (the page repaints then). again: link is a new pairing
 * of a device the server lost (pairAgain): a core paired as the old device is paired again as
 * this one (sync.pair {again: true}), its pending operations kept for it.
 */
export function connect({ store, link, onStatus, onChange, intervalMs, kickDelayMs, again = false }) {
  let last = null;
  let signature = null;
  const counts = () => {
    const r = store.exec({ cmd: 'sync.status', at: Date.now() }).response;
    return r.ok ? r.result : { pending: null, conflicts: null, cursor: null, device_id: null };
  };
  // The core keeps pending operations only once paired; only the writer tab may pair it (a
  // follower's store is read-only), and a takeover pairs it if the writer had not yet.
  const pairCore = () => {
    const paired = store.isWriter ? counts().device_id : link.device_id;
    if (paired === link.device_id || (paired && !again)) return;
    const { response, saved } = store.exec({ cmd: 'sync.pair', at: Date.now(), device_id: link.device_id, ...(paired ? { again: true } : {}) });
    saved?.catch(() => {}); // a failed save is the store's status ('save-failed')
    if (!response.ok) throw Object.assign(new Error(response.error.message), { code: response.error.code });
  };
  const emit = (detail) => {
    last = detail;
    onStatus?.(detail);
    if (['syncing', 'follower'].includes(detail.status)) return;
    const now = `${detail.cursor}/${detail.pending}/${detail.conflicts}`;
    if (now !== signature) {
      signature = now;
      onChange?.();
    }
  };
  const followerDetail = () => ({ status: 'follower', ...pick(counts()) });
  const client = new SyncClient({
    store, serverUrl: link.server, token: link.token, deviceId: link.device_id, onStatus: emit,
    ...(intervalMs !== undefined ? { intervalMs } : {}), ...(kickDelayMs !== undefined ? { kickDelayMs } : {}),
  });
  const onStoreStatus = (e) => {
    if (e.detail.status !== 'writer') return;
    try {
      pairCore();
    } catch { /* the round says why (PAIRED_ELSEWHERE, ...) */ }
    client.sync().catch(() => {});
  };
  // A follower reloaded the writer's save: its counts are the writer's now.
  const onReloaded = () => {
    if (!store.isWriter) onStatus?.(followerDetail());
  };
  return {
    client,
    detail: () => (store.isWriter ? last : followerDetail()),
    /** After a local command: a round soon, when there is something to send. */
    changed() {
      const c = counts();
      if (c.pending > 0) client.changed();
      if (!store.isWriter) return onStatus?.(followerDetail());
      if (last) {
        last = { ...last, ...pick(c) }; // the bar counts the new operation at once
        onStatus?.(last);
      }
    },
    sync: () => client.sync(),
    start() {
      const c = counts();
      signature = `${c.cursor}/${c.pending}/${c.conflicts}`;
      try {
        pairCore();
      } catch { /* the first round reports it */ }
      store.addEventListener('status', onStoreStatus);
      store.addEventListener('reloaded', onReloaded);
      if (!store.isWriter) onStatus?.(followerDetail());
      client.start();
      return this;
    },
    stop() {
      store.removeEventListener('status', onStoreStatus);
      store.removeEventListener('reloaded', onReloaded);
      client.stop();
    },
  };
}

const pick = (c) => ({ pending: c.pending ?? null, conflicts: c.conflicts ?? null, cursor: c.cursor ?? null });
