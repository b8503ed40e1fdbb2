// idbfs-sync.mjs: loads and saves one IDBFS mount of Emscripten 3.1.6, without FS.syncfs, in
// IDBFS's IndexedDB database (named after the mount point, store FILE_DATA, key = path, index
// 'timestamp'), in IDBFS's record format for directories and every file but a journal segment:
//   path → {timestamp: Date, mode, contents: Uint8Array}   (a directory: no contents)
// and, for a journal segment (journal-<seq>.pdj: it grows to 256 KiB by appends), in blocks:
//   path → {timestamp, mode, size, blockSize, blocks, tail}  (no contents)
//   path + '\0' + 6-digit block number → {contents}          (no timestamp: not in the index)
// `blocks` full blocks of `blockSize` (BLOCK) bytes, then the rest, under BLOCK bytes, as the
// record's `tail`. So the save of a command, an append, is one put: the file's record with its
// tail (plus the block that filled, when one did: one save in 12 to 40), the floor's unit of
// work (one small put in one transaction). Before, a segment was one record up to 64 KiB, then
// 64 KiB blocks, the last rewritten at every save: a median 19 KB copied, cloned and written per
// command in the peer bench, against 2 KB now. Measured in one Chromium page, busy machine, in
// turns: save per command 5.1 ms before, 3.0 ms now, strict floor 1.8 ms. The bytes of a put
// count (+0.3 ms at 512 B, +0.55 ms at 2 KB over a 20-byte put) but smaller blocks gained little
// (tails of 512 B / 1 KiB / 4 KiB blocks: 3.1 / 3.3 / 3.3 ms, 16 KiB: +0.5 ms) and cost records: a
// load (and a follower's refresh) reads every block of a changed segment, and a 220 KB segment
// loaded in 7 ms as 64 KiB blocks, 9 ms as 4 KiB ones, 11 ms as 2 KiB ones.
// Stores saved before (a segment up to 64 KiB whole, then 64 KiB blocks without a tail, the last
// one partial) and stores written by IDBFS itself load as they are; such a file is rewritten in
// blocks of BLOCK at its next change. 3.1.6's syncfs(true) would refuse a blocked file loudly (a
// file without contents), never load a truncated one. No path contains '\0', so no key collides.
//
// Any other file over SPLIT (64 KiB) bytes (an order page of ~260 KB at 1,000 orders, the shop's
// file) is stored in two records, its head with the file's and the rest apart:
//   path → {timestamp, mode, size, head}      head: its first SPLIT bytes
//   path + '\0rest' → {contents}              the rest (no timestamp: not in the index)
// because the core's open reads an order page's head only (format 5: the orders' summaries, ~4
// MB of ~25 at 100k orders; at 100k no page's rest is read at open, only the shop file's) and a
// body when a command first needs it, and what a load pays is deserializing what it reads
// (reading a record's result, see readFiles): a load fetches the rest's record in its
// transaction but leaves its result unread, for lazy-file.mjs to read when a read first reaches
// past the head. The read of a 100k store (raw, the same 25.8 MB): 349 ms with every record's
// result read, 182 ms with the rests left (medians of 11 fresh pages, load ~3; reading the rests
// later took 171 ms, now paid page by page on first use). Files stored whole before load whole,
// and are split at their next save; 3.1.6's syncfs(true) would refuse a split file loudly too.
//
// Why not FS.syncfs: every syncfs lists the whole mount and reads every key and timestamp of the
// store before it writes, so a save cost what exists, not what changed (200 ms a command at 100k
// orders, ~1,600 page files). A save here writes the paths fs-changes.mjs saw change (of a
// blocked file, the blocks from the lowest changed offset), and deletes the records of those that
// are gone, in one transaction: no listing of either side. A load fetches everything (it has to),
// in one transaction.
//
// What 3.1.6's library_idbfs.js gets wrong (read in /usr/share/emscripten/src), and the answer:
//  1. reconcile() sets no transaction.onabort. A transaction that aborts (QuotaExceededError, a
//     connection closed under it, an abort()) never calls back: the sync hangs for ever.
//     → our transactions set onabort and report tx.error; every load and save has a timeout.
//  2. Its request and transaction error handlers are arrow functions reporting `this.error`:
//     `this` is not the request, so the error arrives as `undefined` (taken for success). They
//     also call preventDefault(), which stops the failed request from aborting the transaction,
//     so oncomplete follows: a lost write reported as saved. → we never preventDefault: one
//     failed request aborts the whole transaction (nothing half-written is committed) and the
//     abort is reported with its error. getDB()'s open error is `undefined` too → treated as one.
//  3. FS.syncfs is no longer used on the mount; IDBFS.reconcile is replaced by a refusal, so a
//     stray syncfs can neither hang nor make IndexedDB a copy of a follower's memory.
//  4. The connection is cached for ever in IDBFS.dbs: once it is closed (storage cleared, a
//     version change) every db.transaction() throws. → caught and reported, and the cached
//     connection is dropped on any error, so the next load or save opens a fresh one.
//  5. IDBFS loaded the list of remote files and their contents in two transactions: a follower
//     loading while the writer saves could get a new manifest without the pages it names.
//     → a load reads the list and the contents in one transaction, and changes local files only
//     once it has completed. A save takes the changed paths and reads their contents in one task
//     (no command can run in between), so what is stored is the memory of one instant, and what
//     it does not write is what the last good save wrote, unchanged since.
//  6. A follower loads the files whose stored timestamp differs from its copy's: two versions of
//     a file must never be stored with one timestamp. IDBFS stores the mtime, in whole ms, so a
//     file saved and written again within one millisecond would look unchanged. → a save stores
//     min(mtime, now - 1), and never less than one more than what it last stored for the path.
// Saves ask for 'strict' durability: with Chrome's 'relaxed', complete can come before the data
// is on disk, and "saved" must survive the battery dying.
import { NOT_LOADED, lazyFile } from './lazy-file.mjs';
import { StoreError, syncError } from './store-error.mjs';

const FILE_STORE = 'FILE_DATA'; // IDBFS.DB_STORE_NAME
export const BLOCK = 4 * 1024; // a journal segment is stored in blocks of this size
export const SPLIT = 64 * 1024; // any other file over this size: its head of this size, then the rest

const blockKey = (path, i) => `${path}\0${String(i).padStart(6, '0')}`;
// The keys of the blocks of `path` from block `from` on.
const blocksFrom = (path, from = 0) => IDBKeyRange.bound(blockKey(path, from), `${path}\u0001`, false, true);
// The key of the rest of a split file (in blocksFrom(path) too: deleting a path's blocks deletes it).
const REST = 'rest';
const restKey = (path) => `${path}\0${REST}`;
// With lazy bodies (openStore's lazyBodies), an order page's rest (its orders' bodies) is not
// fetched by a load at all: the core asks for it when a command first needs one of its bodies
// (lazy-file.mjs's NOT_LOADED), and loadWanted fetches what was asked. Other split files (the
// shop's file, read whole by every open) are fetched as before. Order pages are named by the
// core (core/store.c), like journal segments above.
const lazyRest = (lazy, path) => lazy && /\/orders-[^/]*$/.test(path);
// Except the pages the core's tail-pages names (core/store.c): those whose bodies the journal's
// tail needs, one file name a line. A load fetches their rests with the rest of its read, so an
// open's replay does not stop for them: each stop is a round trip of its own, the main thread
// idle meanwhile (~20 ms of a 100k-order open in Chromium). A hint: a name that is not a page
// here is ignored, and a page it misses is asked for by the replay, as before.
const TAIL_PAGES = '/tail-pages';

// fn(...args, callback) called back synchronously (IDBFS's local entry helpers) → return / throw.
function callSync(fn, ...args) {
  let result;
  fn(...args, (err, value) => {
    if (err) throw err;
    result = value;
  });
  return result;
}

// A copy of bytes [start, end) of a MEMFS file's contents (a typed array; an Array in old MEMFS).
const copyOf = (data, start, end) => (data.subarray ? data.slice(start, end) : Uint8Array.from(data.slice(start, end)));

const aborted = (tx) => tx.error ?? new StoreError('SYNC_ABORTED', 'the IndexedDB transaction was aborted');

// Runs job(op) with a timeout. op.done(err, value) settles it once (err null: resolves to value);
// onFail(op) runs before a failure is reported. At the timeout the transaction the job set as
// op.tx is aborted (a late commit would be a consistent copy anyway: this just frees it).
function guarded(job, timeoutMs, onFail) {
  return new Promise((resolve, reject) => {
    const op = { over: false, tx: null, taken: null };
    op.done = (err, value) => {
      if (op.over) return;
      op.over = true;
      clearTimeout(timer);
      if (err === null) return resolve(value);
      onFail(op);
      reject(syncError(err || new StoreError('SYNC_FAILED', 'IndexedDB failed without saying why')));
    };
    const timer = setTimeout(() => {
      try {
        op.tx?.abort();
      } catch {
        // finished meanwhile
      }
      op.done(new StoreError('SYNC_TIMEOUT', `IndexedDB did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      job(op);
    } catch (e) {
      op.done(e);
    }
  });
}

// IDBFS.getDB's database, opened without the module, so that a page's first read can start
// before the core is in (readStore). As 3.1.6's library_idbfs.js opens it: version 21, the store
// FILE_DATA and its 'timestamp' index created when missing. A failed open reports its error
// (IDBFS's reports `undefined`, see 4 above).
const DB_VERSION = 21; // IDBFS.DB_VERSION
function openDatabase(mountpoint, op, next) {
  const request = indexedDB.open(mountpoint, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    const files = db.objectStoreNames.contains(FILE_STORE) ? request.transaction.objectStore(FILE_STORE) : db.createObjectStore(FILE_STORE);
    if (!files.indexNames.contains('timestamp')) files.createIndex('timestamp', 'timestamp', { unique: false });
  };
  request.onerror = () => op.done(request.error);
  request.onsuccess = () => {
    if (op.over) return request.result.close(); // timed out while opening
    try {
      next(request.result);
    } catch (e) {
      op.done(e);
    }
  };
}

// Reads, in one transaction of `db`, what a load of a mount needs (see 5 above): with `local`
// (path → mtime of what memory has) empty, every file; else the files whose stored timestamp
// differs from local's. Calls back onRead(read) once the transaction has completed: read =
// {local, remote: path → timestamp (ms) of every file IndexedDB has, fetched: path → its record
// (undefined: it vanished meanwhile), blocks: path → the contents of its blocks, by number,
// rests: path → the request of a split file's rest, its result not read (see SPLIT above), and
// `there`, whether the record exists}. The records' bytes are handed on as IndexedDB gave them,
// never copied (a load gives them to MEMFS as the files' contents).
function readFiles(db, local, op, onRead, lazy = false) {
  const tx = db.transaction([FILE_STORE], 'readonly');
  op.tx = tx;
  const files = tx.objectStore(FILE_STORE);
  const remote = new Map();
  const fetched = new Map();
  const blocks = new Map();
  const rests = new Map();
  const get = (path) => {
    files.get(path).onsuccess = (e) => fetched.set(path, e.target.result);
  };
  // The pages tail-pages names (see TAIL_PAGES), their rests fetched whichever of the two
  // records comes first (the transaction is still active in a request's success handler).
  const hinted = new Set();
  const fetchRest = (path, rest) => {
    if (rest && !rest.request && hinted.has(path)) rest.request = files.get(restKey(path));
  };
  const getHint = (path) => {
    files.get(path).onsuccess = (e) => {
      const record = e.target.result;
      fetched.set(path, record);
      if (!lazy || !ArrayBuffer.isView(record?.contents)) return;
      const dir = path.slice(0, -TAIL_PAGES.length + 1);
      for (const name of new TextDecoder().decode(record.contents).split('\n')) {
        if (!/^orders-[^/]+$/.test(name)) continue;
        hinted.add(dir + name);
        fetchRest(dir + name, rests.get(dir + name));
      }
    };
  };
  // One get a file. Measured in Chromium 156 on this machine, at 100k orders (1,675 records,
  // 29.7 MB, format 3): what a read costs is the records, not the bytes nor the requests. One
  // get each: 0.56-0.69 s quiet, 0.8-1.1 s busy; getAll() over 16 or 64 key ranges in one
  // transaction: 0.8-1.6 s; the same ranges in parallel transactions: 0.8-1.3 s (and they would
  // break 5 above); one getAll(), or a cursor over the values: 2-4 s. Again at 100k orders of
  // format 4 (154 records, 22 MB: 98 pages of ~227 KB), a raw read, medians of 7 fresh pages,
  // busy machine: one get each 80 ms untouched, 220 ms with every result read (reading a
  // result deserializes it: ~2 ms a 227 KB page, where what costs is the first touch of fresh
  // memory: 22 MB copied into fresh memory took ~100 ms, into touched memory 1.6 ms); one
  // getAll() 437 ms, a cursor 278 ms, 8 getAll() ranges 307 ms; records of 30 or 60 KB, or Blobs,
  // no faster.
  const all = !local.size;
  if (all) {
    // Nothing here yet (a page opening): everything is fetched, so the list needs no timestamps
    // (they come with the records) and one getAllKeys() replaces a cursor step per file. Its
    // keys also name every block, so a segment's blocks are asked for with the rest, not once
    // its record has come back (one get each: 53 blocks of 4 KiB read in 15 ms, by one getAll()
    // in 19 ms, medians of 30); a record without a timestamp is not in the index, so not a
    // file, as below.
    files.getAllKeys().onsuccess = (event) => {
      const keys = event.target.result;
      const hint = keys.find((key) => key.endsWith(TAIL_PAGES));
      if (hint !== undefined) getHint(hint); // first, so that its rests are asked for soonest
      for (const key of keys) {
        const cut = key.indexOf('\0');
        if (cut < 0) {
          if (key !== hint) get(key);
          continue;
        }
        const path = key.slice(0, cut);
        if (key.slice(cut + 1) === REST) {
          rests.set(path, { request: lazyRest(lazy, path) ? null : files.get(key), there: true });
          continue;
        }
        if (!blocks.has(path)) blocks.set(path, []);
        const parts = blocks.get(path);
        files.get(key).onsuccess = (e) => (parts[Number(key.slice(cut + 1))] = e.target.result?.contents);
      }
    };
  } else {
    // Blocks have no timestamp, so the index lists files only. A blocked file's blocks are
    // asked for once its record says how many.
    files.index('timestamp').openKeyCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (cursor) {
        remote.set(cursor.primaryKey, cursor.key.getTime());
        cursor.continue();
        return;
      }
      for (const [path, time] of remote) {
        if (local.get(path) === time) continue;
        if (path.endsWith(TAIL_PAGES)) {
          getHint(path);
          continue;
        }
        files.get(path).onsuccess = (e) => {
          const entry = e.target.result;
          fetched.set(path, entry);
          if (entry?.head !== undefined) {
            // Whether the rest is there, without reading it (getKey: its key or undefined).
            const rest = { request: lazyRest(lazy, path) ? null : files.get(restKey(path)), there: false };
            fetchRest(path, rest);
            rests.set(path, rest);
            files.getKey(restKey(path)).onsuccess = (k) => (rest.there = k.target.result !== undefined);
          }
          if (entry?.blocks === undefined) return;
          const parts = [];
          blocks.set(path, parts);
          for (let i = 0; i < entry.blocks; i++) files.get(blockKey(path, i)).onsuccess = (b) => (parts[i] = b.target.result?.contents);
        };
      }
    };
  }
  tx.onabort = () => op.done(aborted(tx));
  tx.oncomplete = () => {
    if (op.over) return;
    if (all) {
      for (const [path, entry] of fetched) {
        if (entry?.timestamp instanceof Date) remote.set(path, entry.timestamp.getTime());
        else fetched.delete(path);
      }
    }
    onRead({ local, remote, fetched, blocks, rests });
  };
}

// A blocked file's record and blocks (and the tail its record holds) → IDBFS's record of the
// whole file. Blocks past the record's count (none are left behind by a save) are not its.
function joinBlocks(path, entry, parts = []) {
  const contents = new Uint8Array(entry.size);
  const mine = parts.slice(0, entry.blocks);
  let at = 0;
  for (const part of entry.tail ? [...mine, entry.tail] : mine) {
    if (!part || at + part.byteLength > entry.size) break;
    contents.set(part, at);
    at += part.byteLength;
  }
  if (mine.length !== entry.blocks || mine.includes(undefined) || at !== entry.size) {
    const have = mine.filter((part) => part !== undefined).length;
    throw new StoreError('SYNC_FAILED', `${path} is incomplete in IndexedDB: ${have} of ${entry.blocks} blocks, ${at} of ${entry.size} bytes`);
  }
  return { timestamp: entry.timestamp, mode: entry.mode, contents };
}

/**
 * Reads the whole store of the IDBFS mount at `mountpoint` (every file, in one transaction)
 * without the module: a page starts it as soon as it holds the lock (or knows it does not), while
 * the core is still being fetched and compiled, and hands it to guardIdbfs's load(ms, read).
 * Resolves to the read, which holds the database connection (`read.db`: load keeps it, or close
 * it when the read is not loaded); rejects with a StoreError (SYNC_TIMEOUT after `timeoutMs`).
 */
export function readStore(mountpoint, timeoutMs, { lazy = false } = {}) {
  let db = null;
  return guarded((op) => openDatabase(mountpoint, op, (opened) => {
    db = opened;
    readFiles(db, new Map(), op, (read) => op.done(null, { ...read, db }), lazy);
  }), timeoutMs, () => db?.close());
}

/**
 * For the IDBFS mount at `mountpoint`, whose changes `changes` (fs-changes.mjs) tracks, returns
 * {load(ms, read?), save(ms)}: load makes memory a copy of IndexedDB (of `read`, readStore's,
 * when given and nothing is in memory yet), save writes what changed. Both
 * resolve when IndexedDB has really done it and reject with a StoreError otherwise
 * (SYNC_TIMEOUT after `ms`). A failed save gives its paths back to `changes`, so the next one
 * writes them. `canUpload()` is asked before every save: a follower tab must never write.
 * `lazy`: order pages' rests are fetched when asked for (see lazyRest): `wanted()` says how many
 * a read asked for since, and loadWanted(ms) fetches them, in one transaction.
 */
export function guardIdbfs(M, mountpoint, { canUpload, changes, lazy = false }) {
  const { FS, IDBFS } = M;
  const wanted = new Map(); // path → the rest (storeEntry's) a read asked for and did not have
  const stamps = new Map(); // path → the timestamp (ms) IndexedDB has, or is being given, for it
  // How IndexedDB holds each path, known from loads and committed saves: n > 0: n full blocks of
  // BLOCK bytes (the rest in the file's record); SPLIT: its head and its rest's record; not in
  // the map: no blocks (one record or none).
  // `unsure`: paths a failed save may or may not have written, and segments loaded in blocks of
  // another size (or without a tail: 64 KiB blocks, before); they are written whole, leftover
  // blocks deleted.
  const layout = new Map();
  const unsure = new Set();
  const layoutOf = (path) => (unsure.has(path) ? undefined : layout.get(path) ?? 0);

  IDBFS.reconcile = (src, dst, callback) => {
    callback(new StoreError('SYNC_FAILED', `FS.syncfs is not used on ${mountpoint}: the store loads and saves it`));
  };

  function dropConnection() {
    const db = IDBFS.dbs[mountpoint];
    delete IDBFS.dbs[mountpoint];
    try {
      db?.close();
    } catch {
      // already closed
    }
  }

  function openDb(op, next) {
    IDBFS.getDB(mountpoint, (err, db) => {
      if (op.over) return; // timed out while opening: do nothing now
      if (err || !db) return op.done(err || new StoreError('SYNC_FAILED', 'opening IndexedDB failed'));
      try {
        next(db);
      } catch (e) {
        op.done(e);
      }
    });
  }

  // path → mtime (ms) of everything under the mount (a load only).
  function localSet() {
    const entries = new Map();
    const dirs = [mountpoint];
    while (dirs.length) {
      const dir = dirs.pop();
      for (const name of FS.readdir(dir)) {
        if (name === '.' || name === '..') continue;
        const path = `${dir}/${name}`;
        const stat = FS.stat(path);
        if (FS.isDir(stat.mode)) dirs.push(path);
        entries.set(path, stat.mtime.getTime());
      }
    }
    return entries;
  }

  // The timestamp to store for `path`, whose mtime is `mtime` (ms): see 6 above.
  function stamp(path, mtime, now) {
    let ms = Math.min(mtime, now - 1);
    const last = stamps.get(path);
    if (last !== undefined && ms <= last) ms = last + 1;
    stamps.set(path, ms);
    return new Date(ms);
  }

  // The MEMFS node at `path`, or null when nothing is there.
  function nodeAt(path) {
    try {
      return FS.lookupPath(path).node;
    } catch (e) {
      if (e instanceof FS.ErrnoError) return null;
      throw e;
    }
  }

  // Puts (and deletes) what `path` needs, changed from byte `from` on; returns its new layout.
  // Reads the MEMFS node itself, not through IDBFS.loadLocalEntry: that one replaces the node's
  // contents by a view trimmed to its size, so the file's next append reallocated and copied it
  // all (a segment up to 256 KiB, at every command).
  function putPath(files, path, from, now) {
    const known = layoutOf(path);
    const node = nodeAt(path);
    if (!node) {
      files.delete(path);
      if (known !== 0) files.delete(blocksFrom(path));
      stamps.delete(path);
      return 0;
    }
    const timestamp = stamp(path, node.timestamp, now);
    const { mode } = node;
    if (FS.isDir(mode)) {
      files.put({ timestamp, mode }, path);
      if (known !== 0) files.delete(blocksFrom(path));
      return 0;
    }
    if (!FS.isFile(mode)) throw new StoreError('SYNC_FAILED', `${path} is neither a file nor a directory`);
    // MEMFS keeps a file in a buffer up to twice its size; IndexedDB stores the whole buffer of
    // a view, so what is stored is always a copy of the bytes needed.
    const size = node.usedBytes;
    const data = node.contents ?? new Uint8Array(0);
    // Only journal segments grow by appends; a snapshot file (.pds) is written whole by the core
    // (temporary + rename), so it is one record, or two over SPLIT, however big: an open reads
    // fewer, bigger records fastest (see readFiles). Leftovers first: a rest's key is among them.
    if (!path.endsWith('.pdj')) {
      if (known !== 0) files.delete(blocksFrom(path));
      if (size <= SPLIT) {
        files.put({ timestamp, mode, contents: copyOf(data, 0, size) }, path);
        return 0;
      }
      files.put({ timestamp, mode, size, head: copyOf(data, 0, SPLIT) }, path);
      files.put({ contents: copyOf(data, SPLIT, size) }, restKey(path));
      return SPLIT;
    }
    // A segment: its full blocks, each its own record, and the rest in the file's record. (A
    // layout of SPLIT is not a segment's: unknown, so written whole.)
    const blocks = Math.floor(size / BLOCK);
    const first = known !== undefined && known !== SPLIT ? Math.min(Math.floor(from / BLOCK), known) : 0; // unknown: all
    for (let i = first; i < blocks; i++) files.put({ contents: copyOf(data, i * BLOCK, (i + 1) * BLOCK) }, blockKey(path, i));
    if (known === undefined || known === SPLIT || known > blocks) files.delete(blocksFrom(path, blocks));
    files.put({ timestamp, mode, size, blockSize: BLOCK, blocks, tail: copyOf(data, blocks * BLOCK, size) }, path);
    return blocks;
  }

  function save(op) {
    if (!canUpload()) return op.done(new StoreError('READ_ONLY', 'this tab is not the writer: it never saves'));
    if (!changes.size) return op.done(null);
    openDb(op, (db) => {
      // From here to the last put, one task: the paths and their contents are one instant's.
      op.taken = changes.take();
      const tx = db.transaction([FILE_STORE], 'readwrite', { durability: 'strict' });
      op.tx = tx;
      const after = new Map(); // path → its layout once this commits
      tx.oncomplete = () => {
        for (const [path, how] of after) {
          if (how) layout.set(path, how);
          else layout.delete(path);
          unsure.delete(path);
        }
        op.done(null);
      };
      tx.onabort = () => op.done(aborted(tx));
      const files = tx.objectStore(FILE_STORE);
      const now = Date.now();
      try {
        for (const path of [...op.taken.keys()].sort()) after.set(path, putPath(files, path, op.taken.get(path), now));
      } catch (e) {
        op.done(e); // first, so the abort below reports this error, not a bare abort
        tx.abort();
      }
    });
  }

  // Makes one file or directory of the mount what its IndexedDB record says. A file gets a new
  // node whose contents are the record's bytes themselves (no copy: MEMFS copies them again
  // only when the file grows past them; a record is never used twice). Over an existing file
  // the node is replaced, as a rename would: a descriptor opened before (the core keeps page
  // files open to read order bodies later) keeps the bytes it had, never a mix. Directories go
  // through IDBFS, which makes the missing ones.
  function storeEntry(path, entry) {
    const { mode, timestamp, contents } = entry;
    if (FS.isDir(mode)) return callSync(IDBFS.storeLocalEntry, path, entry);
    const slash = path.lastIndexOf('/');
    const parent = FS.lookupPath(path.slice(0, slash)).node; // the mount, or a directory stored before (paths sorted)
    const name = path.slice(slash + 1);
    if (Object.hasOwn(parent.contents, name)) FS.unlink(path); // (a MEMFS directory's entries; no lookup that throws)
    if (entry.head !== undefined) {
      const rest = entry.rest ?? { request: { result: undefined } };
      wanted.delete(path); // a new version of the file: what was asked of the old one is moot
      const readRest = () => {
        if (rest.request) return rest.request.result?.contents;
        if (Object.hasOwn(rest, 'bytes')) return rest.bytes; // loaded (undefined: it vanished)
        wanted.set(path, rest);
        return NOT_LOADED;
      };
      lazyFile(FS, parent, name, { mode, mtime: timestamp.getTime(), size: entry.size, head: entry.head, readRest });
      return;
    }
    const node = parent.node_ops.mknod(parent, name, mode, 0);
    node.contents = contents;
    node.usedBytes = contents.length;
    node.timestamp = timestamp.getTime();
  }

  // The record of `path` as IDBFS's {timestamp, mode, contents?} (a blocked file's joined), or a
  // split file's {timestamp, mode, size, head, rest}; throws when it is not a whole file or
  // directory (a split file's rest must be there; its size is checked when it is read).
  function entryOf(path, record, parts, rest) {
    if (!record) throw new StoreError('SYNC_FAILED', `${path} vanished from IndexedDB while loading`);
    if (record.head !== undefined) {
      const { head, size } = record;
      if (!FS.isFile(record.mode) || !ArrayBuffer.isView(head) || head.BYTES_PER_ELEMENT !== 1 || !Number.isSafeInteger(size) || size < head.length) {
        throw new StoreError('SYNC_FAILED', `${path} in IndexedDB is not a file split in two`);
      }
      if (size > head.length && !rest?.there) throw new StoreError('SYNC_FAILED', `${path} is incomplete in IndexedDB: the rest of its ${size} bytes is missing`);
      return { ...record, rest };
    }
    const entry = record.blocks === undefined ? record : joinBlocks(path, record, parts);
    if (FS.isDir(entry.mode)) return entry;
    // Bytes as a typed array of bytes: a Uint8Array, or an Int8Array (MEMFS keeps a file the
    // core wrote in one go as a slice of HEAP8, and a save stores a slice of that).
    const { contents } = entry;
    if (!FS.isFile(entry.mode) || !ArrayBuffer.isView(contents) || contents.BYTES_PER_ELEMENT !== 1) {
      throw new StoreError('SYNC_FAILED', `${path} in IndexedDB is neither a file nor a directory`);
    }
    return entry;
  }

  // Memory becomes what `read` (readFiles') says IndexedDB has: its files stored, the files it
  // does not have removed. Every record is checked before memory changes: one that is not whole
  // fails the load with memory as it was (a follower keeps the shop it had).
  function apply({ local, remote, fetched, blocks, rests }) {
    const entries = [...fetched.keys()].sort().map((path) => [path, entryOf(path, fetched.get(path), blocks.get(path), rests.get(path))]);
    changes.quietly(() => {
      for (const [path, entry] of entries) storeEntry(path, entry);
      for (const path of [...local.keys()].filter((p) => !remote.has(p)).sort().reverse()) {
        callSync(IDBFS.removeLocalEntry, path);
      }
    });
    changes.clear(); // memory is now what IndexedDB has: nothing is unsaved
    stamps.clear();
    for (const [path, time] of remote) stamps.set(path, time);
    if (!local.size) {
      layout.clear(); // all was read: what is not in it has no record
      unsure.clear();
    }
    for (const path of layout.keys()) if (!remote.has(path)) layout.delete(path);
    for (const [path, entry] of fetched) {
      unsure.delete(path);
      layout.delete(path);
      if (entry.head !== undefined) layout.set(path, SPLIT);
      if (entry.blocks === undefined) continue;
      if (entry.blockSize === BLOCK && entry.tail !== undefined) layout.set(path, entry.blocks);
      else unsure.add(path); // blocks of another layout: rewritten whole when it changes
    }
  }

  function load(op) {
    openDb(op, (db) => readFiles(db, localSet(), op, (read) => {
      try {
        apply(read);
      } catch (e) {
        return op.done(e);
      }
      op.done(null);
    }, lazy));
  }

  // Fetches the rests reads asked for (wanted), in one transaction; each read then finds its
  // bytes (a record gone meanwhile: undefined, which the read reports as damage, EIO).
  function loadWanted(op) {
    const asked = [...wanted];
    wanted.clear();
    if (!asked.length) return op.done(null, 0);
    openDb(op, (db) => {
      const tx = db.transaction([FILE_STORE], 'readonly');
      op.tx = tx;
      const files = tx.objectStore(FILE_STORE);
      const got = asked.map(([path]) => files.get(restKey(path)));
      tx.onabort = () => op.done(aborted(tx));
      tx.oncomplete = () => {
        asked.forEach(([, rest], i) => (rest.bytes = got[i].result?.contents));
        op.done(null, asked.length);
      };
    });
  }

  // A read made before this module was there (readStore): loaded as it is when memory is still
  // empty (a page opening), its connection kept for the saves. Otherwise it is of no use (it did
  // not list what memory has): a fresh load instead.
  function loadRead(read, timeoutMs) {
    if (IDBFS.dbs[mountpoint]) read.db.close();
    else IDBFS.dbs[mountpoint] = read.db;
    if (localSet().size) return guarded(load, timeoutMs, failed);
    try {
      apply(read);
    } catch (e) {
      failed({});
      return Promise.reject(syncError(e));
    }
    return Promise.resolve();
  }

  // A load or save failed: a save's paths go back to `changes`, and the connection is dropped
  // (see 4 above; a healthy one is reopened at little cost). A failed loadWanted drops the
  // connection too: what it was asked is asked again by the next read.
  function failed(op) {
    if (op.taken) {
      changes.restore(op.taken);
      for (const path of op.taken.keys()) unsure.add(path);
    }
    dropConnection();
  }

  return {
    load: (timeoutMs, read) => (read ? loadRead(read, timeoutMs) : guarded(load, timeoutMs, failed)),
    save: (timeoutMs) => guarded(save, timeoutMs, failed),
    loadWanted: (timeoutMs) => guarded(loadWanted, timeoutMs, failed),
    wanted: () => wanted.size,
  };
}
