// store-error.mjs: the one error class of the browser store. `.code` says what failed, for code;
// `.message` says it for a person; `.cause` keeps what the browser or Emscripten threw.
//
// Codes: OPEN_FAILED (the store cannot be opened at all), LOAD_FAILED (IndexedDB could not be
// read at start), SYNC_TIMEOUT, SYNC_ABORTED, QUOTA_EXCEEDED, SYNC_FAILED (a save or refresh),
// READ_ONLY (this tab is not the writer), DAMAGED (opened read-only: see store.report.message),
// CLOSED, OUT_OF_MEMORY, BAD_NAME.
export class StoreError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** Any failure of a sync as a StoreError (an IDB DOMException, an FS.ErrnoError, a string). */
export function syncError(err) {
  if (err instanceof StoreError) return err;
  const name = err?.name ?? '';
  if (name === 'QuotaExceededError') return new StoreError('QUOTA_EXCEEDED', `IndexedDB is full: ${err.message}`, { cause: err });
  if (name === 'AbortError') return new StoreError('SYNC_ABORTED', `the IndexedDB transaction was aborted: ${err.message}`, { cause: err });
  const what = err?.message ?? (err?.errno !== undefined ? `file system error ${err.errno}` : String(err));
  return new StoreError('SYNC_FAILED', `saving to IndexedDB failed: ${what}`, { cause: err });
}
