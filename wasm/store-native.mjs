// store-native.mjs: the C store (core/packdesk.h's pd_store_*) through the wasm core's exports:
// strings in and out of the core's memory, the open's report read back. packdesk-store.mjs opens
// and runs its store through these; the Node tests that drive the C store below it (a damaged
// page, a replay that waits for bodies) call the same ones. Every temporary is freed in finally.
import { StoreError } from './store-error.mjs';

// From core/packdesk.h. The core exports no enum table (sqlite's way), so they are repeated here.
export const PD_STORE_READ_ONLY = 2;
const REPORT_SIZE = 368; // sizeof(pd_store_report) in wasm32: 5 u64, an int, char[320], padding
const REPORT_DAMAGED = 40;
const REPORT_MESSAGE = 44;
const REPORT_PENDING = 364;

function cString(M, text) {
  const len = M.lengthBytesUTF8(text);
  const ptr = M._malloc(len + 1);
  if (!ptr) throw new StoreError('OUT_OF_MEMORY', `malloc(${len + 1}): out of memory`);
  M.stringToUTF8(text, ptr, len + 1);
  return { ptr, len };
}

function readReport(M, rep) {
  const u64 = (off) => M.HEAPU32[(rep + off) >> 2] + M.HEAPU32[(rep + off + 4) >> 2] * 2 ** 32;
  return {
    orders: u64(0),
    snapshotSeq: u64(8),
    replayed: u64(16),
    tornBytes: u64(24),
    tornSeq: u64(32),
    damaged: M.HEAP32[(rep + REPORT_DAMAGED) >> 2] !== 0,
    message: M.UTF8ToString(rep + REPORT_MESSAGE, 320),
    pending: M.HEAP32[(rep + REPORT_PENDING) >> 2] !== 0,
  };
}

// pd_store_open → {ptr, report}; ptr is 0 when the open failed (report.message says why).
// report.pending: the journal's replay waits for bodies not loaded (resumeNative).
export function openNative(M, dir, flags) {
  const path = cString(M, dir);
  const rep = M._malloc(REPORT_SIZE);
  try {
    if (!rep) throw new StoreError('OUT_OF_MEMORY', 'malloc: out of memory');
    const ptr = M._pd_store_open(path.ptr, flags, rep);
    return { ptr, report: { ...readReport(M, rep), readOnly: (flags & PD_STORE_READ_ONLY) !== 0 } };
  } finally {
    M._free(rep);
    M._free(path.ptr);
  }
}

// pd_store_resume → {rc, report}: 0 open, 1 pending still, -1 a record no longer applies.
export function resumeNative(M, st, readOnly) {
  const rep = M._malloc(REPORT_SIZE);
  try {
    if (!rep) throw new StoreError('OUT_OF_MEMORY', 'malloc: out of memory');
    const rc = M._pd_store_resume(st, rep);
    return { rc, report: { ...readReport(M, rep), readOnly } };
  } finally {
    M._free(rep);
  }
}

// pd_store_follow → {rc, report}: 0 the writer's new records applied, 1 stopped before one
// that needs bodies not loaded (follow again once they are), -1 a record does not apply, 2 open
// again (a checkpoint since).
export function followNative(M, st) {
  const rep = M._malloc(REPORT_SIZE);
  try {
    if (!rep) throw new StoreError('OUT_OF_MEMORY', 'malloc: out of memory');
    const rc = M._pd_store_follow(st, rep);
    return { rc, report: { ...readReport(M, rep), readOnly: true } };
  } finally {
    M._free(rep);
  }
}

// pd_store_exec of `request` (JSON text) → the answer's text.
export function execNative(M, st, request) {
  const req = cString(M, request);
  try {
    const out = M._pd_store_exec(st, req.ptr, req.len);
    if (!out) throw new StoreError('OUT_OF_MEMORY', 'pd_store_exec: out of memory');
    try {
      return M.UTF8ToString(out);
    } finally {
      M._pd_string_free(out);
    }
  } finally {
    M._free(req.ptr);
  }
}
