// main.mjs: the sync server put together: storage (SQLite in the data folder), one core per shop,
// the sync logic and its HTTP API. web/server.mjs starts it beside the console when it is given
// a data folder (`--data DIR` or PACKDESK_DATA; `make run` gives `data/`) and routes /api/ here:
// one process serves the console and the shop it syncs with.
//
// On a fresh data folder, shop `demo` is created with the console's demo orders
// (web/demo-shop.mjs, sent through a core as the console does). At every start a pairing code for
// `demo` is issued and printed (other devices pair with it); the console on this machine pairs
// itself through GET /api/local-pairing (loopback only; on when the server listens on loopback).
// Every PACKDESK_TICK_MS (60 s; 0: never) each shop gets a `tick`, so what time alone decides is
// stored and pulled like any change.
//
// The marketplace (web/server/marketplace/, another module's job) plugs in here: when
// marketplace/index.mjs exists, its mount({api, sync, storage, log}) is called at start. It can
// add routes (api.route('POST', '/api/marketplace/webhook', handler)), turn accepted operations
// into outbox items in their own transaction (sync.onAccepted), hear of each commit
// (sync.onCommitted), work the outbox (storage.outboxPending/settleOutbox) and apply webhooks as
// operations (sync.applyServerOp). It may return {close()}. startSyncServer's `marketplace`
// option is handed to it too ({env}: where its settings come from; web/server.mjs --sandbox).
//
// One server per data folder: server.lock is held (an SQLite exclusive lock, which the OS lets go
// when the process dies, even by kill -9) for as long as the server runs.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedDemoShop } from '../demo-shop.mjs';
import { createCoreHost } from './core-host.mjs';
import { createApi } from './http.mjs';
import { openSqliteStorage } from './storage-sqlite.mjs';
import { createSync } from './sync.mjs';

export const DEMO_SHOP = 'demo';
const MARKETPLACE = fileURLToPath(new URL('./marketplace/index.mjs', import.meta.url));

// Holds dir/server.lock until release(); throws when another live server holds it.
function lockDataFolder(dir) {
  const lock = new Database(path.join(dir, 'server.lock'), { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec(`CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; INSERT INTO holder VALUES (${process.pid});`);
  } catch (err) {
    lock.close();
    if (err.code === 'SQLITE_BUSY') throw new Error(`${dir} is in use by another packdesk server`);
    throw err;
  }
  return () => lock.close();
}

/**
 * Starts the sync server over dataDir. Resolves to {handle(req, res), banner: [lines], sync,
 * storage, close()}.
 * @param {{dataDir: string, localPairing?: boolean, demo?: boolean, tickMs?: number,
 *          bodyLimit?: number, corsOrigins?: string[]|null, log?: (line: string) => void}} options
 *   corsOrigins: the storefront origins whose pages may call the API (http.mjs, CORS); none: the
 *   loopback ones.
 */
export async function startSyncServer({ dataDir, localPairing = true, demo = true, tickMs = 60000, bodyLimit, corsOrigins = null, marketplace: marketplaceOptions = {}, log = (l) => console.error(l) }) {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const release = lockDataFolder(dir);
  const storage = await openSqliteStorage({ dir });
  const cores = createCoreHost({ storage });
  const sync = createSync({ storage, cores, log });
  const banner = [];
  const closers = [];
  try {
    if (demo) {
      const created = await cores.createShop(DEMO_SHOP, (exec) => seedDemoShop(exec, Date.now()));
      const { version } = await storage.shop(DEMO_SHOP);
      banner.push(`sync server: data in ${dir}; shop ${DEMO_SHOP} ${created ? 'created with the demo orders' : `at version ${version}`}`);
      const { code, expires_at: expires } = await sync.issuePairingCode(DEMO_SHOP);
      banner.push(`pairing code for shop ${DEMO_SHOP}: ${code} (until ${new Date(expires).toISOString()}; other devices: POST /api/pair)`);
    } else {
      banner.push(`sync server: data in ${dir}`);
    }
    const api = createApi({ sync, bodyLimit, localPairing: localPairing && demo ? DEMO_SHOP : null, corsOrigins, log });
    if (existsSync(MARKETPLACE)) {
      const marketplace = await import(MARKETPLACE);
      const mounted = await marketplace.mount({ api, sync, storage, log, ...marketplaceOptions });
      if (mounted?.close) closers.push(() => mounted.close());
    }
    if (tickMs > 0) {
      let ticking = false;
      const timer = setInterval(async () => {
        if (ticking) return; // a slow round is not stacked on
        ticking = true;
        try {
          for (const shopId of await storage.shopIds()) await sync.tick(shopId);
        } catch (err) {
          log(`sync server: tick failed: ${err.stack ?? err}`);
        } finally {
          ticking = false;
        }
      }, tickMs);
      timer.unref();
      closers.push(() => clearInterval(timer));
    }
    let closed = false;
    return {
      handle: api.handle,
      banner,
      sync,
      storage,
      async close() {
        if (closed) return;
        closed = true;
        for (const close of closers) await close();
        cores.close();
        await storage.close();
        release();
      },
    };
  } catch (err) {
    for (const close of closers) await close();
    cores.close();
    await storage.close();
    release();
    throw err;
  }
}
