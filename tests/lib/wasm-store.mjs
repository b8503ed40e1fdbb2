// wasm-store.mjs: the C store through the wasm core's exports, for the Node tests that drive it
// below wasm/packdesk-store.mjs (a damaged page, a replay that waits). The report's offsets are
// packdesk-store.mjs's (pd_store_report in wasm32). Holds no tests of its own.
const REPORT_SIZE = 368;
const REPORT_DAMAGED = 40;
const REPORT_MESSAGE = 44;
const REPORT_PENDING = 364;

/** `text` as a C string in the core's memory: its pointer, for the caller to free. */
export function cString(M, text) {
  const n = M.lengthBytesUTF8(text) + 1;
  const ptr = M._malloc(n);
  M.stringToUTF8(text, ptr, n);
  return ptr;
}

function withReport(M, fn) {
  const rep = M._malloc(REPORT_SIZE);
  try {
    const value = fn(rep);
    return { value, damaged: M.HEAP32[(rep + REPORT_DAMAGED) >> 2] !== 0, pending: M.HEAP32[(rep + REPORT_PENDING) >> 2],
      message: M.UTF8ToString(rep + REPORT_MESSAGE, 320) };
  } finally {
    M._free(rep);
  }
}

/** pd_store_open(dir, flags) → {st (0: refused), damaged, pending, message}. */
export function openNative(M, dir, flags = 0) {
  const path = cString(M, dir);
  try {
    const { value, ...report } = withReport(M, (rep) => M._pd_store_open(path, flags, rep));
    return { st: value, ...report };
  } finally {
    M._free(path);
  }
}

/** pd_store_resume(st) → {rc (0 open, 1 pending still, -1 damage), damaged, pending, message}. */
export function resumeNative(M, st) {
  const { value, ...report } = withReport(M, (rep) => M._pd_store_resume(st, rep));
  return { rc: value, ...report };
}

/** pd_store_exec of `request` (an object or JSON text) → the parsed answer. */
export function execNative(M, st, request) {
  const text = typeof request === 'string' ? request : JSON.stringify(request);
  const req = cString(M, text);
  const out = M._pd_store_exec(st, req, M.lengthBytesUTF8(text));
  M._free(req);
  const answer = M.UTF8ToString(out);
  M._pd_string_free(out);
  return JSON.parse(answer);
}
