// sync-server.mjs: what the sync server's tests share: the real web/server.mjs as a child process
// with a data folder (port 0, a temp folder), the operator's tool (web/server/admin.mjs), HTTP
// calls as a device makes them, the server's SQLite file opened read-only, and orders built for
// pushing. Holds no tests of its own.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from './engines.mjs';

export const T0 = 1764230400000; // 2025-11-27T08:00:00Z: every pushed command's time counts from here

/** A fresh temp data folder; removed by t.after when t is given. */
export async function tempDataDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'packdesk-sync-'));
  t?.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts web/server.mjs with `dataDir` on a free port (`args`: more options, e.g. --sandbox).
 * No tick and no marketplace reconciliation unless `env` asks (PACKDESK_TICK_MS,
 * PACKDESK_RECONCILE_MS): a sandbox some `make run` left on port 8090 must not feed a test's shop.
 * Resolves to {origin, code (the printed pairing code of shop demo), child, exited (Promise of
 * {code, signal}), stop(), kill9()}.
 */
export function startServer(dataDir, env = {}, args = []) {
  const child = spawn(process.execPath, [path.join(ROOT, 'web/server.mjs'), ...args], {
    env: { ...process.env, PORT: '0', PACKDESK_DATA: dataDir, PACKDESK_TICK_MS: '0', PACKDESK_RECONCILE_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const url = /packdesk console: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      const code = /pairing code for shop demo: (\S+)/.exec(out);
      if (url && code) {
        resolve({
          origin: url[1], code: code[1], child, exited, output: () => out, errors: () => err,
          stop: async () => { child.kill('SIGTERM'); return exited; },
          kill9: async () => { child.kill('SIGKILL'); return exited; },
        });
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`web/server.mjs exited (${code ?? signal}) before it was ready:\n${out}\n${err}`)));
  });
}

/** Runs web/server/admin.mjs with args on dataDir: {code, stdout, stderr}. */
export function admin(dataDir, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'web/server/admin.mjs'), ...args, '--data', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A pairing code for shopId from the operator's tool (creating the shop when it is new). */
export async function pairingCode(dataDir, shopId) {
  const r = await admin(dataDir, ['pairing-code', shopId, '--create']);
  const m = new RegExp(`pairing code for shop ${shopId}: (\\S+)`).exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`admin.mjs failed (${r.code}): ${r.stdout}${r.stderr}`);
  return m[1];
}

/** POST (or another method) to the API: {status, headers, body (parsed JSON, or the text)}. */
export async function call(origin, urlPath, { method = 'POST', token, body, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  if (body !== undefined || raw !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(origin + urlPath, { method, headers: h, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Pairs a device to shopId with code: {shop_id, device_id, token}; throws unless 200. */
export async function pair(origin, shopId, code) {
  const r = await call(origin, '/api/pair', { body: { shop_id: shopId, code } });
  if (r.status !== 200) throw new Error(`pair ${shopId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A device: its token, and push/pull that answer {status, body}; ops numbered from `seq`. */
export function device(origin, paired) {
  return {
    ...paired,
    push: (ops, extra = {}) => call(origin, '/api/sync/push', { token: paired.token, body: { ops, ...extra } }),
    pull: (body) => call(origin, '/api/sync/pull', { token: paired.token, body }),
  };
}

/**
 * Operations [{seq, op, request}] from requests, numbered from firstSeq, op ids `${prefix}-${seq}`.
 */
export function numbered(requests, prefix, firstSeq = 1) {
  return requests.map((request, i) => {
    const seq = firstSeq + i;
    const op = `${prefix}-${seq}`;
    return { seq, op, request: { ...request, op } };
  });
}

/** An order in packdesk's form: one line of `quantity` units of sku. */
export function order(id, { sku = 'SKU-1', quantity = 1, at = T0 } = {}) {
  return {
    id, placed_at: at, paid_at: at, currency: 'VND',
    lines: [{ id: 'L1', sku, name: `product ${sku}`, unit_price: 10000, quantity }],
    buyer: { name: 'Test Buyer', phone: '0900000000', address: '1 Test Street, Ha Noi', region: 'Ha Noi' },
  };
}

/**
 * A device's work on its own orders: each imported, its line checked, confirmed, then every unit
 * scanned. `count` requests in all (the last order may stay unfinished), each a minute apart.
 * A unit scanned twice would be refused (one too many): applying any of them twice shows.
 */
export function workload(prefix, count, { unitsPerOrder = 6 } = {}) {
  const requests = [];
  let at = T0;
  for (let k = 1; requests.length < count; k++) {
    const id = `${prefix}-${k}`;
    const steps = [
      { cmd: 'order.import', order: order(id, { quantity: unitsPerOrder, at }) },
      { cmd: 'line.check', order_id: id, line_id: 'L1', result: 'ok' },
      { cmd: 'order.confirm', order_id: id },
    ];
    for (let u = 0; u < unitsPerOrder; u++) steps.push({ cmd: 'pack.scan', order_id: id, sku: 'SKU-1' });
    for (const step of steps) {
      if (requests.length === count) break;
      requests.push({ ...step, at: (at += 60000) });
    }
  }
  return requests;
}

/** The server's SQLite file, read-only (WAL: sees every commit, blocks nothing). */
export function openServerDb(dataDir) {
  const db = new Database(path.join(dataDir, 'packdesk.sqlite'), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The rows of one query against the server's SQLite file (opened read-only, then closed). */
export function serverRows(dataDir, sql, ...args) {
  const db = openServerDb(dataDir);
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

/** The 99th percentile of a list of numbers. */
export function p99(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}
