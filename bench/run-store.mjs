// run-store.mjs: the storage half of `make bench`: what saving costs as a shop grows (1k vs
// 100k orders, side by side, with the ratio), how long a store takes to open, and the journal's
// append cost. Adds the figures to build/bench/results.json under "store". Then the same 100k
// orders imported as the console imports them, each command with an op id: such a store keeps
// the answers of the newest 2-4k operations (OPS_KEPT), which an open reads whole.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const out = execFileSync(path.join(ROOT, 'build/native/bench_store'), ['1000', '100000', '100000:ops'], { encoding: 'utf8' });
const [small, large, withOps] = out.trim().split('\n').map((l) => JSON.parse(l));
const ratio = (k) => (small[k] > 0 ? large[k] / small[k] : NaN);

const rows = [
  ['save per command (µs, checkpoints included)', small.save_us_per_command, large.save_us_per_command, ratio('save_us_per_command')],
  ['bytes written per command', small.bytes_per_command, large.bytes_per_command, ratio('bytes_per_command')],
  ['the command itself, unsaved (µs)', small.command_us, large.command_us, ratio('command_us')],
  ['open the store (ms): snapshot + journal tail', small.open_ms, large.open_ms, ratio('open_ms')],
];
console.log('\n| storage, native                               |   1k orders | 100k orders | 100k / 1k |');
console.log('|-----------------------------------------------|------------:|------------:|----------:|');
for (const [label, a, b, r] of rows)
  console.log(`| ${label.padEnd(45)} | ${a.toFixed(1).padStart(11)} | ${b.toFixed(1).padStart(11)} | ${r.toFixed(2).padStart(9)} |`);
console.log(`(the save: the median of ${small.save_us_rounds.length} rounds of 1,000 commands on one page's orders, taken in turns at both sizes; bench_store.c)`);

// Applied operations are not read lazily yet (order bodies are): what they add to an open, in
// a fresh process (a warm open says little natively: glibc hands a closed store's memory back
// to the system or not depending on what it freed before).
console.log('\n| open 100k orders, native, fresh process      | no op ids | console op ids | ratio |');
console.log('|-----------------------------------------------|----------:|---------------:|------:|');
for (const [label, k] of [['open (ms)', 'open_first_ms'], ['memory it keeps (MB RSS)', 'open_rss_mb'], ['page faults', 'open_first_faults']])
  console.log(`| ${label.padEnd(45)} | ${large[k].toFixed(1).padStart(9)} | ${withOps[k].toFixed(1).padStart(14)} | ${(withOps[k] / large[k]).toFixed(2).padStart(5)} |`);

const journal = execFileSync(path.join(ROOT, 'build/native/bench_journal'), { encoding: 'utf8' });
console.log(`\n${journal.trim()}`);

const file = path.join(ROOT, 'build/bench/results.json');
const results = JSON.parse(readFileSync(file, 'utf8'));
results.store = { small, large, withOps, journal };
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
