// idbfs-sync.mjs: FS.syncfs made trustworthy for one IDBFS mount of Emscripten 3.1.6.
//
// What 3.1.6's library_idbfs.js gets wrong (read in /usr/share/emscripten/src), and the answer:
//  1. reconcile() sets no transaction.onabort. A transaction that aborts (QuotaExceededError, a
//     connection closed under it, an abort()) never calls back: the sync hangs for ever.
//     → our reconcile sets onabort and reports tx.error; every sync also has a timeout.
//  2. Its request and transaction error handlers are arrow functions reporting `this.error`:
//     `this` is not the request, so the error arrives as `undefined`, which done() does not
//     count as an error. They also call preventDefault(), which stops the failed request from
//     aborting the transaction, so oncomplete follows: callback(null), a lost write reported as
//     saved. → we never preventDefault: one failed request aborts the whole transaction (nothing
//     half-written is committed) and the abort is reported with its error.
//  3. getRemoteSet()'s transaction error arrives as `undefined` too: syncfs goes on to call
//     reconcile with an undefined set, whose TypeError is thrown inside an IDB event handler
//     where nobody catches it (another hang). → reconcile checks its arguments. (getDB()'s
//     `undefined` error leads to a TypeError that getRemoteSet's try does catch and report.)
//  4. reconcile() calls db.transaction() outside any try, on a connection cached for ever in
//     IDBFS.dbs: once it is closed (storage cleared, a version change) every sync throws in an
//     event handler. → caught and reported, and the cached connection is dropped on any error,
//     so the next sync opens a fresh one.
//  5. On load, the list of remote files and their contents are read in two transactions: a
//     follower loading while the writer saves can get a new manifest without the pages it
//     names. → populate reads the list and the contents in one transaction, and changes local
//     files only once it has completed. Uploads take the local list and contents in one task
//     (no command can run in between), so what is stored is the memory of one instant.
//  6. Changes are found by mtime, in whole milliseconds: a file written again within the
//     millisecond of a save would look unchanged to the next one. → an entry whose mtime is the
//     current millisecond is stored one millisecond older, so the next save takes it again.
// Saves also ask for 'strict' durability: with Chrome's 'relaxed', complete can come before the
// data is on disk, and "saved" must survive the battery dying.
import { StoreError, syncError } from './store-error.mjs';

const FILE_STORE = 'FILE_DATA'; // IDBFS.DB_STORE_NAME

// fn(...args, callback) called back synchronously (IDBFS's local entry helpers) → return / throw.
function callSync(fn, ...args) {
  let result;
  fn(...args, (err, value) => {
    if (err) throw err;
    result = value;
  });
  return result;
}

/**
 * Replaces M.IDBFS.reconcile for the mount at `mountpoint` and returns `sync(populate, ms)`,
 * which resolves when FS.syncfs has really succeeded and rejects with a StoreError otherwise
 * (SYNC_TIMEOUT after `ms`). `canUpload()` is asked before every upload: a follower tab must
 * never make IndexedDB a copy of its memory (it would erase the writer's saves).
 */
export function guardIdbfs(M, mountpoint, { canUpload }) {
  const { FS, IDBFS } = M;
  let current = null; // the transaction of the sync under way, aborted on timeout

  function dropConnection() {
    const db = IDBFS.dbs[mountpoint];
    delete IDBFS.dbs[mountpoint];
    try {
      db?.close();
    } catch {
      // already closed
    }
  }

  // path → mtime (ms) of everything under the mount, as IDBFS.getLocalSet lists it.
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

  function localEntry(path, now) {
    const entry = callSync(IDBFS.loadLocalEntry, path);
    if (entry.timestamp.getTime() >= now) entry.timestamp = new Date(now - 1); // see 6 above
    const c = entry.contents;
    // MEMFS hands out a view of a buffer up to twice its size; IndexedDB would store it all.
    if (c && c.byteLength !== c.buffer.byteLength) entry.contents = c.slice();
    return entry;
  }

  function upload(db, remote, done) {
    if (!canUpload()) return done(new StoreError('READ_ONLY', 'this tab is not the writer: it never saves'));
    const local = localSet();
    const puts = [...local.keys()].filter((p) => remote.get(p) !== local.get(p)).sort();
    const dels = [...remote.keys()].filter((p) => !local.has(p)).sort().reverse();
    if (!puts.length && !dels.length) return done(null);
    const tx = db.transaction([FILE_STORE], 'readwrite', { durability: 'strict' });
    current = tx;
    tx.oncomplete = () => done(null);
    tx.onabort = () => done(tx.error ?? new StoreError('SYNC_ABORTED', 'the IndexedDB transaction was aborted'));
    const files = tx.objectStore(FILE_STORE);
    const now = Date.now();
    try {
      for (const path of puts) files.put(localEntry(path, now), path);
      for (const path of dels) files.delete(path);
    } catch (e) {
      done(e); // first, so the abort below reports this error, not a bare abort
      tx.abort();
    }
  }

  function populate(db, done) {
    const local = localSet();
    const tx = db.transaction([FILE_STORE], 'readonly');
    current = tx;
    const files = tx.objectStore(FILE_STORE);
    const remote = new Map();
    const fetched = new Map();
    files.index('timestamp').openKeyCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (cursor) {
        remote.set(cursor.primaryKey, cursor.key.getTime());
        cursor.continue();
        return;
      }
      for (const [path, time] of remote) {
        if (local.get(path) !== time) files.get(path).onsuccess = (e) => fetched.set(path, e.target.result);
      }
    };
    tx.onabort = () => done(tx.error ?? new StoreError('SYNC_ABORTED', 'the IndexedDB transaction was aborted'));
    tx.oncomplete = () => {
      try {
        for (const path of [...fetched.keys()].sort()) {
          const entry = fetched.get(path);
          if (!entry) throw new StoreError('SYNC_FAILED', `${path} vanished from IndexedDB while loading`);
          callSync(IDBFS.storeLocalEntry, path, entry);
        }
        for (const path of [...local.keys()].filter((p) => !remote.has(p)).sort().reverse()) {
          callSync(IDBFS.removeLocalEntry, path);
        }
      } catch (e) {
        return done(e);
      }
      done(null);
    };
  }

  IDBFS.reconcile = (src, dst, callback) => {
    let called = false;
    const done = (err) => {
      if (called) return;
      called = true;
      // Never a falsy error: FS.syncfs would take it for success (see 2 and 3 above).
      callback(err === null ? null : err || new StoreError('SYNC_FAILED', 'IndexedDB failed without saying why'));
    };
    if (!src || !dst) return done(new StoreError('SYNC_FAILED', 'reading the file list from IndexedDB failed'));
    try {
      if (dst.type === 'remote') {
        const remote = new Map(Object.entries(dst.entries).map(([p, e]) => [p, e.timestamp.getTime()]));
        upload(dst.db, remote, done);
      } else {
        populate(src.db, done);
      }
    } catch (e) {
      done(e);
    }
  };

  return function sync(populateLocal, timeoutMs) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!err) return resolve();
        dropConnection(); // see 4 above; a healthy one is reopened at little cost
        reject(syncError(err));
      };
      const timer = setTimeout(() => {
        try {
          current?.abort(); // a late commit would be a consistent copy anyway: this just frees it
        } catch {
          // finished meanwhile
        }
        finish(new StoreError('SYNC_TIMEOUT', `IndexedDB did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      current = null;
      try {
        FS.syncfs(populateLocal, finish);
      } catch (e) {
        finish(e);
      }
    });
  };
}
