// wasm-core.test.mjs: wasm/packdesk-core.mjs carries strings across faithfully. Requests go in
// with TextEncoder.encodeInto through one buffer the core keeps (or an allocation of their own
// when longer), answers come back with TextDecoder (issue 5): so non-ASCII text both ways, every
// length around that buffer's size, an answer read after pd_exec grew the memory, a lone
// surrogate, and a closed core. Run on the -O2 build and on the shipped -Oz one (build/widget/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/engines.mjs';
import { coreOn, createCore, loadCoreModule } from '../wasm/packdesk-core.mjs';

const AT = 1764230400000;
const NAME = 'Áo thun cổ tròn – size M 👕'; // 2- and 3-byte characters and a surrogate pair
const WIDGET = path.join(ROOT, 'build/widget/');
const BUILDS = [
  ['-O2', {}],
  ['shipped -Oz', { baseUrl: pathToFileURL(WIDGET), esm: true }, !existsSync(path.join(WIDGET, 'packdesk.wasm'))],
];

const importRequest = (id, name) => JSON.stringify({ cmd: 'order.import', at: AT, order: {
  id, placed_at: AT, paid_at: AT, currency: 'VND',
  lines: [{ id: 'L1', sku: 'SKU-1', name, quantity: 1, unit_price: 1000 }] } });
// An order.import exactly `units` UTF-16 units long, nearly all of them '€' (3 bytes in UTF-8,
// the most one unit takes) in line names of 200, the last one of at most 341 (the core takes up
// to 1024 bytes a name; a line's JSON around its name is under 100 units).
function importOfLength(id, units) {
  const build = (names) => JSON.stringify({ cmd: 'order.import', at: AT, order: {
    id, placed_at: AT, paid_at: AT, currency: 'VND',
    lines: names.map((name, i) => ({ id: `L${i + 1}`, sku: 'SKU-1', name, quantity: 1, unit_price: 1000 })) } });
  const names = [''];
  while (units - build(names).length > 341) names.splice(-1, 0, '€'.repeat(200));
  names[names.length - 1] = '€'.repeat(units - build(names).length);
  return { req: build(names), names };
}
const productName = (core, id) =>
  JSON.parse(core.execRaw(JSON.stringify({ cmd: 'order.get', at: AT + 1, order_id: id }))).result.lines[0].product_name;

for (const [label, options, missing] of BUILDS) {
  test(`wasm core (${label}): non-ASCII text goes in and comes back unchanged, as a string and as bytes`, { skip: missing && 'make widget first' }, async (t) => {
    const core = await createCore(options);
    t.after(() => core.close());
    const asString = core.execRaw(importRequest('A1', NAME));
    assert.equal(JSON.parse(asString).result.order.first_product, NAME);
    assert.equal(productName(core, 'A1'), NAME);
    // The same request as UTF-8 bytes gets the same answer (for another order id: A2).
    const asBytes = core.execBytes(Buffer.from(importRequest('A2', NAME)));
    assert.equal(asBytes, asString.replace('"A1"', '"A2"'));
  });

  test(`wasm core (${label}): requests of every length around the reusable buffer (16384 units) and far over it`, { skip: missing && 'make widget first' }, async (t) => {
    const core = await createCore(options);
    t.after(() => core.close());
    for (const units of [16380, 16383, 16384, 16385, 16390, 100000]) {
      const id = `B${units}`;
      const { req, names } = importOfLength(id, units);
      assert.equal(req.length, units);
      const viaString = core.execRaw(req);
      assert.equal(JSON.parse(viaString).ok, true, viaString.slice(0, 300));
      const lines = JSON.parse(core.execRaw(JSON.stringify({ cmd: 'order.get', at: AT + 1, order_id: id }))).result.lines;
      assert.deepEqual(lines.map((l) => l.product_name), names, `${units} units`);
      const viaBytes = core.execBytes(Buffer.from(req.replace(`"${id}"`, `"${id}x"`)));
      assert.equal(viaBytes, viaString.replaceAll(`"${id}"`, `"${id}x"`), `${units} units`);
    }
  });

  test(`wasm core (${label}): an answer is read right after pd_exec grew the memory, and so are the next requests`, { skip: missing && 'make widget first' }, async (t) => {
    const M = await loadCoreModule(options);
    const core = coreOn(M);
    t.after(() => core.close());
    const start = M.HEAPU8.buffer;
    let grewAt = -1;
    for (let i = 0; i < 200000 && grewAt < 0; i++) {
      const answer = core.execRaw(importRequest(`G${i}`, `${NAME} ${i}`));
      assert.match(answer, /^\{"ok":true,/, answer.slice(0, 300));
      assert.equal(JSON.parse(answer).result.order.id, `G${i}`);
      if (M.HEAPU8.buffer !== start) grewAt = i;
    }
    assert.ok(grewAt > 0, 'the memory never grew');
    assert.equal(productName(core, `G${grewAt}`), `${NAME} ${grewAt}`);
    assert.equal(productName(core, 'G0'), `${NAME} 0`);
  });

  test(`wasm core (${label}): a lone surrogate arrives as U+FFFD; a closed core refuses with CLOSED`, { skip: missing && 'make widget first' }, async () => {
    const core = await createCore(options);
    // Built by hand: JSON.stringify would escape the surrogate as \ud800.
    const req = importRequest('S1', 'a?b').replace('a?b', 'a\ud800b');
    assert.equal(JSON.parse(core.execRaw(req)).ok, true);
    assert.equal(productName(core, 'S1'), 'a\ufffdb');
    core.close();
    core.close(); // twice is fine
    for (const call of [() => core.execRaw('{}'), () => core.execBytes(Buffer.from('{}')), () => core.exec({})]) {
      assert.throws(call, (e) => e.code === 'CLOSED');
    }
  });
}

test('wasm core: two cores on one module keep their own shops', async (t) => {
  const M = await loadCoreModule();
  const a = coreOn(M);
  const b = coreOn(M);
  t.after(() => { a.close(); b.close(); });
  assert.equal(JSON.parse(a.execRaw(importRequest('A1', NAME))).ok, true);
  const missing = JSON.parse(b.execRaw(JSON.stringify({ cmd: 'order.get', at: AT, order_id: 'A1' })));
  assert.equal(missing.error.code, 'NOT_FOUND');
  a.close();
  assert.equal(JSON.parse(b.execRaw(importRequest('A1', 'other'))).ok, true);
  assert.equal(productName(b, 'A1'), 'other');
});
