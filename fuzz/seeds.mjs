// seeds.mjs: writes the fuzzers' seed corpora into build/fuzz/seeds/<target>/ from what the
// project already holds: every request of tests/cases (fuzz_exec: a case's steps as lines),
// every order payload of ../shared/fixtures and the cases (fuzz_import), and stores made by the
// CLI from the cases (fuzz_store). Generated, never committed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'build/fuzz/seeds');
const dirs = Object.fromEntries(['exec', 'import', 'store'].map((t) => {
  const d = path.join(OUT, t);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return [t, d];
}));
let n = 0;
const put = (target, data) => writeFileSync(path.join(dirs[target], `seed-${String(n++).padStart(5, '0')}`), data);

const casesDir = path.join(ROOT, 'tests/cases');
for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.json'))) {
  const c = JSON.parse(readFileSync(path.join(casesDir, file), 'utf8'));
  const lines = c.steps.filter((s) => s.send && !JSON.stringify(s.send).includes('$repeat')).map((s) => JSON.stringify(s.send));
  if (lines.length) put('exec', lines.slice(0, 16).join('\n'));
  for (const s of c.steps) if (s.send?.cmd === 'order.import' && s.send.order) put('import', JSON.stringify(s.send.order));
  // A store the CLI wrote for this case: its journal segment, as fuzz_store's kind 0 (journal).
  if (lines.length) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'pdseed-'));
    try {
      execFileSync(path.join(ROOT, 'build/native/packdesk'), ['--store', tmp], { input: `${lines.join('\n')}\n` });
      for (const f of readdirSync(tmp).filter((x) => x.endsWith('.pdj')))
        put('store', Buffer.concat([Buffer.from([0]), readFileSync(path.join(tmp, f))]));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const f of walk(path.join(ROOT, '../shared/fixtures')).filter((x) => x.endsWith('.json'))) {
  const cases = JSON.parse(readFileSync(f, 'utf8'));
  for (const c of Array.isArray(cases) ? cases : []) {
    for (const o of c?.response?.body?.data?.order_list ?? []) put('import', JSON.stringify(o));
  }
}
console.log(`fuzz seeds: ${Object.entries(dirs).map(([t, d]) => `${t} ${readdirSync(d).length}`).join(', ')}`);
