// synced-device.mjs: a device of shop demo for the marketplace tests that run the real server:
// a wasm core in the test's process, paired with the server's printed code and synced by the
// real web/sync-client.mjs. Holds no tests of its own.
import assert from 'node:assert/strict';
import { createCore } from './engines.mjs';
import { pair } from './sync-server.mjs';
import { SyncClient } from '../../web/sync-client.mjs';
import { until } from './until.mjs';

export { until };

/**
 * Pairs a device with `server` ({origin, code}, tests/lib/sync-server.mjs's startServer) and
 * returns {core, token, exec(request), get(orderId), connect(server), sync(), waitFor(orderId,
 * pred?)}. exec() gives every changing command an op, so it is kept pending for the server;
 * connect() follows a restarted server. The core is closed by t.after.
 */
export async function syncedDevice(t, server, name) {
  const paired = await pair(server.origin, 'demo', server.code);
  const core = await createCore();
  t.after(() => core.close());
  let n = 0;
  const dev = {
    ...paired, core,
    exec(request) {
      const query = request.cmd === 'order.get' || request.cmd.endsWith('.list') || request.cmd.endsWith('.export');
      return core.exec(query ? request : { ...request, op: `${name}-${++n}` });
    },
    get: (orderId) => core.exec({ cmd: 'order.get', at: Date.now(), order_id: orderId }),
    connect(s) {
      dev.client = new SyncClient({
        store: { exec: (request) => ({ response: core.exec(request), saved: Promise.resolve() }) },
        serverUrl: s.origin, token: paired.token, deviceId: paired.device_id, intervalMs: 0,
      });
    },
    async sync() {
      const r = await dev.client.sync();
      assert.equal(r.status, 'synced', JSON.stringify(r));
      return r;
    },
    /** Syncs until the order is here and pred(order) holds; resolves to the order. */
    async waitFor(orderId, pred = () => true, what = `order ${orderId} on device ${name}`) {
      return until(what, async () => {
        await dev.sync();
        const o = dev.get(orderId);
        return o.ok && pred(o.result) && o.result;
      });
    },
  };
  dev.connect(server);
  return dev;
}
