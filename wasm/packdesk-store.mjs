// packdesk-store.mjs: the durable shop in a browser: the core's store (core/store.c) in an IDBFS
// mount, saved to IndexedDB after every change, with one writing tab per origin and store name.
//
//   const store = await openStore({ name: 'default', onStatus: ({status, error}) => ... });
//   const { response, saved } = store.exec({ cmd: 'order.confirm', at: Date.now(), order_id: 'A1' });
//   await saved;   // only now is the change in IndexedDB: show "saved" here, not before
//
// A change lives in this tab's memory (MEMFS) until a save copies it to IndexedDB; `saved`
// settles with the first save that starts after the command. A save writes only the files the
// store changed since the last good one (fs-changes.mjs tracks them; a failed save gives them
// back, so the next one writes them), in IDBFS's format, in one transaction that cannot hang or
// report a failure as success (idbfs-sync.mjs). Saves run one at a time and fold bursts together
// (coalescer.mjs). A `saved` that nobody awaits and that fails shows up as an unhandled rejection
// in the console: on purpose, a lost change must not be silent.
//
// Tabs: the tab holding the Web Lock writes (writer-lock.mjs). Any other tab opens the store
// read-only (a changing command answers the core's STORAGE error), never saves, reloads when the
// writer announces a save on a BroadcastChannel (after `saved`, at most every 100 ms: one
// message for a burst of saves), and takes over when the writer goes. A save with nothing to
// write announces nothing. While a change is not in IndexedDB (being saved, or
// its save failed), leaving the page asks first (beforeunload).
//
// A writer checkpoints when it is idle (IDLE_CHECKPOINT_MS after it opened or last changed the
// shop, at once when the page is hidden or the store closed), if the core finds the journal's
// tail worth it (pd_store_idle), and saves: the next open then replays nothing. A 'checkpoint'
// event follows (detail.error, a StoreError, when it failed: nothing is lost, the journal still
// holds every change).
//
// Status ('status' events, and onStatus): 'writer' | 'read-only' (a follower, or a damaged store
// opened read-only; detail.error when something failed) | 'saving' | 'saved' | 'save-failed'
// (detail.error, a StoreError). A 'reloaded' event says the shop was reopened on another tab's
// save (a follower's refresh, or a takeover): what a page shows should be read again.
import { Coalescer } from './coalescer.mjs';
import { trackChanges } from './fs-changes.mjs';
import { guardIdbfs, readStore } from './idbfs-sync.mjs';
import { StoreError } from './store-error.mjs';
import { PD_STORE_READ_ONLY, execNative, followNative, openNative, resumeNative } from './store-native.mjs';
import { requestWriterLock } from './writer-lock.mjs';

export { StoreError };

const DEFAULT_BASE = new URL('../build/wasm/', import.meta.url);
// A lazy open asks IndexedDB for bodies this many times at most before it gives up: each round
// loads every page the core asked for, and a replay waits at most once per page it needs.
const LOAD_ROUNDS_MAX = 1000;
// A tab taking over as writer retries a failed load this many times, after 250, 500, 1000... ms.
const TAKEOVER_RETRIES = 5;
const TAKEOVER_BACKOFF_MS = 250;
// The writer tells the other tabs of its saves at most once every ANNOUNCE_MS (see #announce).
const ANNOUNCE_MS = 100;
// A writer idle this long checkpoints (see #idle; openStore's idleCheckpointMs). Long enough that
// a packer's next scan, seconds apart, rarely lands in it, short enough that a pause (a lid
// closed, a tab left) comes after it.
const IDLE_CHECKPOINT_MS = 2000;

/**
 * Opens (creating if need be) the store `name` of this origin. Rejects with a StoreError when
 * IndexedDB cannot be read (LOAD_FAILED, SYNC_TIMEOUT) or the store cannot be opened at all
 * (OPEN_FAILED: the core did not load from `baseUrl`, or the C store refused the files).
 * `idleCheckpointMs`: how long a writer waits idle before it checkpoints; null never does (the
 * store bench, to open a store with its whole journal tail each time).
 * `lazyBodies`: order bodies are read from IndexedDB only when a command needs them, not at open
 * (at 100k orders the open fetches ~6.5 MB instead of ~26). exec() then answers a command that needs
 * a body not loaded yet with NOT_LOADED (it changed nothing); run() loads it and sends it again.
 * @param {{name?: string, syncTimeoutMs?: number, onStatus?: (detail: {status: string, error?: StoreError}) => void,
 *          baseUrl?: string|URL, idleCheckpointMs?: number|null, lazyBodies?: boolean}} [options]
 */
export async function openStore({ name = 'default', syncTimeoutMs = 10000, onStatus, baseUrl, idleCheckpointMs = IDLE_CHECKPOINT_MS, lazyBodies = false } = {}) {
  // The name becomes a path, a database name and a lock name.
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name) || name.startsWith('.')) {
    throw new StoreError('BAD_NAME', `a store name is 1-64 letters, digits, '.', '_' or '-': ${JSON.stringify(name)}`);
  }
  if (idleCheckpointMs !== null && !(Number.isFinite(idleCheckpointMs) && idleCheckpointMs >= 0)) {
    throw new StoreError('BAD_OPTION', `idleCheckpointMs is a number of milliseconds, or null: ${JSON.stringify(idleCheckpointMs)}`);
  }
  if (typeof lazyBodies !== 'boolean') throw new StoreError('BAD_OPTION', `lazyBodies is true or false: ${JSON.stringify(lazyBodies)}`);
  const base = baseUrl ? new URL(baseUrl, import.meta.url) : DEFAULT_BASE;
  // The core is fetched, compiled and instantiated while the lock is taken and IndexedDB read
  // (Store._start): at 100k orders the read is the longest part, and neither needs the other.
  const core = loadCore(base);
  core.catch(() => {}); // a failure is _start's to report, whenever it awaits the core
  const store = new Store(name, syncTimeoutMs, onStatus, idleCheckpointMs, lazyBodies);
  try {
    await store._start(core);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

// --- the C store, through the exports (every temporary freed in finally) ---

// Where an open's time goes, for the browser's performance timeline (devtools, the benches):
// 'packdesk:core-import' (the glue), 'packdesk:core-instantiate' (the wasm fetched, compiled,
// instantiated), and meanwhile 'packdesk:lock' (the Web Lock asked), then 'packdesk:idb-read'
// (IndexedDB's one transaction); 'packdesk:idb-apply' (the records into MEMFS, once the core is
// in); 'packdesk:idb-load' (from the read's start to the files in memory: at a page's first load
// it includes any wait for the core); 'packdesk:open' (the C store on the files).
function measure(name, start) {
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    // a timeline that takes no measures (an old engine): nothing to record
  }
}

async function loadCore(base) {
  let start = performance.now();
  const factory = (await import(new URL('packdesk.mjs', base).href)).default;
  measure('packdesk:core-import', start);
  start = performance.now();
  const M = await factory({ locateFile: (path) => new URL(path, base).href });
  measure('packdesk:core-instantiate', start);
  return M;
}

/** One open store (one tab's handle). Create it with openStore(). */
export class Store extends EventTarget {
  #M;
  #name;
  #dir;
  #timeoutMs;
  #onStatus;
  #idb; // {load, save}, guarded (idbfs-sync.mjs)
  #changes; // what changed under the mount since the last good save (fs-changes.mjs)
  #st = 0; // the pd_store*
  #role = 'follower'; // 'writer' | 'follower' | 'damaged' (read-only, holding the lock)
  #queue = Promise.resolve(); // loads, saves and reopens, one at a time
  #saves = new Coalescer(() => this.#save());
  #refreshes = new Coalescer(() => this.#refresh());
  #lock = null;
  #hasLock = false;
  #channel = null;
  #announcement = null; // the timer of an announcement of a save, not posted yet
  #announced = -Infinity; // when the last one was posted (performance.now())
  #idleMs; // IDLE_CHECKPOINT_MS, or null: no checkpoint when idle
  #idleTimer = null; // the checkpoint due #idleMs after the last change
  #unhook = [];
  #closed = false;
  #persisted = null;
  #lazy; // lazyBodies: order pages' bodies loaded when a command asks for them
  #loading = null; // the load of bodies under way (#loadBodies)

  /** What the last open found: {orders, snapshotSeq, replayed, tornBytes, tornSeq, damaged, message, pending, readOnly,
   * bodyLoads}. pending: false once open (a lazy open waits for the bodies its replay needs before it resolves).
   * bodyLoads: how many loads of bodies it waited for; 0 when its first read held them all (the pages the core's
   * tail-pages names are read with it: idbfs-sync.mjs). A follower that took on a writer's save without opening
   * again (#follow) has the same of its shop now, `replayed` counted since the open, and `followed`: how many
   * saves it took on so since. */
  report = null;
  /** The last status: 'writer' | 'read-only' | 'saving' | 'saved' | 'save-failed'. */
  status = null;

  constructor(name, timeoutMs, onStatus, idleMs, lazy) {
    super();
    this.#idleMs = idleMs;
    this.#lazy = lazy;
    this.#name = name;
    this.#dir = `/packdesk/${name}`; // IDBFS names the database after the mount point
    this.#timeoutMs = timeoutMs;
    this.#onStatus = onStatus;
  }

  get isWriter() {
    return this.#role === 'writer';
  }

  /** The answer of navigator.storage.persist(), asked at the first user gesture (null before). */
  get persisted() {
    return this.#persisted;
  }

  // Called once by openStore, with the promise of the core (Emscripten's module). The first job
  // of the queue, so a refresh or takeover asked meanwhile runs after it.
  async _start(core) {
    await this.#serially(async () => {
      const lockStart = performance.now();
      const locked = requestWriterLock(this.#name, () => {
        this.#hasLock = true;
        this.#serially(() => this.#takeOver());
      });
      this.#channel = new BroadcastChannel(`packdesk:${this.#name}`);
      this.#channel.onmessage = (e) => {
        if (e.data?.type === 'saved' && this.#role === 'follower') this.#refreshes.request().catch(() => {});
      };
      this.#lock = await locked;
      measure('packdesk:lock', lockStart);
      this.#hasLock ||= this.#lock.writer;
      // IndexedDB is read only now that the lock is known, while the core loads. A writer writes
      // only what it read holding the lock: one that read before (the lock came to it while it
      // opened: the writer went, maybe saving last) opens read-only, and #takeOver, queued
      // behind this, reads again and reopens writable. Else it could write over those saves.
      const underLock = this.#hasLock;
      const readStart = performance.now();
      const reading = readStore(this.#dir, this.#timeoutMs, { lazy: this.#lazy }).then((read) => {
        measure('packdesk:idb-read', readStart);
        return read;
      });
      reading.catch(() => {}); // reported by #load
      try {
        this.#M = await core;
      } catch (err) {
        reading.then((read) => read.db.close(), () => {});
        throw new StoreError('OPEN_FAILED', `the core could not be loaded: ${err?.message ?? err}`, { cause: err });
      }
      const { FS, IDBFS } = this.#M;
      FS.mkdirTree(this.#dir);
      FS.mount(IDBFS, {}, this.#dir);
      this.#changes = trackChanges(this.#M, this.#dir);
      this.#idb = guardIdbfs(this.#M, this.#dir, { canUpload: () => this.#role === 'writer', changes: this.#changes, lazy: this.#lazy });
      await this.#load(reading, readStart);
      await this.#reopen(underLock);
    });
    this.#hookPage();
    this.#emitRole();
  }

  /**
   * Runs one request (an object or a JSON string) → {response, saved}. response is the core's
   * parsed answer; saved resolves once the change is in IndexedDB (at once when nothing changed)
   * and rejects with a StoreError when that save failed.
   */
  exec(request) {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    const before = this.#changes.changes;
    const response = JSON.parse(execNative(this.#M, this.#st, typeof request === 'string' ? request : JSON.stringify(request)));
    const changed = this.#changes.changes !== before;
    if (changed) this.#idleLater();
    // Bodies asked for and not loaded, by this command (NOT_LOADED) or by a checkpoint after it
    // (pd_store_exec's, when the journal's segment is full: it rewrites whole pages, and a
    // page an import added an order to may not be loaded). Loaded now, so that the next command
    // (or checkpoint) finds them. A failure is for whoever needs them to report.
    if (this.#lazy && this.#idb.wanted()) this.#loadBodies().catch(() => {});
    return { response, saved: changed ? this.#saves.request() : Promise.resolve() };
  }

  /**
   * exec(request), and with lazyBodies, the bodies it needs loaded first: a NOT_LOADED answer
   * (the command changed nothing) loads what the core asked for and sends the request again, as
   * often as it needs. Resolves to exec's {response, saved}; rejects with a StoreError when the
   * bodies cannot be loaded (LOAD_FAILED, SYNC_TIMEOUT).
   */
  async run(request) {
    const text = typeof request === 'string' ? request : JSON.stringify(request);
    for (let round = 0; ; round++) {
      const result = this.exec(text);
      if (result.response.error?.code !== 'NOT_LOADED' || round >= LOAD_ROUNDS_MAX) return result;
      if (!(await this.#loadBodies())) return result;
    }
  }

  /**
   * Loads the order bodies that commands answered NOT_LOADED asked for (lazyBodies): resolves to
   * true when it loaded some (or waited for a load under way), false when none was asked for;
   * rejects with a StoreError (LOAD_FAILED, SYNC_TIMEOUT).
   */
  loadBodies() {
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return this.#lazy ? this.#loadBodies() : Promise.resolve(false);
  }

  /** Saves whatever this tab has not saved yet (a retry after 'save-failed'); a follower has nothing. */
  flush() {
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return this.#role === 'writer' ? this.#saves.request() : Promise.resolve();
  }

  /** navigator.storage.estimate(): {usage, quota} in bytes, or null where it does not exist. */
  async estimate() {
    return (await globalThis.navigator?.storage?.estimate?.()) ?? null;
  }

  /** Saves what is left (writer), then lets go of everything; the lock passes to the next tab. */
  async close() {
    if (this.#closed) return;
    if (this.#idleTimer !== null) await this.#idle(); // saved by the flush below
    const last = this.#role === 'writer' ? this.flush() : Promise.resolve();
    this.#closed = true;
    try {
      await last;
    } finally {
      await this.#queue;
      for (const undo of this.#unhook) undo();
      clearTimeout(this.#idleTimer);
      this.#announceNow();
      this.#channel?.close();
      this.#lock?.release();
      if (this.#st) this.#M._pd_store_close(this.#st);
      this.#st = 0;
      this.#role = 'closed';
      if (this.#M) {
        this.#M.IDBFS.dbs[this.#dir]?.close();
        delete this.#M.IDBFS.dbs[this.#dir];
      }
    }
  }

  // --- inside ---

  #serially(job) {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  #emit(status, error) {
    this.status = status;
    const detail = error ? { status, error } : { status };
    this.dispatchEvent(new CustomEvent('status', { detail }));
    this.#onStatus?.(detail);
  }

  #emitRole() {
    if (this.#role === 'writer') return this.#emit('writer');
    const damage = this.report?.damaged ? new StoreError('DAMAGED', `the store is damaged, so it was opened read-only: ${this.report.message}`) : undefined;
    this.#emit('read-only', damage);
  }

  // Loads IndexedDB into memory: `reading` (readStore's, started at `start`) when given.
  async #load(reading, start = performance.now()) {
    try {
      const read = await reading;
      const applyStart = performance.now();
      await this.#idb.load(this.#timeoutMs, read);
      if (read) measure('packdesk:idb-apply', applyStart);
      measure('packdesk:idb-load', start);
    } catch (err) {
      throw new StoreError(err.code === 'SYNC_TIMEOUT' ? err.code : 'LOAD_FAILED', `loading the store from IndexedDB failed: ${err.message}`, { cause: err });
    }
  }

  // Opens the C store on what was loaded, replacing the open one only once the new one is open.
  // A writer whose store is damaged gets it read-only ('damaged': it keeps the lock, so no tab
  // writes over the damage).
  async #reopen(writer) {
    const start = performance.now();
    let opened = await this.#openLoaded(writer ? 0 : PD_STORE_READ_ONLY);
    let role = writer ? 'writer' : 'follower';
    if (!opened.ptr && writer && opened.report.damaged) {
      opened = await this.#openLoaded(PD_STORE_READ_ONLY);
      role = 'damaged';
    }
    if (!opened.ptr) throw new StoreError('OPEN_FAILED', `the store cannot be opened: ${opened.report.message}`);
    measure('packdesk:open', start);
    if (this.#st) this.#M._pd_store_close(this.#st);
    this.#st = opened.ptr;
    this.#role = role;
    this.report = opened.report;
    if (role === 'writer') this.#idleLater(); // the tail this open replayed may be worth a checkpoint
  }

  // The writer's records since this follower's open (or last follow) applied to its shop
  // (pd_store_follow): what a save costs a follower is then the records it brings, not an open
  // of the whole shop (~81 ms at 100k orders, on every save the writer announced; ~11 so). True
  // when done; false when only an open will do: a checkpoint since, damage, a record that does
  // not apply, or bodies that do not load. Until then the store answers from the records it
  // took on (a follow that stops for bodies leaves it usable, never pending), so a load that
  // fails, thrown to #refresh, leaves a shop the writer had.
  async #follow() {
    if (!this.#st) return false;
    const start = performance.now();
    let followed = followNative(this.#M, this.#st);
    let bodyLoads = 0;
    for (let round = 0; followed.rc === 1 && this.#lazy && round < LOAD_ROUNDS_MAX; round++) {
      if (!(await this.#loadBodies())) break;
      bodyLoads++;
      followed = followNative(this.#M, this.#st);
    }
    if (followed.rc !== 0) return false;
    measure('packdesk:follow', start);
    this.report = { ...followed.report, bodyLoads, followed: (this.report?.followed ?? 0) + 1 };
    return true;
  }

  async #save() {
    await this.#serially(async () => {
      if (this.#role !== 'writer') throw new StoreError('READ_ONLY', 'this tab is not the writer: it never saves');
      // Nothing changed since the last good save (a flush when the page hides, a request whose
      // changes an earlier save took): no status, and no announcement, or every follower would
      // reload the whole shop for nothing.
      if (!this.#changes.size) return;
      this.#emit('saving');
      try {
        await this.#idb.save(this.#timeoutMs);
      } catch (err) {
        this.#emit('save-failed', err);
        throw err;
      }
      this.#emit('saved');
      this.#announce();
    });
  }

  #idleLater() {
    if (this.#idleMs === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#idle(), this.#idleMs);
  }

  // Nothing to do: a checkpoint when the core finds the journal's tail long enough to be worth
  // it (pd_store_idle), saved like any change. It runs between commands, never inside one, and a
  // save under way took its files before, so the next save writes the checkpoint's.
  // With lazy bodies a checkpoint can ask for bodies (it rewrites whole pages, and a page an
  // import added an order to may not be loaded): it is tried again once they are in.
  async #idle() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#role !== 'writer' || this.#closed || !this.#st) return;
    let rc = this.#M._pd_store_idle(this.#st);
    if (rc < 0 && this.#lazy && this.#idb.wanted()) {
      const loaded = await this.#loadBodies().catch(() => false);
      if (this.#role !== 'writer' || this.#closed || !this.#st) return;
      if (loaded) rc = this.#M._pd_store_idle(this.#st);
    }
    if (rc === 0) return;
    let detail = {};
    if (rc < 0) detail = { error: new StoreError('CHECKPOINT_FAILED', this.#M.UTF8ToString(this.#M._pd_store_errmsg(this.#st))) };
    else this.#saves.request().catch(() => {}); // a failure is 'save-failed'
    this.dispatchEvent(new CustomEvent('checkpoint', { detail }));
  }

  // pd_store_open, and with lazy bodies, the bodies it asks for loaded as it goes: a replay that
  // waits for some (report.pending) goes on once they are in; an open that failed reading the
  // snapshot, having asked for some (an order page of a format before 5, read whole), is tried
  // again with them (damage, which a replay's failure is, is not). {ptr, report} as openNative's.
  async #openLoaded(flags) {
    const readOnly = (flags & PD_STORE_READ_ONLY) !== 0;
    let opened = openNative(this.#M, this.#dir, flags);
    let bodyLoads = 0;
    for (let round = 0; this.#lazy && round < LOAD_ROUNDS_MAX; round++) {
      if (opened.ptr && !opened.report.pending) break;
      if (!opened.ptr && (opened.report.damaged || !this.#idb.wanted())) break;
      let loaded;
      try {
        loaded = await this.#loadBodies();
      } catch (err) {
        if (opened.ptr) this.#M._pd_store_close(opened.ptr);
        throw err;
      }
      if (!loaded) break; // pending, asking for nothing: reported below
      bodyLoads++;
      if (!opened.ptr) {
        opened = openNative(this.#M, this.#dir, flags);
        continue;
      }
      const resumed = resumeNative(this.#M, opened.ptr, readOnly);
      if (resumed.rc < 0) {
        this.#M._pd_store_close(opened.ptr);
        return { ptr: 0, report: resumed.report };
      }
      opened = { ptr: opened.ptr, report: resumed.report };
    }
    if (opened.ptr && opened.report.pending) {
      this.#M._pd_store_close(opened.ptr);
      return { ptr: 0, report: { ...opened.report, message: 'its journal kept asking for order bodies that do not load' } };
    }
    return { ptr: opened.ptr, report: { ...opened.report, bodyLoads } };
  }

  // Loads the bodies the core asked for (lazyBodies), one load at a time: true when a load ran
  // (this one, or the one under way, which took what was asked); false when nothing was asked,
  // a NOT_LOADED that loading cannot mend, for the caller to report rather than loop on.
  async #loadBodies() {
    let waited = false;
    while (this.#loading) {
      waited = true;
      await this.#loading.catch(() => {});
    }
    if (!this.#idb.wanted()) return waited;
    this.#loading = this.#idb.loadWanted(this.#timeoutMs);
    try {
      await this.#loading;
      return true;
    } catch (err) {
      throw new StoreError(err.code === 'SYNC_TIMEOUT' ? err.code : 'LOAD_FAILED', `loading order bodies from IndexedDB failed: ${err.message}`, { cause: err });
    } finally {
      this.#loading = null;
    }
  }

  // Tells the other tabs that a save is in IndexedDB: at once when the last message is
  // ANNOUNCE_MS old, else once that much has passed, one message for the saves completed
  // meanwhile (the last one always goes). A post on a BroadcastChannel goes through the browser
  // process, which also runs IndexedDB's commits: posted at each save, it landed in the next
  // save's commit and made it 0.5 ms slower (2.7 → 3.2 ms a save, commands one after another,
  // Chromium on this machine). A follower reloads the shop for each message, so fewer messages
  // spare it too. The first of a burst goes without a timer: a hidden writer's timers are
  // throttled (a second, a minute after five), and a follower must not wait for them.
  #announce() {
    if (this.#announcement !== null) return; // one is due: it covers this save as well
    const wait = this.#announced + ANNOUNCE_MS - performance.now();
    if (wait <= 0) {
      this.#announced = performance.now();
      this.#channel?.postMessage({ type: 'saved' });
      return;
    }
    this.#announcement = setTimeout(() => this.#announceNow(), wait);
  }

  #announceNow() {
    if (this.#announcement === null) return;
    clearTimeout(this.#announcement);
    this.#announcement = null;
    this.#announced = performance.now();
    this.#channel?.postMessage({ type: 'saved' });
  }

  // A follower: the writer saved, load its files and take on its new journal records; open
  // again read-only when that will not do (it checkpointed since).
  async #refresh() {
    await this.#serially(async () => {
      if (this.#role !== 'follower' || this.#closed) return;
      const start = performance.now();
      try {
        await this.#load();
        if (!(await this.#follow())) await this.#reopen(false);
        measure('packdesk:refresh', start); // what a writer's save cost this tab (bench/store-browser.mjs)
        this.dispatchEvent(new Event('reloaded'));
      } catch (err) {
        this.#emit('read-only', err); // keeps the shop it had; the next announcement retries
      }
    });
  }

  // The writer went and the lock came to this tab: load its last save, reopen writable. A load
  // that fails is retried (TAKEOVER_RETRIES times, the wait doubling from TAKEOVER_BACKOFF_MS),
  // each failure reported as 'read-only' with its error; the wait is outside the queue, so
  // close() does not wait for it. After the last, the tab stays read-only, holding the lock.
  async #takeOver(attempt = 0) {
    if (this.#closed || this.#role === 'writer') return;
    try {
      await this.#load();
      await this.#reopen(true);
      this.#emitRole();
      this.dispatchEvent(new Event('reloaded'));
    } catch (err) {
      this.#emit('read-only', err);
      if (attempt >= TAKEOVER_RETRIES) return;
      const timer = setTimeout(() => this.#serially(() => this.#takeOver(attempt + 1)), TAKEOVER_BACKOFF_MS * 2 ** attempt);
      this.#unhook.push(() => clearTimeout(timer));
    }
  }

  #listen(target, type, fn, options) {
    target.addEventListener(type, fn, options);
    this.#unhook.push(() => target.removeEventListener(type, fn, options));
  }

  // Whether this tab holds changes that are not in IndexedDB yet: marked and not taken by a
  // save, being saved, or given back by a failed save.
  #unsaved() {
    return this.#role === 'writer' && !this.#closed && (this.#changes.size > 0 || this.status === 'saving' || this.status === 'save-failed');
  }

  // Flush when the page may be about to go, and ask before it goes while a change is not in
  // IndexedDB (saving, or its save failed): the browser's "leave site?" dialog, so a seller does
  // not navigate away from work that is only in this tab's memory. Ask for persistent storage at
  // the first gesture (browsers decide on engagement; headless Chromium always says no).
  #hookPage() {
    if (typeof document === 'undefined') return;
    const flushSoon = () => {
      if (this.#role === 'writer' && !this.#closed) this.flush().catch(() => {}); // failures are 'save-failed'
    };
    this.#listen(document, 'visibilitychange', () => {
      if (document.visibilityState !== 'hidden') return;
      if (this.#idleTimer !== null) this.#idle(); // a pause begins: checkpoint now, not after it
      flushSoon();
    });
    this.#listen(window, 'pagehide', () => {
      this.#announceNow(); // a save announcement still due goes before the page does
      flushSoon();
    });
    this.#listen(window, 'beforeunload', (event) => {
      if (!this.#unsaved()) return;
      event.preventDefault();
      event.returnValue = ''; // what Chromium before 119 and Safari look at
      flushSoon(); // if the seller stays, the changes are tried again at once
    });
    const askPersist = () => {
      for (const type of ['pointerdown', 'keydown']) window.removeEventListener(type, askPersist, true);
      navigator.storage?.persist?.().then((granted) => (this.#persisted = granted), () => (this.#persisted = false));
    };
    this.#listen(window, 'pointerdown', askPersist, true);
    this.#listen(window, 'keydown', askPersist, true);
  }
}
