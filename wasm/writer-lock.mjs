// writer-lock.mjs: one writer per origin and store name, with the Web Locks API.
//
// IDBFS's syncfs(false) makes IndexedDB an exact copy of one tab's memory, deleting what that
// tab does not have: two writing tabs erase each other's saves (PLATFORM.md). So exactly one tab
// holds the lock `packdesk:<name>` and writes; it holds it for the life of the page (the browser
// releases it when the page goes, even when it is killed). The others queue for it and are
// told, through onGranted, when the writer has gone and they are next.

/**
 * Tries for the lock at once. Resolves to {writer, release}: writer says whether this tab got
 * it now; if not, the request stays queued and onGranted() is called when it is granted.
 * release() gives the lock up (or leaves the queue). Without Web Locks (an insecure context,
 * an old browser) there is no way to tell tabs apart: this tab writes, as a single tab would.
 */
export async function requestWriterLock(name, onGranted) {
  let release;
  const held = new Promise((resolve) => (release = resolve)); // the lock lasts while this is pending
  const locks = globalThis.navigator?.locks;
  if (!locks) return { writer: true, release };
  const lockName = `packdesk:${name}`;
  const writer = await new Promise((resolve, reject) => {
    locks.request(lockName, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock ? held : undefined;
    }).catch(reject);
  });
  if (writer) return { writer, release };
  const queue = new AbortController();
  locks.request(lockName, { signal: queue.signal }, (lock) => {
    onGranted(lock);
    return held;
  }).catch(() => {}); // AbortError: the tab closed the store while still queued
  return {
    writer,
    release() {
      queue.abort();
      release();
    },
  };
}
