// sqljs-shop.mjs: the peer of the benchmark: the same shop on SQLite in the browser's usual form,
// the npm package sql.js (SQLite compiled to wasm, an in-memory database driven from JS). It is
// what a team would write instead of packdesk: a schema with indexes, and each command a
// transaction of prepared statements that checks what packdesk's core checks for that command
// and writes what it writes, in spirit.
//
//   const shop = createSqljsShop(await initSqlJs(...));
//   shop.exec({cmd: 'order.confirm', at, order_id: 'A1'})   // → a result object, or throws ShopError
//
// Fair by construction: the pragmas suited to a single-connection in-memory database (TUNED,
// below); every statement is prepared once; one transaction per changing command
// (packdesk applies and commits one command at a time); reads run outside a transaction, as
// packdesk's reads change nothing; `orders.list` is one index range scan (stage, next_due) with
// LIMIT, and its `total` comes from a per-stage counter kept in the same transactions (packdesk
// keeps a count per stage index too; a COUNT(*) would scan half the shop at 100k).
// Each changing command answers the order's summary row, as packdesk answers {order: summary}.
// Like packdesk it writes a timeline entry per event (T1), a notification and an e-mail in the
// outbox per new paid order (D2), the marketplace notice on ship (H3), and the deadlines.
//
// What this peer does NOT do that packdesk does (so read the ratios with this in mind):
// - no JSON protocol: commands arrive as JS objects and answers leave as JS objects; packdesk
//   parses a JSON request and writes a JSON response string for every command (both inside the
//   measured time), and validates every field's type and length;
// - no `op` idempotency log, no masking of buyer data (S1), no `actions` list in order.get, no
//   marketplace-form import (TikTok statuses), no product catalog / carrier restrictions (P4),
//   no pending-request checks (C4), no catch-up of time's consequences before each command
//   (packdesk first applies to the order every deadline passed by `at`; here only `ship` settles
//   ship_by), no notification cap, no message checks;
// - error answers are thrown JS errors rather than rendered responses (the workload has none).
// Nothing is made slow on purpose: no per-command prepare, no COUNT(*) scans, no JSON columns.

const H = 3600 * 1000;
const DAY = 24 * H;
const SHIP_BY = 72 * H; // H2/H6
const PAY_WINDOW = 24 * H; // C3, policy default
const COLLECT_BY = 48 * H; // H3/H7
const LOST_AFTER = 14 * DAY; // T3
const PROMISE = 7 * DAY; // T4, policy default
const CLASSES = ['sharp', 'liquid', 'fragile'];
const CHECK_RESULTS = new Set(['ok', 'out_of_stock', 'damaged', 'expired']);
const CHECKLIST_ITEMS = new Set(['no_promo_inserts', 'protective_packaging', ...CLASSES]);
const LATE_DISPATCH = 1;
const STAGES = ['unpaid', 'awaiting_confirmation', 'confirmed', 'packed', 'awaiting_collection', 'in_transit',
  'delivered', 'completed', 'cancelled', 'lost'];

export const SCHEMA = `
CREATE TABLE orders (
  seq INTEGER PRIMARY KEY,            -- insertion order: breaks ties in the listing
  id TEXT NOT NULL UNIQUE,            -- the marketplace's order id (the lookup of every command)
  stage TEXT NOT NULL,
  flags INTEGER NOT NULL DEFAULT 0,
  placed_at INTEGER NOT NULL, paid_at INTEGER, confirmed_at INTEGER, packed_at INTEGER, shipped_at INTEGER,
  currency TEXT NOT NULL, subtotal INTEGER NOT NULL, total INTEGER NOT NULL, items INTEGER NOT NULL,
  first_product TEXT, classes INTEGER NOT NULL DEFAULT 0,
  handover TEXT, shipping_point TEXT, handover_note TEXT,
  next_kind TEXT, next_due INTEGER     -- the most urgent open deadline, kept by each command
);
CREATE INDEX orders_stage_due ON orders (stage, next_due);  -- + seq (rowid): a page of a stage, most urgent first
CREATE TABLE order_lines (
  order_seq INTEGER NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL, name TEXT,
  quantity INTEGER NOT NULL, packed INTEGER NOT NULL DEFAULT 0, unit_price INTEGER NOT NULL,
  classes INTEGER NOT NULL DEFAULT 0, check_result TEXT NOT NULL DEFAULT 'unchecked',
  PRIMARY KEY (order_seq, line_id)
) WITHOUT ROWID;
CREATE INDEX order_lines_sku ON order_lines (sku);           -- search by SKU
CREATE TABLE checklist (
  order_seq INTEGER NOT NULL, item TEXT NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (order_seq, item)
) WITHOUT ROWID;
CREATE TABLE deadlines (
  order_seq INTEGER NOT NULL, kind TEXT NOT NULL, due INTEGER NOT NULL, rule TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  PRIMARY KEY (order_seq, kind)
) WITHOUT ROWID;
CREATE INDEX deadlines_open_due ON deadlines (due) WHERE state = 'open';  -- what a tick must apply next
CREATE TABLE timeline (order_seq INTEGER NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL, detail TEXT);
CREATE INDEX timeline_order ON timeline (order_seq);
CREATE TABLE notifications (id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, kind TEXT NOT NULL,
  at INTEGER NOT NULL, read INTEGER NOT NULL DEFAULT 0);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, channel TEXT NOT NULL,
  kind TEXT NOT NULL, text TEXT, at INTEGER NOT NULL);
CREATE TABLE stage_counts (stage TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
`;

export class ShopError extends Error {
  constructor(code, message, rule) {
    super(message);
    this.code = code;
    this.rule = rule ?? null;
  }
}

const need = (cond, code, rule, message) => {
  if (!cond) throw new ShopError(code, message, rule);
};

// sql.js keeps its database as a file in Emscripten's in-memory file system, and SQLite's
// defaults are for disks: a rollback journal file created and deleted, a lock taken and
// released, per transaction. For a single-connection in-memory shop the sensible settings are
// these (they make a one-insert transaction ~10x cheaper here); 'default' keeps SQLite's own.
export const TUNED = 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;';

/**
 * A shop in a fresh sql.js database. `SQL` is what initSqlJs() resolved to.
 * @param {{pragmas?: 'tuned'|'default', cacheKiB?: number}} [options] cacheKiB: SQLite's page
 *   cache (default 2000 KiB, SQLite's own)
 */
export function createSqljsShop(SQL, { pragmas = 'tuned', cacheKiB } = {}) {
  const db = new SQL.Database();
  if (pragmas === 'tuned') db.exec(TUNED);
  if (cacheKiB) db.exec(`PRAGMA cache_size = -${Math.floor(cacheKiB)}`);
  db.exec(SCHEMA);
  db.exec(`INSERT INTO stage_counts (stage, n) VALUES ${STAGES.map((s) => `('${s}', 0)`).join(',')}`);

  const prepared = [];
  const prep = (sql) => {
    const s = db.prepare(sql);
    prepared.push(s);
    return s;
  };
  const S = {
    begin: prep('BEGIN'),
    commit: prep('COMMIT'),
    rollback: prep('ROLLBACK'),
    orderById: prep('SELECT seq, stage, flags, classes, handover, shipping_point, handover_note FROM orders WHERE id = ?'),
    summary: prep('SELECT id, stage, flags, placed_at, total, currency, items, first_product, next_kind, next_due FROM orders WHERE seq = ?'),
    full: prep(`SELECT id, stage, flags, placed_at, paid_at, confirmed_at, packed_at, shipped_at, currency, subtotal,
      total, items, first_product, handover, shipping_point, handover_note, next_kind, next_due FROM orders WHERE seq = ?`),
    insertOrder: prep(`INSERT INTO orders (id, stage, placed_at, paid_at, currency, subtotal, total, items, first_product,
      classes, next_kind, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
    insertLine: prep('INSERT INTO order_lines (order_seq, line_id, sku, name, quantity, unit_price, classes) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertItem: prep('INSERT INTO checklist (order_seq, item) VALUES (?, ?)'),
    insertDeadline: prep('INSERT OR REPLACE INTO deadlines (order_seq, kind, due, rule) VALUES (?, ?, ?, ?)'),
    insertEvent: prep('INSERT INTO timeline (order_seq, at, event, detail) VALUES (?, ?, ?, ?)'),
    notify: prep('INSERT INTO notifications (order_id, kind, at) VALUES (?, ?, ?)'),
    outbox: prep('INSERT INTO outbox (order_id, channel, kind, text, at) VALUES (?, ?, ?, ?, ?)'),
    count: prep('UPDATE stage_counts SET n = n + ? WHERE stage = ?'),
    stageCount: prep('SELECT n FROM stage_counts WHERE stage = ?'),
    payOrder: prep('UPDATE orders SET stage = ?, paid_at = ?, next_kind = ?, next_due = ? WHERE seq = ?'),
    checkLine: prep('UPDATE order_lines SET check_result = ? WHERE order_seq = ? AND line_id = ?'),
    failedLine: prep("SELECT line_id, check_result FROM order_lines WHERE order_seq = ? AND check_result <> 'ok' LIMIT 1"),
    setStage: prep('UPDATE orders SET stage = ? WHERE seq = ?'),
    confirm: prep("UPDATE orders SET stage = 'confirmed', confirmed_at = ? WHERE seq = ?"),
    // P1: the first line of this SKU with room left; none at all: not ordered; all full: one too many.
    lineForScan: prep('SELECT line_id, quantity, packed FROM order_lines WHERE order_seq = ? AND sku = ? ORDER BY packed >= quantity, line_id LIMIT 1'),
    scan: prep('UPDATE order_lines SET packed = packed + 1 WHERE order_seq = ? AND line_id = ?'),
    packedUnits: prep('SELECT sum(packed), sum(quantity) FROM order_lines WHERE order_seq = ?'),
    confirmItem: prep('UPDATE checklist SET confirmed = 1 WHERE order_seq = ? AND item = ?'),
    unpackedLine: prep('SELECT line_id FROM order_lines WHERE order_seq = ? AND packed < quantity LIMIT 1'),
    openItem: prep('SELECT item FROM checklist WHERE order_seq = ? AND confirmed = 0 LIMIT 1'),
    pack: prep("UPDATE orders SET stage = 'packed', packed_at = ? WHERE seq = ?"),
    handover: prep('UPDATE orders SET handover = ?, shipping_point = ?, handover_note = coalesce(?, handover_note) WHERE seq = ?'),
    deadline: prep('SELECT due, state FROM deadlines WHERE order_seq = ? AND kind = ?'),
    settle: prep('UPDATE deadlines SET state = ? WHERE order_seq = ? AND kind = ?'),
    nextDeadline: prep("SELECT kind, due FROM deadlines WHERE order_seq = ? AND state = 'open' ORDER BY due LIMIT 1"),
    ship: prep(`UPDATE orders SET stage = 'awaiting_collection', shipped_at = ?, flags = ?, next_kind = ?, next_due = ?
      WHERE seq = ?`),
    lines: prep('SELECT line_id, sku, name, quantity, packed, unit_price, classes, check_result FROM order_lines WHERE order_seq = ?'),
    items: prep('SELECT item, confirmed FROM checklist WHERE order_seq = ?'),
    deadlines: prep('SELECT kind, due, rule, state FROM deadlines WHERE order_seq = ? ORDER BY due'),
    timeline: prep('SELECT at, event, detail FROM timeline WHERE order_seq = ? ORDER BY rowid'),
    page: prep(`SELECT id, stage, flags, placed_at, total, currency, items, first_product, next_kind, next_due, seq
      FROM orders WHERE stage = ? ORDER BY next_due, seq LIMIT ?`),
    pageAfter: prep(`SELECT id, stage, flags, placed_at, total, currency, items, first_product, next_kind, next_due, seq
      FROM orders WHERE stage = ? AND (next_due, seq) > (?, ?) ORDER BY next_due, seq LIMIT ?`),
  };

  // --- statement helpers: bind, step, read, reset (sql.js frees bound strings on reset) ---
  const run = (st, params) => {
    st.bind(params);
    st.step();
    st.reset();
  };
  const changed = () => db.getRowsModified();
  const one = (st, params) => {
    st.bind(params);
    const row = st.step() ? st.get() : null;
    st.reset();
    return row;
  };
  const all = (st, params, map) => {
    st.bind(params);
    const rows = [];
    while (st.step()) rows.push(map(st.get()));
    st.reset();
    return rows;
  };

  function tx(fn) {
    S.begin.run();
    try {
      const result = fn();
      S.commit.run();
      return result;
    } catch (err) {
      S.rollback.run();
      throw err;
    }
  }

  function find(id) {
    need(typeof id === 'string' && id.length > 0, 'BAD_REQUEST', null, 'field order_id: a string is required');
    const row = one(S.orderById, [id]);
    need(row, 'NOT_FOUND', null, `no order ${id}`);
    const [seq, stage, flags, classes, handover, shippingPoint, note] = row;
    return { id, seq, stage, flags, classes, handover, shippingPoint, note };
  }
  const event = (o, at, name, detail = null) => run(S.insertEvent, [o.seq, at, name, detail]);
  function move(o, to) {
    run(S.count, [-1, o.stage]);
    run(S.count, [1, to]);
  }
  const summaryOf = (r) => ({ id: r[0], stage: r[1], flags: r[2], placed_at: r[3], total: { amount: r[4], currency: r[5] },
    items: r[6], first_product: r[7], next_deadline: r[8] ? { kind: r[8], due: r[9] } : null });
  const answer = (o, extra) => ({ order: summaryOf(one(S.summary, [o.seq])), ...extra });

  // --- commands ---
  function importOrder({ at, order: src }) {
    need(src && typeof src.id === 'string' && src.id, 'BAD_REQUEST', null, 'field order.id: a string is required');
    need(Array.isArray(src.lines) && src.lines.length > 0, 'BAD_REQUEST', null, 'field order.lines: at least one line');
    return tx(() => {
      const existing = one(S.orderById, [src.id]);
      if (existing) { // the marketplace's newer state: here, only a payment
        const o = { id: src.id, seq: existing[0], stage: existing[1] };
        if (o.stage === 'unpaid' && src.paid_at != null) {
          move(o, 'awaiting_confirmation');
          run(S.payOrder, ['awaiting_confirmation', src.paid_at, 'ship_by', src.placed_at + SHIP_BY, o.seq]);
          run(S.insertDeadline, [o.seq, 'ship_by', src.placed_at + SHIP_BY, 'H2']);
          event(o, at, 'paid');
        }
        return answer(o, { created: false });
      }
      let subtotal = 0;
      let items = 0;
      let classes = 0;
      const lineClasses = src.lines.map((l) => {
        need(typeof l.sku === 'string' && Number.isInteger(l.quantity) && l.quantity > 0 && Number.isInteger(l.unit_price),
          'BAD_REQUEST', null, 'a line needs sku, quantity > 0 and unit_price');
        subtotal += l.quantity * l.unit_price;
        items += l.quantity;
        let c = 0;
        for (const name of l.classes ?? []) c |= 1 << CLASSES.indexOf(name);
        classes |= c;
        return c;
      });
      const paid = src.paid_at != null;
      const stage = paid ? 'awaiting_confirmation' : 'unpaid';
      const [kind, due, rule] = paid ? ['ship_by', src.placed_at + SHIP_BY, 'H2'] : ['payment', src.placed_at + PAY_WINDOW, 'C3'];
      const [seq] = one(S.insertOrder, [src.id, stage, src.placed_at, src.paid_at ?? null, src.currency, subtotal, subtotal,
        items, src.lines[0].name ?? null, classes, kind, due]);
      const o = { id: src.id, seq, stage };
      src.lines.forEach((l, j) => run(S.insertLine, [seq, l.id, l.sku, l.name ?? null, l.quantity, l.unit_price, lineClasses[j]]));
      run(S.insertItem, [seq, 'no_promo_inserts']); // P2
      run(S.insertItem, [seq, 'protective_packaging']);
      CLASSES.forEach((name, bit) => { if (classes & (1 << bit)) run(S.insertItem, [seq, name]); }); // P5
      run(S.insertDeadline, [seq, kind, due, rule]);
      run(S.count, [1, stage]);
      event(o, at, 'placed');
      if (paid) {
        event(o, at, 'paid');
        run(S.notify, [src.id, 'new_order', at]); // D2
        run(S.outbox, [src.id, 'email', 'new_order', `New order ${src.id} awaits your confirmation.`, at]);
      }
      return answer(o, { created: true });
    });
  }

  function lineCheck({ at, order_id: id, line_id: lineId, result }) {
    need(CHECK_RESULTS.has(result), 'BAD_REQUEST', null, 'field result: ok, out_of_stock, damaged or expired');
    return tx(() => {
      const o = find(id);
      need(o.stage === 'awaiting_confirmation', 'ILLEGAL_TRANSITION', 'C1', `order ${id} is ${o.stage}: lines are checked before confirming`);
      run(S.checkLine, [result, o.seq, lineId]);
      need(changed() === 1, 'NOT_FOUND', null, `order ${id} has no line ${lineId}`);
      event(o, at, 'line_checked', `${lineId}: ${result}`);
      return answer(o);
    });
  }

  function confirm({ at, order_id: id }) {
    return tx(() => {
      const o = find(id);
      need(o.stage === 'awaiting_confirmation', 'ILLEGAL_TRANSITION', 'C1', `order ${id} is ${o.stage}: it cannot be confirmed`);
      const failed = one(S.failedLine, [o.seq]);
      need(!failed, 'POLICY_VIOLATION', 'C1', failed && `line ${failed[0]} is ${failed[1]}: every line must be checked ok`);
      run(S.confirm, [at, o.seq]);
      move(o, 'confirmed');
      event(o, at, 'confirmed');
      return answer(o);
    });
  }

  function getOrder({ order_id: id }) {
    const o = find(id);
    const r = one(S.full, [o.seq]);
    return {
      id: r[0], stage: r[1], flags: r[2], placed_at: r[3], paid_at: r[4], confirmed_at: r[5], packed_at: r[6],
      shipped_at: r[7], money: { currency: r[8], subtotal: r[9], total: r[10] }, items: r[11], first_product: r[12],
      handover: { method: r[13], shipping_point: r[14], note: r[15] },
      next_deadline: r[16] ? { kind: r[16], due: r[17] } : null,
      lines: all(S.lines, [o.seq], (l) => ({ id: l[0], sku: l[1], name: l[2], quantity: l[3], packed: l[4], unit_price: l[5],
        classes: CLASSES.filter((_, bit) => l[6] & (1 << bit)), check: l[7] })),
      checklist: all(S.items, [o.seq], (c) => ({ item: c[0], confirmed: c[1] === 1 })),
      deadlines: all(S.deadlines, [o.seq], (d) => ({ kind: d[0], due: d[1], rule: d[2], state: d[3] })),
      timeline: all(S.timeline, [o.seq], (e) => ({ at: e[0], event: e[1], detail: e[2] })),
    };
  }

  function packScan({ at, order_id: id, sku }) {
    need(typeof sku === 'string' && sku, 'BAD_REQUEST', null, 'field sku: a string is required');
    return tx(() => {
      const o = find(id);
      need(o.stage === 'confirmed', 'ILLEGAL_TRANSITION', 'P1', `order ${id} is ${o.stage}: it is not being packed`);
      const line = one(S.lineForScan, [o.seq, sku]);
      need(line, 'NOT_ORDERED', 'P1', `${sku} is not in order ${id}: it must not go in the package`);
      const [lineId, quantity, packed] = line;
      need(packed < quantity, 'NOT_ORDERED', 'P1', `one too many: ${sku} is already packed ${packed}/${quantity}`);
      run(S.scan, [o.seq, lineId]);
      event(o, at, 'packed_unit', sku);
      const [units, total] = one(S.packedUnits, [o.seq]);
      return answer(o, { line_id: lineId, line_packed: packed + 1, line_quantity: quantity, packed: units, units: total });
    });
  }

  function packConfirm({ at, order_id: id, item }) {
    need(CHECKLIST_ITEMS.has(item), 'BAD_REQUEST', null, `field item: unknown checklist item ${item}`);
    return tx(() => {
      const o = find(id);
      need(o.stage === 'confirmed', 'ILLEGAL_TRANSITION', 'P2', `order ${id} is ${o.stage}: it is not being packed`);
      run(S.confirmItem, [o.seq, item]);
      need(changed() === 1, 'NOT_FOUND', 'P5', `order ${id} has no checklist item ${item}`);
      event(o, at, 'checklist_confirmed', item);
      return answer(o);
    });
  }

  function packComplete({ at, order_id: id }) {
    return tx(() => {
      const o = find(id);
      need(o.stage === 'confirmed', 'ILLEGAL_TRANSITION', 'P7', `order ${id} is ${o.stage}: it cannot be packed`);
      const line = one(S.unpackedLine, [o.seq]);
      need(!line, 'POLICY_VIOLATION', 'P7', line && `line ${line[0]} is not fully packed`);
      const item = one(S.openItem, [o.seq]);
      need(!item, 'POLICY_VIOLATION', 'P7', item && `checklist item ${item[0]} is not confirmed`);
      run(S.pack, [at, o.seq]);
      move(o, 'packed');
      event(o, at, 'packed');
      return answer(o);
    });
  }

  function handoverSet({ at, order_id: id, method, shipping_point: point = null, note = null }) {
    need(method === 'pickup' || method === 'dropoff', 'BAD_REQUEST', 'H1', 'field method: pickup or dropoff');
    need(!(method === 'pickup' && point), 'BAD_REQUEST', 'H1', 'a shipping point is for drop-off, not pickup');
    return tx(() => {
      const o = find(id);
      need(o.stage === 'confirmed' || o.stage === 'packed', 'ILLEGAL_TRANSITION', 'H1',
        `order ${id} is ${o.stage}: the handover is chosen before it is marked shipped`);
      run(S.handover, [method, point, note, o.seq]);
      event(o, at, 'handover_set', method);
      return answer(o);
    });
  }

  function ship({ at, order_id: id }) {
    return tx(() => {
      const o = find(id);
      need(o.stage === 'packed', 'ILLEGAL_TRANSITION', o.stage === 'confirmed' ? 'P7' : 'H2', `order ${id} is ${o.stage}: it cannot be marked shipped`);
      need(o.handover, 'POLICY_VIOLATION', 'H1', 'choose pickup or drop-off first');
      need(o.handover !== 'dropoff' || o.shippingPoint, 'POLICY_VIOLATION', 'H5', 'select a shipping point before marking it shipped');
      need(!o.classes || o.note, 'POLICY_VIOLATION', 'P6', 'special handling: a handover note to the shipper is required');
      let flags = o.flags;
      const shipBy = one(S.deadline, [o.seq, 'ship_by']);
      if (shipBy && shipBy[1] === 'open') {
        const met = at <= shipBy[0];
        run(S.settle, [met ? 'met' : 'missed', o.seq, 'ship_by']);
        if (!met) flags |= LATE_DISPATCH; // H9
      }
      const pickup = o.handover === 'pickup';
      run(S.insertDeadline, [o.seq, pickup ? 'pickup' : 'dropoff', at + COLLECT_BY, pickup ? 'H3' : 'H7']);
      run(S.insertDeadline, [o.seq, 'lost', at + LOST_AFTER, 'T3']);
      run(S.insertDeadline, [o.seq, 'delivery_promise', at + PROMISE, 'T4']);
      const [nextKind, nextDue] = one(S.nextDeadline, [o.seq]) ?? [null, null];
      run(S.ship, [at, flags, nextKind, nextDue, o.seq]);
      move(o, 'awaiting_collection');
      const what = pickup ? 'ready for pickup' : 'waiting for drop-off';
      event(o, at, 'shipped', what);
      run(S.outbox, [id, 'marketplace', 'ready_to_ship', what, at]); // H3
      return answer(o);
    });
  }

  function listOrders({ stage, limit = 50, after }) {
    need(STAGES.includes(stage), 'BAD_REQUEST', null, `field stage: unknown stage ${stage}`);
    const n = Math.max(1, Math.min(200, limit));
    const map = (r) => ({ id: r[0], stage: r[1], flags: r[2], placed_at: r[3], total: { amount: r[4], currency: r[5] },
      items: r[6], first_product: r[7], next_deadline: r[8] ? { kind: r[8], due: r[9] } : null, seq: r[10] });
    let orders;
    if (after) {
      const [due, seq] = after.split(':').map(Number);
      orders = all(S.pageAfter, [stage, due, seq, n + 1], map);
    } else {
      orders = all(S.page, [stage, n + 1], map);
    }
    const more = orders.length > n;
    if (more) orders.pop();
    const last = orders[orders.length - 1];
    const [total] = one(S.stageCount, [stage]);
    return { orders, next: more ? `${last.next_deadline?.due ?? ''}:${last.seq}` : null, total };
  }

  const COMMANDS = {
    'order.import': importOrder,
    'line.check': lineCheck,
    'order.confirm': confirm,
    'order.get': getOrder,
    'pack.scan': packScan,
    'pack.confirm': packConfirm,
    'pack.complete': packComplete,
    'handover.set': handoverSet,
    'order.ship': ship,
    'orders.list': listOrders,
  };

  return {
    /** Runs one command object; returns its result or throws a ShopError (nothing changed). */
    exec(req) {
      const fn = COMMANDS[req?.cmd];
      if (!fn) throw new ShopError('UNKNOWN_COMMAND', `unknown command ${req?.cmd}`);
      return fn(req);
    },
    /** Orders per stage (for checking the peer against packdesk after a run). */
    stageCounts() {
      return Object.fromEntries(db.exec('SELECT stage, n FROM stage_counts')[0].values);
    },
    /** Bytes of the database file: sql.js keeps it in Emscripten's MEMFS, in JS memory outside
     *  the wasm heap (only SQLite's page cache is inside), so memory figures must add it. */
    fileBytes() {
      const [[pages]] = db.exec('PRAGMA page_count')[0].values;
      const [[size]] = db.exec('PRAGMA page_size')[0].values;
      return pages * size;
    },
    /** The query plan of a SQL statement (to check that the indexes are used). */
    plan(sql) {
      return db.exec(`EXPLAIN QUERY PLAN ${sql}`)[0]?.values.map((v) => v[3]) ?? [];
    },
    close() {
      for (const s of prepared) s.free();
      db.close();
    },
  };
}
