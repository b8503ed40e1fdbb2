// fs-changes.mjs: the paths under one mount that this tab has changed and not yet saved, so a
// save writes what changed instead of comparing the whole mount with the whole of IndexedDB.
//
// How: Emscripten 3.1.6 has FS.trackingDelegate only in FS_DEBUG builds (library_fs.js wraps
// every call in `#if FS_DEBUG`), so it is absent from ours. Instead the FS functions every change
// goes through are wrapped. The glue calls them as properties of FS at call time (the syscalls and
// the FS functions among themselves: FS.open → FS.mknod / FS.truncate), so wrapping catches both
// the C code's calls and the glue's own:
//   FS.mknod    every new file or directory (FS.mkdir, FS.create, open with O_CREAT)
//   FS.write    every write (fd_write, writev, pwrite, FS.writeFile)
//   FS.truncate every size change (ftruncate, open with O_TRUNC)
//   FS.rename, FS.unlink, FS.rmdir, FS.chmod, FS.utime
// FS.close is not needed: a write is marked when it happens, not when its file is closed.
// What the wasm can reach at all is its import list (fd_write, __syscall_open, _ftruncate64,
// _mkdir, _rename, _unlink, ... and no mmap/msync, whose write-back would bypass FS.write);
// tests/browser-store.test.mjs checks that list, so a core change that adds one fails there.
//
// A marked path is only "look at this one when saving": the save stores what is there then, or
// deletes the record when nothing is. Marking too much costs a write; marking too little would
// lose one, so every operation marks before it runs (a failed one may have changed something).
// With the path goes the lowest byte offset changed since the last good save (0: all of it), so
// a save of a big file that was appended to writes its last blocks only (idbfs-sync.mjs).
const O_APPEND = 1024; // musl's, as 3.1.6's FS.write tests it

export function trackChanges(M, mountpoint) {
  const { FS } = M;
  const prefix = `${mountpoint}/`;
  let pending = new Map(); // path → lowest changed offset
  let changes = 0;
  let paused = 0;

  const mark = (path, from = 0) => {
    if (paused || !path.startsWith(prefix)) return;
    const was = pending.get(path);
    if (was === undefined || from < was) pending.set(path, from);
    changes++;
  };
  // An absolute, normalized path ('.', '..', '//' resolved; there are no symlinks in the mount).
  const absolute = (path) => {
    const parts = [];
    for (const part of (path.startsWith('/') ? path : `${FS.cwd()}/${path}`).split('/')) {
      if (part === '..') parts.pop();
      else if (part && part !== '.') parts.push(part);
    }
    return `/${parts.join('/')}`;
  };
  const ours = (node) => node?.mount?.mountpoint === mountpoint;
  const markTarget = (target) => {
    if (paused) return;
    if (typeof target === 'string') mark(absolute(target));
    else if (ours(target)) mark(FS.getPath(target));
  };
  // A write changes its file from where it lands, or from the old end if it lands past it.
  const markWrite = (stream, buffer, offset, length, position) => {
    const node = stream?.node;
    if (paused || !ours(node)) return;
    const end = node.usedBytes ?? 0;
    const at = stream.flags & O_APPEND ? end : position === undefined ? stream.position : position;
    mark(FS.getPath(node), Math.max(0, Math.min(at, end)));
  };
  // A size change (ftruncate, O_TRUNC: a node; truncate(): a path) changes it from the new end.
  const markTruncate = (target, length) => {
    if (paused) return;
    if (typeof target === 'string' || !ours(target)) return markTarget(target);
    mark(FS.getPath(target), Math.max(0, Math.min(length, target.usedBytes ?? 0)));
  };
  // Every path under `dir` (a directory that moved): its old names must go, its new ones come.
  const markTree = (from, to) => {
    const dirs = [''];
    while (dirs.length) {
      const rel = dirs.pop();
      for (const name of FS.readdir(to + rel)) {
        if (name === '.' || name === '..') continue;
        const sub = `${rel}/${name}`;
        mark(from + sub);
        mark(to + sub);
        if (FS.isDir(FS.lstat(to + sub).mode)) dirs.push(sub);
      }
    }
  };

  const wrap = (name, before) => {
    const real = FS[name];
    FS[name] = function (...args) {
      before(...args);
      return real.apply(this, args);
    };
  };
  for (const [name, before] of [
    ['mknod', markTarget],
    ['write', markWrite],
    ['truncate', markTruncate],
    ['unlink', markTarget],
    ['rmdir', markTarget],
    ['chmod', markTarget],
    ['utime', markTarget],
  ]) wrap(name, before);
  const rename = FS.rename;
  FS.rename = function (oldPath, newPath) {
    const from = absolute(oldPath);
    const to = absolute(newPath);
    mark(from);
    mark(to);
    const result = rename.call(this, oldPath, newPath);
    if (!paused && to.startsWith(prefix) && FS.isDir(FS.lstat(to).mode)) markTree(from, to);
    return result;
  };

  return {
    /** How many changes were marked so far (a command that changed nothing leaves it as it was). */
    get changes() {
      return changes;
    },
    /** How many paths wait for a save. */
    get size() {
      return pending.size;
    },
    /** Hands over path → changed-from offset and starts anew (call it in the task that reads them). */
    take() {
      const taken = pending;
      pending = new Map();
      return taken;
    },
    /** Gives back what a failed save took: the next save writes it (with anything newer). */
    restore(taken) {
      for (const [path, from] of taken) {
        const was = pending.get(path);
        if (was === undefined || from < was) pending.set(path, from);
      }
    },
    /** After a load: memory is a copy of IndexedDB, nothing is unsaved. */
    clear() {
      pending = new Map();
    },
    /** Runs fn without marking (a load writing what IndexedDB already has). */
    quietly(fn) {
      paused++;
      try {
        return fn();
      } finally {
        paused--;
      }
    },
  };
}
