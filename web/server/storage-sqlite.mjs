// storage-sqlite.mjs: the sync server's storage, in one SQLite file (better-sqlite3) in the data
// folder. This module is the whole storage: the rest of the server only calls the methods of the
// object openSqliteStorage() returns, all of them async, so a PostgreSQL module with the same
// methods can replace it without touching sync.mjs, core-host.mjs or http.mjs.
//
// What it keeps: shops (each with its version counter), devices (a token hash, never the token;
// the device's last applied seq), pairing codes (hashed, with an expiry), every applied operation
// with its answer, each order's latest state (opaque to the server: the core's encoding) with the
// version it got, the outbox of calls to make after accepted operations (the marketplace's), and
// the marketplace's webhook notification ids already received (de-duplication) and how far its
// reconciliation has searched.
//
// Durability: WAL, synchronous=FULL: when commitOp returns, the operation, its answer, the
// device's new seq and the order states it produced are on disk together, or none of them is.
// busy_timeout lets the operator's tool (admin.mjs) write a pairing code while the server runs.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE shops (
  shop_id    TEXT PRIMARY KEY,
  version    INTEGER NOT NULL DEFAULT 0,   -- the last version given to an order change
  created_at INTEGER NOT NULL
);
CREATE TABLE devices (
  shop_id    TEXT NOT NULL REFERENCES shops(shop_id),
  device_id  TEXT NOT NULL,
  token_hash BLOB UNIQUE,                  -- SHA-256 of the token; NULL for the server's own (marketplace)
  last_seq   INTEGER NOT NULL DEFAULT 0,   -- the last operation seq applied (or refused)
  label      TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, device_id)
);
CREATE TABLE pairing_codes (
  code_hash  BLOB PRIMARY KEY,             -- SHA-256 of the canonical code
  shop_id    TEXT NOT NULL REFERENCES shops(shop_id),
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE ops (
  id         INTEGER PRIMARY KEY,          -- commit order
  shop_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  op         TEXT NOT NULL,
  cmd        TEXT NOT NULL,
  request    TEXT NOT NULL,                -- JSON, as the device sent it
  ok         INTEGER NOT NULL,
  response   TEXT NOT NULL,                -- the core's answer, byte for byte
  version    INTEGER NOT NULL,             -- the shop's version once this operation was committed
  applied_at INTEGER NOT NULL,
  UNIQUE (shop_id, device_id, seq)
);
CREATE INDEX ops_by_op ON ops (shop_id, op);
CREATE TABLE orders (
  shop_id  TEXT NOT NULL,
  order_id TEXT NOT NULL,
  version  INTEGER NOT NULL,
  state    TEXT NOT NULL,                  -- base64 of the core's encoding of the order
  PRIMARY KEY (shop_id, order_id)
);
CREATE UNIQUE INDEX orders_by_version ON orders (shop_id, version);
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  shop_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,                -- the operation that asked for it
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  payload    TEXT NOT NULL,                -- JSON
  state      TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
  attempts   INTEGER NOT NULL DEFAULT 0,
  result     TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX outbox_pending ON outbox (state, id);
`;

// Each step takes the schema from version N (its key) to N + 1; a fresh file gets SCHEMA, then
// every step from 1, so an old file and a new one end up with the same tables.
const MIGRATIONS = {
  // 2: webhook notifications received (the marketplace connector's de-duplication). A row is
  // 'applying' from its arrival until its commands are committed, then 'done'; 'applying' rows
  // left by a crash are dropped at the next start (webhooksRestart), so the marketplace's retry
  // is processed: its commands' op ids (mk-<notification id>-<i>) keep a replay from applying twice.
  1: `
CREATE TABLE webhooks (
  source          TEXT NOT NULL,           -- who sent it: 'marketplace'
  notification_id TEXT NOT NULL,
  state           TEXT NOT NULL,           -- applying | done
  received_at     INTEGER NOT NULL,
  PRIMARY KEY (source, notification_id)
);
`,
  // 3: how far the marketplace connector's reconciliation has searched (marketplace/reconcile.mjs):
  // one watermark per packdesk shop and marketplace shop, in the marketplace's unit (seconds).
  2: `
CREATE TABLE reconcile_marks (
  shop_id       TEXT NOT NULL,             -- the packdesk shop
  source        TEXT NOT NULL,             -- 'marketplace'
  account       TEXT NOT NULL,             -- the marketplace's shop id
  watermark     INTEGER NOT NULL,          -- searched up to here (seconds)
  reconciled_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, source, account)
);
`,
};

/** Thrown by commitOp when the device's seq moved under it: nothing was written. */
export class SeqConflictError extends Error {
  constructor(expected) {
    super(`the device's next seq is ${expected}`);
    this.code = 'SEQ_CONFLICT';
    this.expected = expected;
  }
}

/**
 * Opens (creating when needed) `dir`/packdesk.sqlite.
 * @param {{dir: string, now?: () => number}} options
 */
export async function openSqliteStorage({ dir, now = Date.now }) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'packdesk.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true });
    if (version > SCHEMA_VERSION) {
      throw new Error(`${file}: schema version ${version}, this server knows ${SCHEMA_VERSION}`);
    }
    if (version === 0) db.exec(SCHEMA);
    for (let v = Math.max(version, 1); v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();

  const q = {
    shop: db.prepare('SELECT shop_id, version FROM shops WHERE shop_id = ?'),
    shopIds: db.prepare('SELECT shop_id FROM shops ORDER BY shop_id').pluck(),
    insertShop: db.prepare('INSERT INTO shops (shop_id, version, created_at) VALUES (?, 0, ?) ON CONFLICT DO NOTHING'),
    setShopVersion: db.prepare('UPDATE shops SET version = ? WHERE shop_id = ?'),
    insertCode: db.prepare('INSERT INTO pairing_codes (code_hash, shop_id, expires_at, created_at) VALUES (?, ?, ?, ?)'),
    code: db.prepare('SELECT shop_id, expires_at FROM pairing_codes WHERE code_hash = ?'),
    dropExpiredCodes: db.prepare('DELETE FROM pairing_codes WHERE expires_at <= ?'),
    insertDevice: db.prepare(`INSERT INTO devices (shop_id, device_id, token_hash, last_seq, label, created_at)
                              VALUES (?, ?, ?, 0, ?, ?)`),
    deviceByToken: db.prepare('SELECT shop_id, device_id, last_seq FROM devices WHERE token_hash = ?'),
    device: db.prepare('SELECT shop_id, device_id, last_seq FROM devices WHERE shop_id = ? AND device_id = ?'),
    advanceSeq: db.prepare('UPDATE devices SET last_seq = ? WHERE shop_id = ? AND device_id = ? AND last_seq = ?'),
    opBySeq: db.prepare('SELECT seq, op, ok, response FROM ops WHERE shop_id = ? AND device_id = ? AND seq = ?'),
    opById: db.prepare('SELECT device_id, seq, op, ok, response FROM ops WHERE shop_id = ? AND op = ? ORDER BY id LIMIT 1'),
    insertOp: db.prepare(`INSERT INTO ops (shop_id, device_id, seq, op, cmd, request, ok, response, version, applied_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsertOrder: db.prepare(`INSERT INTO orders (shop_id, order_id, version, state) VALUES (?, ?, ?, ?)
                             ON CONFLICT (shop_id, order_id) DO UPDATE SET version = excluded.version, state = excluded.state`),
    ordersPage: db.prepare('SELECT order_id, state FROM orders WHERE shop_id = ? AND order_id > ? ORDER BY order_id LIMIT ?'),
    changesSince: db.prepare('SELECT order_id, version, state FROM orders WHERE shop_id = ? AND version > ? ORDER BY version LIMIT ?'),
    orderById: db.prepare('SELECT order_id, version, state FROM orders WHERE shop_id = ? AND order_id = ?'),
    okRequestsOf: db.prepare(`SELECT request FROM ops WHERE shop_id = ? AND ok = 1 AND cmd IN (SELECT value FROM json_each(?))
                              ORDER BY id`).pluck(),
    insertOutbox: db.prepare(`INSERT INTO outbox (shop_id, device_id, seq, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
    outboxPending: db.prepare(`SELECT id, shop_id, device_id, seq, kind, payload, attempts FROM outbox
                               WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?`),
    settleOutbox: db.prepare('UPDATE outbox SET state = ?, attempts = attempts + 1, result = ?, settled_at = ? WHERE id = ?'),
    retryOutbox: db.prepare('UPDATE outbox SET attempts = attempts + 1, result = ? WHERE id = ?'),
    outboxOfShop: db.prepare(`SELECT id, device_id, seq, kind, payload, state, attempts, result, created_at, settled_at FROM outbox
                              WHERE shop_id = ? AND kind = ? AND state IN (SELECT value FROM json_each(?))
                              ORDER BY id DESC LIMIT ?`),
    requeueOutbox: db.prepare(`UPDATE outbox SET state = 'pending', settled_at = NULL
                               WHERE id = ? AND shop_id = ? AND kind = ? AND state = 'failed'`),
    insertWebhook: db.prepare(`INSERT INTO webhooks (source, notification_id, state, received_at) VALUES (?, ?, 'applying', ?)
                               ON CONFLICT DO NOTHING`),
    doneWebhook: db.prepare(`UPDATE webhooks SET state = 'done' WHERE source = ? AND notification_id = ?`),
    deleteWebhook: db.prepare('DELETE FROM webhooks WHERE source = ? AND notification_id = ?'),
    restartWebhooks: db.prepare(`DELETE FROM webhooks WHERE state = 'applying' OR received_at < ?`),
    reconcileMark: db.prepare('SELECT watermark, reconciled_at FROM reconcile_marks WHERE shop_id = ? AND source = ? AND account = ?'),
    setReconcileMark: db.prepare(`INSERT INTO reconcile_marks (shop_id, source, account, watermark, reconciled_at) VALUES (?, ?, ?, ?, ?)
                                  ON CONFLICT (shop_id, source, account) DO UPDATE SET watermark = excluded.watermark,
                                  reconciled_at = excluded.reconciled_at`),
  };

  // Gives each changed order the shop's next version (one version per order, so a page of a pull
  // never splits a version) and returns the shop's version afterwards. Inside a transaction.
  function writeChanges(shopId, changes) {
    const shop = q.shop.get(shopId);
    if (!shop) throw new Error(`no shop ${shopId}`);
    let version = shop.version;
    const latest = new Map();
    for (const c of changes) latest.set(c.order_id, c.state); // the last state of an order wins
    for (const [orderId, state] of latest) q.upsertOrder.run(shopId, orderId, ++version, state);
    if (version !== shop.version) q.setShopVersion.run(version, shopId);
    return version;
  }

  const commitOpTx = db.transaction((o) => {
    const moved = q.advanceSeq.run(o.seq, o.shopId, o.deviceId, o.seq - 1);
    if (moved.changes !== 1) {
      const device = q.device.get(o.shopId, o.deviceId);
      throw new SeqConflictError(device ? device.last_seq + 1 : 1);
    }
    const version = writeChanges(o.shopId, o.changes ?? []);
    q.insertOp.run(o.shopId, o.deviceId, o.seq, o.op, o.cmd, JSON.stringify(o.request), o.ok ? 1 : 0, o.response,
      version, now());
    for (const item of o.outbox ?? []) {
      q.insertOutbox.run(o.shopId, o.deviceId, o.seq, item.kind, JSON.stringify(item.payload ?? null), now());
    }
    return { version };
  });

  const createShopTx = db.transaction((shopId, changes) => {
    if (q.insertShop.run(shopId, now()).changes !== 1) return false;
    writeChanges(shopId, changes);
    return true;
  });

  const pairTx = db.transaction((o) => {
    const code = q.code.get(o.codeHash);
    if (!code || code.shop_id !== o.shopId || code.expires_at <= now()) return false;
    q.insertDevice.run(o.shopId, o.deviceId, o.tokenHash, o.label ?? null, now());
    return true;
  });

  const pullTx = db.transaction((shopId, since, limit, include) => {
    const shop = q.shop.get(shopId);
    if (!shop) return { changes: [], version: 0, more: false };
    const rows = q.changesSince.all(shopId, since, limit + 1);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const changes = rows.map((r) => ({ order_id: r.order_id, version: r.version, state: r.state }));
    // Paged: the cursor is the last version returned; otherwise everything up to now was seen.
    const version = more ? rows[rows.length - 1].version : shop.version;
    const seen = new Set(changes.map((c) => c.order_id));
    for (const orderId of include) {
      if (seen.has(orderId)) continue;
      seen.add(orderId);
      const row = q.orderById.get(shopId, orderId);
      if (row) changes.push({ order_id: row.order_id, version: row.version, state: row.state });
    }
    return { changes, version, more };
  });

  const parseOp = (row) => row && { ...row, ok: row.ok === 1, response: JSON.parse(row.response) };

  return {
    file,

    /** {shop_id, version} or null. */
    async shop(shopId) {
      return q.shop.get(shopId) ?? null;
    },
    async shopIds() {
      return q.shopIds.all();
    },
    /** Creates an empty shop unless it exists; true when it was created. */
    async ensureShop(shopId) {
      return q.insertShop.run(shopId, now()).changes === 1;
    },
    /**
     * Creates the shop with its first orders ([{order_id, state}]) in one transaction; false (and
     * nothing written) when the shop already exists.
     */
    async createShop(shopId, changes = []) {
      return createShopTx(shopId, changes);
    },

    async addPairingCode(shopId, codeHash, expiresAt) {
      q.dropExpiredCodes.run(now());
      q.insertCode.run(codeHash, shopId, expiresAt, now());
    },
    /** Adds the device when codeHash is a live code of shopId (one transaction); else false. */
    async pairDevice({ shopId, codeHash, deviceId, tokenHash, label }) {
      return pairTx({ shopId, codeHash, deviceId, tokenHash, label });
    },
    /** Adds a device without a code (the local console, the server's own devices). */
    async addDevice({ shopId, deviceId, tokenHash = null, label = null }) {
      q.insertDevice.run(shopId, deviceId, tokenHash, label, now());
    },
    /** {shop_id, device_id, last_seq} of the token's device, or null. */
    async deviceByTokenHash(tokenHash) {
      return q.deviceByToken.get(tokenHash) ?? null;
    },
    async device(shopId, deviceId) {
      return q.device.get(shopId, deviceId) ?? null;
    },

    /** The stored answer of a device's seq: {seq, op, ok, response} or null. */
    async opBySeq(shopId, deviceId, seq) {
      return parseOp(q.opBySeq.get(shopId, deviceId, seq));
    },
    /** The first stored answer of op id `op` in the shop (any device), or null. */
    async opById(shopId, op) {
      return parseOp(q.opById.get(shopId, op));
    },
    /**
     * The commit of one operation, in one transaction: the device's seq moves from seq-1 to seq
     * (else SeqConflictError and nothing is written), the answer is kept, each changed order
     * ([{order_id, state}]) gets the next version, and the outbox items ([{kind, payload}]) are
     * queued. Returns {version}.
     */
    async commitOp({ shopId, deviceId, seq, op, cmd, request, ok, response, changes, outbox }) {
      return commitOpTx({ shopId, deviceId, seq, op, cmd, request, ok, response, changes, outbox });
    },
    /** Order changes that come from no device's operation (the server's tick): {version}. */
    async commitChanges(shopId, changes) {
      return { version: db.transaction(() => writeChanges(shopId, changes))() };
    },

    /** A page of the shop's order states by order id, after `after`: [{order_id, state}]. */
    async orderStates(shopId, { after = '', limit = 500 } = {}) {
      return q.ordersPage.all(shopId, after, limit);
    },
    /** The requests of the shop's accepted operations whose command is in cmds, in commit order. */
    async acceptedRequests(shopId, cmds) {
      return q.okRequestsOf.all(shopId, JSON.stringify(cmds)).map((r) => JSON.parse(r));
    },
    /**
     * Orders changed after version `since` (ascending, at most limit), plus the orders named in
     * include whatever their version; read in one transaction. {changes, version, more}.
     */
    async pull(shopId, { since, limit, include = [] }) {
      return pullTx(shopId, since, limit, include);
    },

    /** Outbox items waiting, after id `after`: [{id, shop_id, device_id, seq, kind, payload, attempts}]. */
    async outboxPending({ after = 0, limit = 100 } = {}) {
      return q.outboxPending.all(after, limit).map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    },
    /** Settles an outbox item: state 'done' or 'failed' (given up), or 'pending' to count a try. */
    async settleOutbox(id, state, result = null) {
      const text = result === null ? null : JSON.stringify(result);
      if (state === 'pending') q.retryOutbox.run(text, id);
      else q.settleOutbox.run(state, text, now(), id);
    },

    /**
     * The outbox items of a shop of one kind in the given states, newest first:
     * [{id, device_id, seq, kind, payload, state, attempts, result, created_at, settled_at}].
     */
    async outboxOfShop(shopId, { kind, states, limit = 100 }) {
      return q.outboxOfShop.all(shopId, kind, JSON.stringify(states), limit)
        .map((r) => ({ ...r, payload: JSON.parse(r.payload), result: r.result === null ? null : JSON.parse(r.result) }));
    },
    /** Puts a failed item of shopId and kind back to pending (to be sent again); false when there is none. */
    async requeueOutbox(id, shopId, kind) {
      return q.requeueOutbox.run(id, shopId, kind).changes === 1;
    },

    /**
     * Webhook de-duplication, a test-and-set: records notification `id` of `source` as being
     * applied and returns true when it was already there (received before, or being applied).
     */
    async webhookSeen(source, id) {
      return q.insertWebhook.run(source, id, now()).changes === 0;
    },
    /** The notification's commands are committed: it stays seen across restarts. */
    async webhookDone(source, id) {
      q.doneWebhook.run(source, id);
    },
    /** Forgets a notification whose processing failed, so the sender's retry is processed. */
    async webhookForget(source, id) {
      q.deleteWebhook.run(source, id);
    },
    /**
     * At start: drops what a crash left 'applying' (nobody is applying it now) and what is older
     * than keepMs (no marketplace retries that long). Returns how many rows went.
     */
    async webhooksRestart({ keepMs = 30 * 24 * 3600 * 1000 } = {}) {
      return q.restartWebhooks.run(now() - keepMs).changes;
    },

    /** The reconciliation watermark of shopId with a marketplace account: {watermark, reconciled_at} or null. */
    async reconcileMark(shopId, source, account) {
      return q.reconcileMark.get(shopId, source, account) ?? null;
    },
    /** Records that the reconciliation searched up to `watermark` (the marketplace's unit). */
    async setReconcileMark(shopId, source, account, watermark) {
      q.setReconcileMark.run(shopId, source, account, watermark, now());
    },

    async close() {
      db.close();
    },
  };
}
