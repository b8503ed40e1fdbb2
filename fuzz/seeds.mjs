// seeds.mjs: writes the fuzzers' seed corpora into build/fuzz/seeds/<target>/ from what the
// project already holds: every request of tests/cases (fuzz_exec: a case's steps as lines),
// every order payload of ../shared/fixtures and the cases (fuzz_import), and stores made by the
// CLI from the cases, and snapshot files of every format (fuzz_store). Generated, never committed.
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
// Snapshot files, for fuzz_store's snapshot layout of whole records (see fuzz_store.c): byte 5
// picks it, then the format (byte f: format f % 5 + 1), then records: 2 the shop file's body, 3
// a page of orders, 4 a page of operations. A file's body is what lies between its 8-byte
// header (magic, format) and its CRC; a page of orders of format 5 keeps its CRC (order_page.c
// checks the file's size against its bodies). Format 5: a store the CLI fills past one
// checkpoint; formats 1 to 4: the unit tests' fixture stores.
const SNAPSHOT_LAYOUT = 5;
const KINDS = { shop: 2, orders: 3, ops: 4 };
const putSnapshots = (dir) => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pds') && x !== 'manifest.pds')) {
    const file = readFileSync(path.join(dir, f));
    const format = file.readUInt32LE(4);
    const kind = KINDS[f.split('-')[0]];
    const end = kind === KINDS.orders && format >= 5 ? file.length : file.length - 4;
    put('store', Buffer.concat([Buffer.from([SNAPSHOT_LAYOUT, format - 1, kind]), file.subarray(8, end)]));
  }
};
{
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pdseed-'));
  try {
    const at = 1764230400000;
    const lines = [];
    for (let i = 0; i < 1200; i++) {
      lines.push(JSON.stringify({ cmd: 'order.import', at: at + i, op: `seed-${i}`, order: { id: `S${i}`, placed_at: at + i,
        paid_at: i % 7 ? at + i : undefined, currency: 'VND', lines: [{ id: 'L1', sku: `SKU-${i % 40}`, name: `Product ${i % 40}`, quantity: 1 + (i % 3), unit_price: 150000 }],
        buyer: { name: `Buyer ${i}`, phone: '+84 900 000 000', address: `${i} Le Loi`, region: 'Ho Chi Minh' } } }));
      if (i % 3 === 0) lines.push(JSON.stringify({ cmd: 'line.check', at: at + i + 1, op: `seed-c${i}`, order_id: `S${i}`, line_id: 'L1', result: 'ok' }));
      if (i % 5 === 0) lines.push(JSON.stringify({ cmd: 'request.open', at: at + i + 2, order_id: `S${i}`, kind: 'cancel', reason: 'changed my mind' }));
    }
    execFileSync(path.join(ROOT, 'build/native/packdesk'), ['--store', tmp], { input: `${lines.join('\n')}\n` });
    putSnapshots(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const fixture of ['store-v1', 'store-v2', 'store-v3', 'store-v4']) putSnapshots(path.join(ROOT, 'tests/unit/fixtures', fixture));
}
const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const f of walk(path.join(ROOT, '../shared/fixtures')).filter((x) => x.endsWith('.json'))) {
  const cases = JSON.parse(readFileSync(f, 'utf8'));
  for (const c of Array.isArray(cases) ? cases : []) {
    for (const o of c?.response?.body?.data?.order_list ?? []) put('import', JSON.stringify(o));
  }
}
console.log(`fuzz seeds: ${Object.entries(dirs).map(([t, d]) => `${t} ${readdirSync(d).length}`).join(', ')}`);
