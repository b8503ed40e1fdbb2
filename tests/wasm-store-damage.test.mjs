// wasm-store-damage.test.mjs: a damaged page of orders, opened by the wasm core (32-bit), is
// refused cleanly. Lengths read from a file are added in 64 bits in order_page.c: in wasm a
// size_t is 32 bits, and a length near 4 GiB wrapped to a small offset that passed the checks,
// then the head's CRC read gigabytes past its buffer (the wasm trapped). Native builds (and so the
// fuzzers) cannot see this: their size_t is 64 bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCoreModule } from '../wasm/packdesk-core.mjs';
import { exec, open } from './lib/wasm-store.mjs';

const AT = 1764230400000;

// A store of 30 orders in MEMFS, checkpointed: one page of orders in format 5.
function makeStore(M, dir) {
  const { st } = open(M, dir, 0);
  assert.ok(st);
  for (let i = 0; i < 30; i++) {
    const r = exec(M, st, JSON.stringify({ cmd: 'order.import', at: AT + i, order: { id: `W${i}`, placed_at: AT + i, paid_at: AT + i,
      currency: 'VND', lines: [{ id: 'L1', sku: 'SKU-1', name: 'Product', quantity: 1, unit_price: 1000 }] } }));
    assert.equal(r.ok, true);
  }
  assert.equal(M._pd_store_checkpoint(st), 0);
  M._pd_store_close(st);
  return M.FS.readdir(dir).find((f) => f.startsWith('orders-'));
}

test('wasm store: a page whose summaries claim nearly 4 GiB is refused, read-only too, without a trap', async () => {
  const M = await loadCoreModule();
  M.FS.mkdir('/damaged');
  const page = `/damaged/${makeStore(M, '/damaged')}`;
  const bytes = M.FS.readFile(page);
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true), 5); // format 5
  // The head: magic, format, then varints page (0), count (30), id_bytes (< 128), then the
  // summaries' length as a fixed32 at byte 11.
  assert.deepEqual([bytes[8], bytes[9]], [0, 30]);
  assert.ok(bytes[10] < 128);
  const damaged = bytes.slice();
  new DataView(damaged.buffer).setUint32(11, 0xfffffff0, true);
  M.FS.writeFile(page, damaged);

  assert.equal(open(M, '/damaged', 0).st, 0); // refused, not a trap
  const ro = open(M, '/damaged', 2); // PD_STORE_READ_ONLY: open, damaged, without that page
  assert.ok(ro.st && ro.damaged);
  const stats = exec(M, ro.st, JSON.stringify({ cmd: 'stats', at: AT + 100 }));
  assert.equal(stats.result.orders, 0);
  M._pd_store_close(ro.st);

  M.FS.writeFile(page, bytes); // put back: the same core opens it whole
  const whole = open(M, '/damaged', 0);
  assert.ok(whole.st && !whole.damaged);
  assert.equal(exec(M, whole.st, JSON.stringify({ cmd: 'order.get', at: AT + 100, order_id: 'W7' })).result.id, 'W7');
  M._pd_store_close(whole.st);
});
