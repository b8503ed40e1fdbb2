// lazy-file.mjs: a MEMFS file (Emscripten 3.1.6) whose bytes past its head come from IndexedDB
// only when a read first reaches them. idbfs-sync.mjs loads a big snapshot file this way: the
// core's open reads an order page's head (the orders' summaries) and each order's body only when
// a command needs it, and deserializing a record's bytes is what a load pays for (~2 ms a 227 KB
// page on this machine), so the rest of the file stays a record fetched but not read.
//
// The node is MEMFS's own (node_ops.mknod); what differs:
// - its stream's read serves the head, and the rest (read once, on the first read past the head)
//   without making the whole file: the core's descriptors only read;
// - anything else that needs the bytes (a write, a truncate, a save, mmap) goes through
//   node.contents, here a getter that makes the whole file once; from then on the node is a
//   plain MEMFS file (contents a data property, MEMFS's stream operations).
// A rest that is not the size the record said fails the read with EIO, as a bad disk would: the
// core reports the order's body unreadable. A JS exception through the wasm would abort it.
// readRest() may also answer NOT_LOADED: the rest is not in memory yet (a store opened with lazy
// bodies fetches an order page's rest only when a command needs it). The read then fails with
// EAGAIN, which the core answers NOT_LOADED (the command changes nothing), and readRest is asked
// again at the next read, once the shell has loaded it.
const EIO = 29; // 3.1.6's errno (its own numbering, not Linux's)
const EAGAIN = 6;

/** What readRest() returns while the rest is not loaded (see above). */
export const NOT_LOADED = Symbol('not loaded');

/**
 * Makes `name` in the MEMFS directory node `parent`: a file of `size` bytes, mode `mode`, mtime
 * `mtime` (ms), whose first head.length bytes are `head` and the rest what readRest() returns
 * (a byte typed array of size - head.length bytes), called at most once. Returns the node.
 */
export function lazyFile(FS, parent, name, { mode, mtime, size, head, readRest }) {
  const node = parent.node_ops.mknod(parent, name, mode, 0);
  const plain = node.stream_ops; // MEMFS's, shared by its files
  let rest = null;
  let lazy = true;

  const restBytes = () => {
    if (rest) return rest;
    let bytes;
    try {
      bytes = readRest();
    } catch {
      bytes = null;
    }
    if (bytes === NOT_LOADED) throw new FS.ErrnoError(EAGAIN);
    if (!ArrayBuffer.isView(bytes) || bytes.BYTES_PER_ELEMENT !== 1 || bytes.length !== size - head.length) {
      throw new FS.ErrnoError(EIO);
    }
    readRest = null; // its record is not needed any more
    rest = bytes;
    return rest;
  };
  // From here on a plain MEMFS file holding `contents`.
  const settle = (contents) => {
    lazy = false;
    Object.defineProperty(node, 'contents', { value: contents, writable: true, configurable: true, enumerable: true });
    node.stream_ops = plain;
    rest = null;
  };
  Object.defineProperty(node, 'contents', {
    configurable: true,
    enumerable: true,
    get() {
      const whole = new Uint8Array(size);
      whole.set(head);
      if (size > head.length) whole.set(restBytes(), head.length);
      settle(whole);
      return whole;
    },
    set(contents) {
      settle(contents);
    },
  });
  node.stream_ops = {
    ...plain,
    // MEMFS's read, from the head and the rest (streams opened while lazy keep these ops).
    read(stream, buffer, offset, length, position) {
      if (!lazy) return plain.read(stream, buffer, offset, length, position);
      if (position >= size) return 0;
      const n = Math.min(size - position, length);
      let done = 0;
      if (position < head.length) {
        done = Math.min(n, head.length - position);
        buffer.set(head.subarray(position, position + done), offset);
      }
      if (done < n) {
        const from = position + done - head.length;
        buffer.set(restBytes().subarray(from, from + n - done), offset + done);
      }
      return n;
    },
  };
  node.usedBytes = size;
  node.timestamp = mtime;
  return node;
}
