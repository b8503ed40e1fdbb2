// sync-client.mjs: the device's side of sync (docs/sync.md, "The device's loop"). A round pushes
// the pending operations (in seq order, at most 200), pulls the server's changes since the
// device's cursor (with `include` = the orders of the refused ones), and hands both to the core
// as `sync.base {orders, acks, cursor}`: the core rebases the device (replaces those orders,
// records refusals as conflicts, applies what is still pending again). Rounds repeat while
// pending operations are left. Everything arrives through the core: this file decides no rule
// and keeps no state of its own beyond its status (the cursor and the queue are in the store).
//
//   const sync = new SyncClient({ store, serverUrl: '', token, deviceId });
//   sync.addEventListener('status', (e) => show(e.detail.status));   // or onStatus
//   sync.start();          // at once, on `online`, every 30 s
//   sync.changed();        // after a local command: a round soon
//
// Statuses ('status' events, detail {status, error?, pending, conflicts, cursor}):
//   'syncing'      a round is running
//   'synced'       the last round went through (pending may be > 0 if commands came meanwhile)
//   'offline'      the server could not be reached (no network, a timeout): retried later
//   'sync-failed'  the server or the core refused (detail.error {code, message}): retried later
// Only the store's writer tab syncs (a follower's commands are refused anyway): on a follower a
// round does nothing. Rounds never overlap; asking during one runs one more after it.
//
// Works with the store of wasm/packdesk-store.mjs, or anything with its exec(request) →
// {response, saved}; `fetch` and the timers can be given (tests, other runtimes).

const PUSH_BATCH = 200; // docs/sync.md: batches of at most 200
const PULL_LIMIT = 500; // the server sends ~500 a page; the core takes up to 1000 a sync.base
const MAX_ROUNDS = 100; // a run stops after this many push rounds (the next run goes on)
// What the core's sync.base accepts in an ack's error (core/sync_base.c), in UTF-8 bytes.
const CODE_MAX = 64;
const MESSAGE_MAX = 1000;
const RULE_MAX = 16;

export const SYNC_STATUSES = Object.freeze(['synced', 'syncing', 'offline', 'sync-failed']);

/** A round that could not go through: {code, message}; `offline` when the server was not reached. */
export class SyncError extends Error {
  constructor(code, message, { offline = false, status, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.code = code;
    this.offline = offline;
    if (status !== undefined) this.status = status;
  }
}

const encoder = new TextEncoder();
// s cut to at most max UTF-8 bytes (never in the middle of a character).
function cutBytes(s, max) {
  if (encoder.encode(s).length <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

// A push result → the core's ack. The error is the core's answer as the server stored it; it is
// fitted to what sync.base takes, so a long message cannot make the rebase refuse.
function ackOf(result) {
  if (result.ok) return { seq: result.seq, ok: true };
  const e = result.response?.error ?? {};
  const code = typeof e.code === 'string' && e.code ? cutBytes(e.code, CODE_MAX) : 'REFUSED';
  const message = typeof e.message === 'string' && e.message ? cutBytes(e.message, MESSAGE_MAX) : 'the server refused this operation';
  const error = { code, message };
  if (typeof e.rule === 'string' && e.rule && encoder.encode(e.rule).length <= RULE_MAX) error.rule = e.rule;
  return { seq: result.seq, ok: false, error };
}

export class SyncClient extends EventTarget {
  #store;
  #base;
  #token;
  #deviceId;
  #fetch;
  #clock;
  #timers;
  #intervalMs;
  #timeoutMs;
  #kickDelayMs;
  #isOnline;
  #target;
  #onStatus;
  #running = null; // the run in progress (a Promise), or null
  #again = false; // asked for during a run: one more after it
  #interval = null;
  #kick = null;
  #unhook = [];

  /** The last status (null before the first round) and its error ({code, message}) if any. */
  status = null;
  error = null;

  /**
   * @param {{store: {exec: (request: object) => {response: object, saved?: Promise<void>}, isWriter?: boolean},
   *          serverUrl: string, token: string, deviceId?: string,
   *          fetch?: typeof fetch, clock?: () => number, intervalMs?: number, timeoutMs?: number,
   *          kickDelayMs?: number, isOnline?: () => boolean, target?: EventTarget,
   *          timers?: {setTimeout, clearTimeout, setInterval, clearInterval},
   *          onStatus?: (detail: object) => void}} options
   *   serverUrl: the sync server's origin ('' for the page's own); deviceId: pairs the core
   *   (sync.pair) if it is not yet; target: where `online`/`offline` arrive (the window).
   */
  constructor({ store, serverUrl, token, deviceId, fetch = globalThis.fetch?.bind(globalThis),
    clock = () => Date.now(), intervalMs = 30000, timeoutMs = 20000, kickDelayMs = 500,
    isOnline = () => globalThis.navigator?.onLine !== false, target = globalThis,
    timers = globalThis, onStatus } = {}) {
    super();
    if (!store || typeof store.exec !== 'function') throw new TypeError('SyncClient needs the open store');
    if (typeof serverUrl !== 'string') throw new TypeError('SyncClient needs the server URL (\'\' for this origin)');
    if (typeof token !== 'string' || !token) throw new TypeError('SyncClient needs the device token');
    if (typeof fetch !== 'function') throw new TypeError('SyncClient needs fetch');
    this.#store = store;
    this.#base = serverUrl.replace(/\/+$/, '');
    this.#token = token;
    this.#deviceId = deviceId;
    this.#fetch = fetch;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#kickDelayMs = kickDelayMs;
    this.#isOnline = isOnline;
    this.#target = target;
    this.#timers = timers;
    this.#onStatus = onStatus;
  }

  /** Syncs now, then on every `online` and every intervalMs (0: never by itself). */
  start() {
    const listen = (type, fn) => {
      if (typeof this.#target?.addEventListener !== 'function') return;
      this.#target.addEventListener(type, fn);
      this.#unhook.push(() => this.#target.removeEventListener(type, fn));
    };
    listen('online', () => this.sync().catch(() => {}));
    listen('offline', () => this.#set('offline', new SyncError('OFFLINE', 'the device is offline', { offline: true })));
    if (this.#intervalMs > 0) this.#interval = this.#timers.setInterval(() => this.sync().catch(() => {}), this.#intervalMs);
    this.sync().catch(() => {});
    return this;
  }

  /** Stops the timers and listeners (a running round finishes). */
  stop() {
    for (const undo of this.#unhook.splice(0)) undo();
    if (this.#interval !== null) this.#timers.clearInterval(this.#interval);
    if (this.#kick !== null) this.#timers.clearTimeout(this.#kick);
    this.#interval = this.#kick = null;
  }

  /** After a local command: a run after kickDelayMs (a burst of commands makes one run). */
  changed() {
    if (this.#kick !== null) return;
    this.#kick = this.#timers.setTimeout(() => {
      this.#kick = null;
      this.sync().catch(() => {});
    }, this.#kickDelayMs);
  }

  /**
   * Runs the loop now (or once more after the run in progress). Resolves to the status it ended
   * with, as the event's detail; never rejects for a failed round (that is a status).
   */
  sync() {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let detail;
      do {
        this.#again = false;
        detail = await this.#run();
      } while (this.#again);
      return detail;
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  // --- inside ---

  #set(status, error = null, counts = null) {
    this.status = status;
    this.error = error ? { code: error.code ?? 'FAILED', message: error.message } : null;
    let c = counts;
    if (!c) {
      try {
        c = this.#local('sync.status');
      } catch {
        c = {};
      }
    }
    const detail = { status, pending: c.pending ?? null, conflicts: c.conflicts ?? null, cursor: c.cursor ?? null };
    if (this.error) detail.error = this.error;
    this.dispatchEvent(new CustomEvent('status', { detail }));
    this.#onStatus?.(detail);
    return detail;
  }

  // One command on the device's core; its result, or a SyncError with the core's refusal.
  #local(cmd, args = {}) {
    return SyncClient.#result(cmd, this.#store.exec({ cmd, at: this.#clock(), ...args }));
  }

  static #result(cmd, { response, saved }) {
    saved?.catch?.(() => {}); // a failed save is the store's status to show ('save-failed')
    if (!response?.ok) {
      const e = response?.error ?? {};
      throw new SyncError(e.code ?? 'CORE', `${cmd}: ${e.message ?? 'refused'}`);
    }
    return response.result;
  }

  // #local for a command that reads order bodies (sync.base): through the store's run() where it
  // has one, which loads bodies a store with lazy bodies has not read yet (NOT_LOADED) first.
  async #localLoaded(cmd, args = {}) {
    if (typeof this.#store.run !== 'function') return this.#local(cmd, args);
    return SyncClient.#result(cmd, await this.#store.run({ cmd, at: this.#clock(), ...args }));
  }

  // POST path → {status, body}; a SyncError marked offline when the server was not reached.
  async #post(path, body) {
    const abort = new AbortController();
    const timer = this.#timers.setTimeout(() => abort.abort(), this.#timeoutMs);
    try {
      const res = await this.#fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      let parsed = null;
      try {
        parsed = await res.json();
      } catch {
        parsed = null; // a proxy's HTML page, an empty 502: the status says enough
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      throw new SyncError('OFFLINE', `the sync server cannot be reached: ${err?.message ?? err}`, { offline: true, cause: err });
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  static #refused(path, res) {
    const e = res.body?.error ?? {};
    return new SyncError(e.code ?? `HTTP_${res.status}`, `${path} answered ${res.status}: ${e.message ?? 'no message'}`, { status: res.status });
  }

  async #run() {
    if (this.#store.isWriter === false) return { status: this.status }; // the writer tab syncs
    if (!this.#isOnline()) return this.#set('offline', new SyncError('OFFLINE', 'the device is offline', { offline: true }));
    this.#set('syncing');
    try {
      this.#pairCore();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const pushed = await this.#round();
        if (pushed === 0 || this.#local('sync.pending', { limit: 1 }).ops.length === 0) break;
      }
      return this.#set('synced');
    } catch (err) {
      const e = err instanceof SyncError ? err : new SyncError('FAILED', String(err?.message ?? err), { cause: err });
      return this.#set(e.offline ? 'offline' : 'sync-failed', e);
    }
  }

  // The core keeps pending operations only once paired: pair it as this device if it is not.
  #pairCore() {
    const { device_id: paired } = this.#local('sync.status');
    if (!paired && this.#deviceId) this.#local('sync.pair', { device_id: this.#deviceId });
    else if (!paired) throw new SyncError('NOT_PAIRED', 'the shop is not paired to a device (sync.pair)');
    else if (this.#deviceId && paired !== this.#deviceId) {
      throw new SyncError('PAIRED_ELSEWHERE', `this shop is paired as device ${paired}, not ${this.#deviceId}`);
    }
  }

  // Push one batch, then pull and rebase; how many operations were pushed.
  async #round() {
    const { cursor } = this.#local('sync.status');
    const { ops } = this.#local('sync.pending', { limit: PUSH_BATCH });
    const acks = [];
    const refused = new Set();
    let stop = null; // a 409 (a gap, a reused seq): what was answered is still rebased, then this
    if (ops.length > 0) {
      const res = await this.#post('/api/sync/push', {
        ops: ops.map((o) => ({ seq: o.seq, op: o.op, request: JSON.parse(o.request) })),
      });
      if (res.status !== 200 && res.status !== 409) throw SyncClient.#refused('/api/sync/push', res);
      const bySeq = new Map(ops.map((o) => [o.seq, o]));
      const results = Array.isArray(res.body?.results) ? res.body.results : null;
      if (!results || results.some((r) => !bySeq.has(r?.seq) || typeof r.ok !== 'boolean') ||
          (res.status === 200 && results.length !== ops.length)) {
        throw new SyncError('BAD_RESPONSE', '/api/sync/push answered results that are not those of the operations sent');
      }
      for (const r of results) {
        acks.push(ackOf(r));
        if (!r.ok && bySeq.get(r.seq).order_id) refused.add(bySeq.get(r.seq).order_id);
      }
      if (res.status === 409) stop = SyncClient.#refused('/api/sync/push', res);
    }
    let since = cursor;
    let include = [...refused];
    let first = true;
    for (;;) {
      const res = await this.#post('/api/sync/pull', { since, include, limit: PULL_LIMIT });
      const body = res.body;
      if (res.status !== 200) throw SyncClient.#refused('/api/sync/pull', res);
      if (!Array.isArray(body?.changes) || !Number.isSafeInteger(body.version) || typeof body.more !== 'boolean') {
        throw new SyncError('BAD_RESPONSE', '/api/sync/pull answered something else than {changes, version, more}');
      }
      await this.#localLoaded('sync.base', {
        orders: body.changes.map(({ order_id: id, state }) => ({ order_id: id, state })),
        acks: first ? acks : [],
        cursor: body.version,
      });
      first = false;
      include = [];
      since = body.version;
      if (!body.more || body.changes.length === 0) break;
    }
    if (stop) throw stop;
    return ops.length;
  }
}
