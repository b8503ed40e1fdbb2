// demo.mjs: `make demo-cli`. Creates a demo shop in build/demo, fresh each
// time, through the CLI (build/native/packdesk --store build/demo): 30 orders with fixed data in
// every stage, then prints the shop's stats and a page of orders.
//
// Time is fixed, never the clock: the shop's story starts 16 days before BASE, when three orders
// ship (one is never delivered and goes lost at the tick, two are delivered and complete) and one
// is left unpaid (cancelled by the tick); at BASE everything else happens, minutes apart.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { demoOrder } from '../web/demo-shop.mjs'; // the console's demo orders: one set of data

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STORE = path.join(ROOT, 'build/demo');
const BIN = path.join(ROOT, 'build/native/packdesk');
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const BASE = 1764230400000; // 2025-11-27 08:00 UTC

/** The CLI as a child process: one request line out, one response line back. */
class Cli {
  constructor(bin, args) {
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`packdesk exited (${code}) without answering`));
      resolve(code);
    }));
  }

  send(request) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve: (line) => resolve(JSON.parse(line)), reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  async close() {
    this.child.stdin.end();
    return this.exited;
  }
}

async function main() {
  rmSync(STORE, { recursive: true, force: true });
  const cli = new Cli(BIN, ['--store', STORE]);
  let now = BASE - 16 * DAY;
  const orders = new Map(); // id → the order as imported

  async function cmd(name, args = {}, step = 60 * 1000) {
    now += step;
    const response = await cli.send({ cmd: name, at: now, ...args });
    if (!response.ok) {
      throw new Error(`${name} ${JSON.stringify(args)} was refused: ${JSON.stringify(response.error)}`);
    }
    return response.result;
  }

  // The moves of an order's life, each from the stage the previous one leaves it in.
  const importOrder = (k, opts) => {
    const order = demoOrder(k, now + 60 * 1000, opts);
    orders.set(order.id, order);
    return cmd('order.import', { order }).then(() => order.id);
  };
  const confirm = async (id) => {
    for (const line of orders.get(id).lines) await cmd('line.check', { order_id: id, line_id: line.id, result: 'ok' });
    await cmd('order.confirm', { order_id: id });
  };
  const pack = async (id) => {
    for (const line of orders.get(id).lines) {
      for (let u = 0; u < line.quantity; u++) await cmd('pack.scan', { order_id: id, sku: line.sku });
    }
    const { checklist = [] } = await cmd('order.get', { order_id: id });
    for (const entry of checklist) if (!entry.confirmed) await cmd('pack.confirm', { order_id: id, item: entry.item });
    await cmd('pack.complete', { order_id: id });
  };
  const ship = async (id, method = 'pickup') => {
    const special = orders.get(id).lines.some((l) => l.classes);
    await cmd('handover.set', {
      order_id: id, method,
      ...(method === 'dropoff' ? { shipping_point: 'GHN Hoan Kiem post office' } : {}),
      ...(special ? { note: 'Special handling: keep upright, do not crush' } : {}),
    });
    await cmd('order.ship', { order_id: id });
  };
  const collect = (id, method = 'pickup') =>
    cmd('carrier.event', { order_id: id, event: method === 'pickup' ? 'picked_up' : 'dropped_off',
      tracking_number: `VN${id.replace(/\D/g, '')}0042` }, 6 * HOUR);
  const deliver = (id) => cmd('carrier.event', { order_id: id, event: 'delivered' }, DAY);
  const toStage = async (id, stage, method) => {
    const order = ['confirmed', 'packed', 'awaiting_collection', 'in_transit', 'delivered'];
    const reach = order.indexOf(stage);
    if (reach >= 0) await confirm(id);
    if (reach >= 1) await pack(id);
    if (reach >= 2) await ship(id, method);
    if (reach >= 3) await collect(id, method);
    if (reach >= 4) await deliver(id);
  };

  // 16 days before BASE: one order will go lost, two will complete, one is never paid.
  const lost = await importOrder(1);
  await toStage(lost, 'in_transit');
  for (const k of [2, 3]) await toStage(await importOrder(k), 'delivered');
  await importOrder(4, { unpaid: true });

  // BASE: time alone decides: lost (T3), completed (7 days after delivery), auto-cancelled (C3).
  now = BASE;
  await cmd('tick', {}, 0);

  // Then today's work, a few minutes apart.
  const plan = [
    [8, 'paid later'], [9, 'paid later'],
    [10, 'awaiting_confirmation'], [11, 'awaiting_confirmation'], [12, 'awaiting_confirmation'],
    [13, 'awaiting_confirmation'], [14, 'confirmed'], [15, 'confirmed'], [16, 'confirmed'],
    [17, 'confirmed'], [18, 'packed'], [19, 'packed'], [20, 'packed'], [21, 'awaiting_collection'],
    [22, 'awaiting_collection'], [23, 'awaiting_collection', 'dropoff'], [24, 'in_transit'],
    [25, 'in_transit', 'dropoff'], [26, 'in_transit'], [27, 'delivered'], [28, 'delivered'],
    [29, 'cancelled by the seller'], [30, 'cancelled: out of stock'],
    // Last, so that their 24 h payment window is still open when the demo ends.
    [5, 'unpaid'], [6, 'unpaid'], [7, 'unpaid'],
  ];
  for (const [k, stage, method] of plan) {
    const id = await importOrder(k, { unpaid: stage === 'unpaid' || stage === 'paid later' });
    if (stage === 'paid later') await cmd('order.pay', { order_id: id });
    else if (stage === 'cancelled by the seller') {
      await confirm(id);
      await cmd('order.cancel', { order_id: id, reason: 'buyer asked by phone to cancel' });
    } else if (stage === 'cancelled: out of stock') {
      await cmd('line.check', { order_id: id, line_id: 'L1', result: 'out_of_stock' });
      await cmd('order.cancel', { order_id: id, reason: 'out_of_stock' });
    } else await toStage(id, stage, method);
  }

  await cmd('tick', {}, 1000); // as the console does on its timer: lists and counts agree
  const stats = await cmd('stats', {}, 1000);
  const page = await cmd('orders.list', { limit: 12 }, 1000);
  await cli.close();
  return { stats, page };
}

const iso = (ms) => (typeof ms === 'number' ? new Date(ms).toISOString().replace(':00.000Z', 'Z') : '-');

function table(head, rows) {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  for (const r of [head, ...rows]) console.log(`  ${r.map((x, c) => String(x).padEnd(widths[c])).join('  ')}`.trimEnd());
}

const deadline = (d) => (d ? `${d.kind} ${iso(d.due)} (${d.rule})` : '-');

function print({ stats, page }) {
  const rel = (p) => path.relative(process.cwd(), p) || '.';
  console.log(`Demo shop in ${rel(STORE)}; drive it further with: ${rel(BIN)} --store ${rel(STORE)}\n`);
  if (stats.stages && typeof stats.stages === 'object') {
    console.log(`stats: ${stats.orders} orders, ${stats.unread_notifications} unread notifications, ` +
      `${stats.outbox} messages in the outbox; next deadline: ${deadline(stats.next_deadline)}` +
      `${stats.next_deadline?.order_id ? ` for ${stats.next_deadline.order_id}` : ''}`);
    table(['stage', 'orders', 'next deadline'],
      Object.entries(stats.stages).map(([stage, v]) => [stage, v.count, deadline(v.next_deadline)]));
  } else {
    console.log(`stats: ${JSON.stringify(stats, null, 2)}`);
  }
  const rows = page.orders ?? page.items ?? [];
  console.log(`\norders.list, most urgent first (first ${rows.length}):`);
  table(['order', 'stage', 'total', 'buyer (masked)', 'next deadline', 'flags'], rows.map((o) => [
    o.id ?? '?', o.stage ?? '?', o.total ? `${o.total.amount} ${o.total.currency}` : '-',
    o.buyer ? `${o.buyer.name ?? '-'} ${o.buyer.phone ?? ''}` : '-', deadline(o.next_deadline),
    Array.isArray(o.flags) ? o.flags.join(',') : '']));
}

main().then(print, (err) => {
  console.error(`demo: ${err.message}`);
  process.exit(1);
});
