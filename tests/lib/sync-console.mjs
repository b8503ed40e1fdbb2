// sync-console.mjs: what the console sync tests share: the core's answers on a page, every order
// of a core, the server's orders as a fresh device pulls them, a scanner's keystrokes.
import assert from 'node:assert/strict';
import { createCore } from './engines.mjs';
import { device, pair } from './sync-server.mjs';

export const query = (page, cmd, args = {}) => page.evaluate(([c, a]) => window.packdeskConsole.query(c, a), [cmd, args]);
export function ok(response, what) {
  assert.equal(response.ok, true, `${what}: ${JSON.stringify(response)}`);
  return response.result;
}

// Every order of a core (the page's, or a Node one) in full, as of `at`.
export async function exportAll(exec, at) {
  const all = {};
  let after;
  do {
    const page = ok(await exec({ cmd: 'orders.export', at, limit: 1000, ...(after ? { after } : {}) }), 'orders.export');
    for (const o of page.orders) all[o.id] = o;
    after = page.next;
  } while (after);
  return all;
}
export const pageOrders = (page, at) => exportAll(({ cmd, ...args }) => query(page, cmd, args), at);

// The orders of a full pull (pull({since, limit}) → the HTTP answer), loaded into a fresh core.
export async function pulledOrders(pull, at) {
  const states = [];
  let since = 0;
  for (;;) {
    const r = await pull({ since, limit: 1000 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    states.push(...r.body.changes);
    since = r.body.version;
    if (!r.body.more) break;
  }
  const core = await createCore();
  try {
    ok(core.exec({ cmd: 'sync.base', at, orders: states.map(({ order_id: id, state }) => ({ order_id: id, state })) }), 'load');
    return await exportAll((r) => core.exec(r), at);
  } finally {
    core.close();
  }
}

// The server's orders as a third device sees them: paired with the printed code, a full pull,
// loaded into a fresh core.
export async function serverOrders(server, at) {
  const third = device(server.origin, await pair(server.origin, 'demo', server.code));
  return pulledOrders((body) => third.pull(body), at);
}

// A keyboard-wedge scanner: the SKU's keystrokes into the scan field, then Enter.
export async function scan(page, sku) {
  await page.focus('[data-key="scan"]');
  await page.keyboard.type(sku, { delay: 5 });
  await page.keyboard.press('Enter');
}
