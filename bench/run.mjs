// run.mjs: `make bench`: runs the native and the wasm benchmark REPS times, taking turns (one
// process at a time, so they never compete for the CPU, and a busy moment of the machine falls on
// both), and prints the median time per phase side by side; writes build/bench/results.json.
// Fails when the engines did not answer identically.
//
// Two wasm columns: "pd_exec" is the same work bench.c times natively (the goal, wasm within
// 1.5x of native, is judged on it); "JS API" adds what a JavaScript caller pays around it
// (execRaw: the request into the core's memory, the answer back as a string). Times are net of
// each side's clock cost (bench.c, bench-wasm.mjs). One-time costs are not in the table: the
// line under it gives them (loading the module; the first, cold run of 1000 orders).
//
// usage: node bench/run.mjs [--reps R] [--shipped] [N...]   (default: R = 3, N = 1000 100000)
//   --shipped  also the core the console and widget ship (build/widget/: -Oz, emmalloc); or
//              PACKDESK_BENCH_CORE=shipped
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let reps = 3;
let shipped = process.env.PACKDESK_BENCH_CORE === 'shipped';
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--reps') reps = Number(args[++i]);
  else if (args[i] === '--shipped') shipped = true;
  else sizes.push(args[i]);
}
if (!Number.isInteger(reps) || reps < 1 || sizes.some((n) => !/^[1-9][0-9]*$/.test(n))) {
  console.error('usage: node bench/run.mjs [--reps R] [--shipped] [N...]');
  process.exit(2);
}

const run = (cmd, cmdArgs, env = {}) => JSON.parse(execFileSync(cmd, cmdArgs,
  { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...env } }));
const ENGINES = {
  native: () => run(path.join(ROOT, 'build/native/bench'), sizes),
  wasm: () => run(process.execPath, [path.join(ROOT, 'bench/bench-wasm.mjs'), ...sizes], { PACKDESK_BENCH_CORE: '' }),
  shipped: () => run(process.execPath, [path.join(ROOT, 'bench/bench-wasm.mjs'), ...sizes], { PACKDESK_BENCH_CORE: 'shipped' }),
};
const engines = shipped ? ['native', 'wasm', 'shipped'] : ['native', 'wasm'];

const t0 = performance.now();
const runs = Object.fromEntries(engines.map((e) => [e, []]));
for (let r = 0; r < reps; r++) for (const e of engines) runs[e].push(ENGINES[e]());
const wall = (performance.now() - t0) / 1000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const PHASES = { import: 'order.import', confirm_pack_ship: 'confirm-pack-ship', orders_list: 'orders.list (confirmed, 50)' };
const checksums = new Set(engines.flatMap((e) => runs[e].flatMap((x) => x.results.map((r) => `${r.n} ${r.checksum}`))));
const identical = checksums.size === runs.native[0].results.length;

// Median seconds of one phase (or of the whole workload: phase null) over the runs of an engine.
const secs = (engine, k, phase, field = 'seconds') => median(runs[engine].map((x) => {
  const ph = x.results[k].phases;
  return phase ? ph[phase][field] : Object.values(ph).reduce((s, p) => s + p[field], 0);
}));

const rows = [];
runs.native[0].results.forEach((nr, k) => {
  for (const [key, label] of [...Object.entries(PHASES), [null, 'whole workload']]) {
    const commands = key ? nr.phases[key].commands : Object.values(nr.phases).reduce((s, p) => s + p.commands, 0);
    const row = { orders: nr.n, workload: label, commands, native_seconds: secs('native', k, key) };
    for (const e of engines.slice(1)) {
      row[`${e}_seconds`] = secs(e, k, key);
      row[`${e}_api_seconds`] = secs(e, k, key, 'api_seconds');
    }
    rows.push(row);
  }
});

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : '-');
const head = ['orders', 'workload', 'commands', 'native cmd/s'];
for (const e of engines.slice(1)) {
  const name = e === 'wasm' ? 'wasm -O2' : 'shipped -Oz';
  head.push(`${name} pd_exec cmd/s`, 'x native', `${name} JS API cmd/s`, 'x native');
}
const body = rows.map((r) => {
  const cells = [fmt(r.orders), r.workload, fmt(r.commands), fmt(r.commands / r.native_seconds)];
  for (const e of engines.slice(1)) {
    cells.push(fmt(r.commands / r[`${e}_seconds`]), ratio(r[`${e}_seconds`], r.native_seconds),
      fmt(r.commands / r[`${e}_api_seconds`]), ratio(r[`${e}_api_seconds`], r.native_seconds));
  }
  return cells;
});
const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
const line = (cells) => `| ${cells.map((x, c) => (c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w, c) => (c < 2 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
body.forEach((b) => console.log(line(b)));

const ms = (x) => `${(x * 1000).toFixed(0)} ms`;
const coldTotal = (x, field = 'seconds') => Object.values(x.cold).reduce((s, p) => s + p[field], 0);
const once = engines.slice(1).map((e) => `${e}: load ${median(runs[e].map((x) => x.load_ms)).toFixed(0)} ms, ` +
  `cold 1000-order run ${ms(median(runs[e].map((x) => coldTotal(x))))} (JS API ${ms(median(runs[e].map((x) => coldTotal(x, 'api_seconds'))))})`);
console.log(`\n${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, load ${os.loadavg()[0].toFixed(1)}; ` +
  `median of ${reps} runs each; "x native": time over native time. Times net of the clock ` +
  `(native ${median(runs.native.map((x) => x.clock_ns)).toFixed(0)} ns, node ${median(runs.wasm.map((x) => x.clock_ns)).toFixed(0)} ns a reading), ` +
  `after 3 warm-up runs of 1000 orders. One-time, not in the table: native cold 1000-order run ` +
  `${ms(median(runs.native.map((x) => coldTotal(x))))}; ${once.join('; ')}. Whole run ${wall.toFixed(1)} s. ` +
  `Responses identical across engines: ${identical ? 'yes' : 'NO'}.`);

mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'build/bench/results.json'), `${JSON.stringify({
  date: new Date().toISOString(), cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg(),
  reps, wall_seconds: wall, identical, rows, runs }, null, 2)}\n`);
console.log('written: build/bench/results.json');
if (!identical) {
  console.error('bench: the engines answered differently (checksums differ)');
  process.exit(1);
}
