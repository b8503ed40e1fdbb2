// core-host.mjs: one packdesk core (the wasm build, in Node) per shop, the server's authority.
//
// A shop's core is built on first use from what storage holds: the shop-level settings (the
// accepted policy.set and product.set operations, replayed in commit order: they live outside
// the orders) and then every stored order state, loaded with the core's `sync.base {orders}` in
// chunks. The core stamps its own versions; the host remembers how far it has read them
// (`cursor`) and hands each operation's changed orders back to the caller, which stores them
// with the storage's versions (the authority for pulls) in the operation's transaction.
//
// Everything a shop's core does goes through run(shopId, fn), one at a time per shop (the core
// is not re-entrant, and an operation is exec + changes + commit: nothing may come between).
// When fn throws, the core may hold what storage does not (the commit failed after the core
// applied the operation): it is dropped, and rebuilt from storage on next use.
import { createCore as createWasmCore } from '../../wasm/packdesk-core.mjs';

/** Shop-level commands: what an order state does not carry, replayed when a core is rebuilt. */
export const SHOP_COMMANDS = ['policy.set', 'product.set'];

const CHANGES_PAGE = 500;

/** A shop the storage does not know. */
export class UnknownShopError extends Error {
  constructor(shopId) {
    super(`no shop ${shopId}`);
    this.code = 'UNKNOWN_SHOP';
  }
}

/** The core refused what the server itself sent (sync.base, sync.changes): storage or core is wrong. */
export class CoreError extends Error {
  constructor(what, response) {
    super(`${what}: ${JSON.stringify(response.error ?? response)}`);
    this.code = 'CORE';
  }
}

/**
 * @param {{storage: object, createCore?: () => Promise<object>, maxCores?: number,
 *          baseChunk?: number, now?: () => number}} options
 */
export function createCoreHost({ storage, createCore = createWasmCore, maxCores = 64, baseChunk = 200, now = Date.now }) {
  const loaded = new Map(); // shopId → ShopCore, least recently used first
  const queues = new Map(); // shopId → {tail: Promise, waiting: number}

  // A core and how far its versions were read; what run()'s fn works with.
  function shopCore(core, cursor) {
    const self = {
      core,
      cursor,
      /** One request (object) → the parsed response; for the server's own commands. */
      exec: (request) => core.exec(request),
      /**
       * One device operation: the core's answer as it wrote it (`response`) and parsed
       * (`parsed`), whether it was ok, and the orders it changed ([{order_id, state}], read
       * through sync.changes).
       */
      apply(request) {
        const response = core.execRaw(JSON.stringify(request));
        const parsed = JSON.parse(response);
        return { response, parsed, ok: parsed.ok === true, changes: self.changes() };
      },
      /** The orders changed since the last call, each once, with its latest state. */
      changes() {
        const out = [];
        let since = self.cursor;
        for (;;) {
          const r = core.exec({ cmd: 'sync.changes', at: 0, since, limit: CHANGES_PAGE });
          if (!r.ok) throw new CoreError('sync.changes', r);
          for (const c of r.result.changes) out.push({ order_id: c.order_id, state: c.state });
          if (!r.result.more || r.result.changes.length === 0) {
            self.cursor = r.result.version;
            return out;
          }
          since = r.result.changes[r.result.changes.length - 1].version;
        }
      },
    };
    return self;
  }

  function currentVersion(core) {
    const r = core.exec({ cmd: 'sync.changes', at: 0, since: 0, limit: 1 });
    if (!r.ok) throw new CoreError('sync.changes', r);
    return r.result.version;
  }

  // Builds a shop's core from storage.
  async function rebuild(shopId) {
    if (!(await storage.shop(shopId))) throw new UnknownShopError(shopId);
    const core = await createCore();
    try {
      for (const request of await storage.acceptedRequests(shopId, SHOP_COMMANDS)) {
        const r = core.exec(request);
        if (!r.ok) throw new CoreError(`replaying ${request.cmd}`, r);
      }
      let after = '';
      for (;;) {
        const page = await storage.orderStates(shopId, { after, limit: baseChunk });
        if (page.length === 0) break;
        const r = core.exec({ cmd: 'sync.base', at: now(), orders: page });
        if (!r.ok) throw new CoreError(`sync.base (orders after ${JSON.stringify(after)})`, r);
        after = page[page.length - 1].order_id;
      }
      return shopCore(core, currentVersion(core));
    } catch (err) {
      core.close();
      throw err;
    }
  }

  function drop(shopId) {
    const entry = loaded.get(shopId);
    loaded.delete(shopId);
    entry?.core.close();
  }

  // Closes the least recently used cores beyond maxCores that nobody is waiting for.
  function evict() {
    for (const shopId of loaded.keys()) {
      if (loaded.size <= maxCores) return;
      if (!queues.has(shopId)) drop(shopId);
    }
  }

  async function withCore(shopId, fn) {
    let entry = loaded.get(shopId);
    if (entry) loaded.delete(shopId); // re-inserted below: most recently used last
    else entry = await rebuild(shopId);
    loaded.set(shopId, entry);
    try {
      return await fn(entry);
    } catch (err) {
      drop(shopId);
      throw err;
    }
  }

  // Runs task after everything queued for shopId. Each task starts from a fresh turn of the
  // event loop: storage answers synchronously (SQLite), so without this a queue of tasks would run
  // as one chain of microtasks, and no request would be read nor answer sent until it emptied
  // (under load, the devices served in waves rather than in turn).
  function serialize(shopId, task) {
    const queue = queues.get(shopId) ?? { tail: Promise.resolve(), waiting: 0 };
    queues.set(shopId, queue);
    queue.waiting++;
    const result = queue.tail.then(() => new Promise((ok) => setImmediate(ok))).then(task);
    queue.tail = result.catch(() => {}).then(() => {
      if (--queue.waiting === 0 && queues.get(shopId) === queue) queues.delete(shopId);
      evict();
    });
    return result;
  }

  return {
    /** Runs fn(shopCore) with the shop's core, alone; the core is dropped when fn throws. */
    run(shopId, fn) {
      return serialize(shopId, () => withCore(shopId, fn));
    },

    /**
     * Creates a shop whose first orders come from seed(exec) (exec: request → response, on a new
     * core), stored in one transaction. false when the shop already exists (nothing changes).
     */
    createShop(shopId, seed = () => {}) {
      return serialize(shopId, async () => {
        if (await storage.shop(shopId)) return false;
        const core = await createCore();
        try {
          seed((request) => core.exec(request));
          const entry = shopCore(core, 0);
          const created = await storage.createShop(shopId, entry.changes());
          if (!created) throw new Error(`shop ${shopId} appeared while it was being seeded`);
          loaded.set(shopId, entry);
          return true;
        } catch (err) {
          core.close();
          throw err;
        }
      });
    },

    /** Forgets a shop's core (rebuilt from storage on next use). */
    drop: (shopId) => serialize(shopId, () => drop(shopId)),
    /** How many cores are loaded (for tests and the operator). */
    get size() {
      return loaded.size;
    },
    close() {
      for (const shopId of [...loaded.keys()]) drop(shopId);
    },
  };
}
