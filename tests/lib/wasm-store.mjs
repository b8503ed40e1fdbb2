// wasm-store.mjs: the C store through wasm/store-native.mjs (what packdesk-store.mjs runs it
// with), in the shapes the Node tests below the store read: a flat report, parsed answers.
import { execNative, followNative, openNative, resumeNative } from '../../wasm/store-native.mjs';

/** pd_store_open(dir, flags) → {st (0: refused), ...the report (damaged, pending, message...)}. */
export function open(M, dir, flags = 0) {
  const { ptr, report } = openNative(M, dir, flags);
  return { st: ptr, ...report };
}

/** pd_store_resume(st) → {rc (0 open, 1 pending still, -1 damage), ...the report}. */
export function resume(M, st) {
  const { rc, report } = resumeNative(M, st, false);
  return { rc, ...report };
}

/** pd_store_follow(st) → {rc (0 caught up, 1 stopped for bodies, -1 damage, 2 open again), ...the report}. */
export function follow(M, st) {
  const { rc, report } = followNative(M, st);
  return { rc, ...report };
}

/** pd_store_exec of `request` (an object or JSON text) → the parsed answer. */
export function exec(M, st, request) {
  return JSON.parse(execNative(M, st, typeof request === 'string' ? request : JSON.stringify(request)));
}
