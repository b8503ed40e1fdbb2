// run.mjs: `make bench`: runs the native and the wasm benchmark (one after the other, so they
// do not compete for the CPU), prints commands per second side by side, and writes
// build/bench/results.json. Fails when the two engines did not answer identically.
//
// usage: node bench/run.mjs [N...]   (default: 1000 100000)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sizes = process.argv.slice(2);
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 }));

const t0 = performance.now();
const native = run(path.join(ROOT, 'build/native/bench'), sizes);
const wasm = run(process.execPath, [path.join(ROOT, 'bench/bench-wasm.mjs'), ...sizes]);
const wall = (performance.now() - t0) / 1000;

const PHASES = { import: 'order.import', confirm_pack_ship: 'confirm-pack-ship', orders_list: 'orders.list (confirmed, 50)' };
const rate = (p) => (p.seconds > 0 ? p.commands / p.seconds : 0);
const fmt = (x) => Math.round(x).toLocaleString('en-US');

const rows = [];
let identical = true;
native.results.forEach((nr, k) => {
  const wr = wasm.results[k];
  if (nr.checksum !== wr.checksum) identical = false;
  for (const [key, label] of Object.entries(PHASES)) {
    const n = rate(nr.phases[key]);
    const w = rate(wr.phases[key]);
    rows.push({ orders: nr.n, workload: label, commands: nr.phases[key].commands,
      native_per_s: Math.round(n), wasm_per_s: Math.round(w), wasm_native_ratio: n ? +(w / n).toFixed(2) : null });
  }
});

const head = ['orders', 'workload', 'commands', 'native cmd/s', 'wasm cmd/s', 'wasm/native'];
const body = rows.map((r) => [fmt(r.orders), r.workload, fmt(r.commands), fmt(r.native_per_s), fmt(r.wasm_per_s),
  r.wasm_native_ratio === null ? '-' : r.wasm_native_ratio.toFixed(2)]);
const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
const line = (cells) => `| ${cells.map((x, c) => (c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w, c) => (c < 2 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
body.forEach((b) => console.log(line(b)));
console.log(`\n${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}; ` +
  `time inside the core's entry point only, after a 500-order warm-up; whole run ${wall.toFixed(1)} s. ` +
  `Responses identical native vs wasm: ${identical ? 'yes' : 'NO'}.`);

mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'build/bench/results.json'), `${JSON.stringify({
  date: new Date().toISOString(), cpu: os.cpus()[0]?.model, node: process.version, wall_seconds: wall,
  identical, rows, native, wasm }, null, 2)}\n`);
console.log('written: build/bench/results.json');
if (!identical) {
  console.error('bench: native and wasm answered differently (checksums differ)');
  process.exit(1);
}
