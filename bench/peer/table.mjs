// table.mjs: the table that run-node.mjs and run-browser.mjs print: per N and phase, µs per
// command for packdesk and sql.js, the ratio packdesk / sql.js, and the memory rows.
import { PHASES } from './workload.mjs';

export const fmt = (x, d = 0) => (x == null || !Number.isFinite(x) ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const mb = (b) => (b == null ? '-' : (b / 1048576).toFixed(1));
const LABEL = { import: 'order.import', confirm_pack_ship: 'confirm-pack-ship', orders_list: 'orders.list (confirmed, 50)' };
export function printTable(title, rows) {
  const head = ['orders', 'phase', 'commands', 'packdesk µs/cmd', 'sql.js µs/cmd', 'packdesk/sql.js', 'packdesk is'];
  const body = [];
  for (const r of rows) {
    for (const p of PHASES) {
      const a = r.packdesk.phases[p];
      const b = r.sqljs.phases[p];
      const ua = (a.ms * 1000) / a.commands;
      const ub = (b.ms * 1000) / b.commands;
      const ratio = a.ms / b.ms;
      body.push([fmt(r.n), LABEL[p] + (p === 'confirm_pack_ship' && r.slice ? ` (first ${fmt(r.slice)})` : ''), fmt(a.commands),
        fmt(ua, 2), fmt(ub, 2), ratio.toFixed(2), ratio <= 1 ? `${(1 / ratio).toFixed(1)}x faster` : `${ratio.toFixed(1)}x slower`]);
    }
    const ta = PHASES.reduce((s, p) => s + r.packdesk.phases[p].ms, 0);
    const tb = PHASES.reduce((s, p) => s + r.sqljs.phases[p].ms, 0);
    body.push([fmt(r.n), 'whole workload (ms)', fmt(PHASES.reduce((s, p) => s + r.packdesk.phases[p].commands, 0)),
      fmt(ta), fmt(tb), (ta / tb).toFixed(2), ta <= tb ? `${(tb / ta).toFixed(1)}x faster` : `${(ta / tb).toFixed(1)}x slower`]);
    body.push([fmt(r.n), '  wasm memory (MB)', '', mb(r.packdesk.wasm_bytes), mb(r.sqljs.wasm_bytes), '', '']);
    body.push([fmt(r.n), '  sql.js db file in MEMFS (MB)', '', '-', mb(r.sqljs.file_bytes), '', '']);
    const ma = r.packdesk.memory_bytes;
    const mbb = r.sqljs.memory_bytes;
    body.push([fmt(r.n), 'memory: wasm + db file (MB)', '', mb(ma), mb(mbb), ma && mbb ? (ma / mbb).toFixed(2) : '-',
      ma && mbb ? (ma <= mbb ? `${(mbb / ma).toFixed(1)}x smaller` : `${(ma / mbb).toFixed(1)}x larger`) : '-']);
    if (r.packdesk.js_heap_bytes != null) {
      body.push([fmt(r.n), 'JS heap left alive (MB)', '', mb(r.packdesk.js_heap_bytes), mb(r.sqljs.js_heap_bytes), '', '']);
    }
  }
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => String(b[c]).length)));
  const line = (cells) => `| ${cells.map((x, c) => (c < 2 ? String(x).padEnd(widths[c]) : String(x).padStart(widths[c]))).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(head));
  console.log(`|${widths.map((w, c) => (c < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  body.forEach((b) => console.log(line(b)));
}

