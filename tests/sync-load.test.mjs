// sync-load.test.mjs: the sync server under load on loopback: 50 devices of one shop push 200
// operations each, all at once, in batches of 20 (the real web/server.mjs, a temp SQLite file,
// every commit fsynced). Asserted: every operation applied exactly once (each device's seqs 1..200
// answered ok, one row each in SQLite, the shop's orders what applying each request once makes).
// Measured, never asserted (a shared machine): operations per second and the p99 latency of a
// push, printed as a test diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCore } from './lib/engines.mjs';
import { T0, device, numbered, openServerDb, p99, pair, startServer, tempDataDir, workload } from './lib/sync-server.mjs';

const DEVICES = 50;
const OPS = 200;
const BATCH = 20;

test(`sync load: ${DEVICES} devices x ${OPS} operations concurrently, each applied exactly once`, { timeout: 180000 }, async (t) => {
  const dir = await tempDataDir(t);
  const server = await startServer(dir);
  t.after(() => server.stop());
  const devices = [];
  for (let d = 0; d < DEVICES; d++) {
    const dev = device(server.origin, await pair(server.origin, 'demo', server.code));
    const requests = workload(`LOAD${d}`, OPS);
    devices.push({ dev, requests, ops: numbered(requests, `load${d}`) });
  }

  const latencies = [];
  const started = performance.now();
  const answers = await Promise.all(devices.map(async ({ dev, ops }) => {
    const results = [];
    for (let i = 0; i < ops.length; i += BATCH) {
      const t0 = performance.now();
      const r = await dev.push(ops.slice(i, i + BATCH));
      latencies.push(performance.now() - t0);
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      results.push(...r.body.results);
    }
    return results;
  }));
  const seconds = (performance.now() - started) / 1000;
  const total = DEVICES * OPS;
  t.diagnostic(`sync load: ${total} operations from ${DEVICES} devices in ${seconds.toFixed(1)} s: ` +
    `${Math.round(total / seconds)} operations/s; push of ${BATCH}: p99 ${p99(latencies).toFixed(0)} ms, ` +
    `median ${[...latencies].sort((a, b) => a - b)[latencies.length >> 1].toFixed(0)} ms (${latencies.length} pushes)`);

  for (const [d, results] of answers.entries()) {
    assert.deepEqual(results.map((r) => r.seq), devices[d].ops.map((o) => o.seq), `device ${d}: every seq answered, in order`);
    const refused = results.filter((r) => !r.ok);
    assert.deepEqual(refused, [], `device ${d}: all accepted (an operation applied twice makes a later one refused)`);
  }
  const db = openServerDb(dir);
  t.after(() => db.close());
  const ids = devices.map((x) => x.dev.device_id);
  const inList = `(${ids.map(() => '?').join(',')})`;
  assert.equal(db.prepare(`SELECT count(*) FROM ops WHERE device_id IN ${inList}`).pluck().get(...ids), total, 'one row per operation');
  assert.equal(db.prepare(`SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM ops WHERE device_id IN ${inList})`).pluck().get(...ids), total);
  assert.deepEqual(db.prepare(`SELECT DISTINCT last_seq FROM devices WHERE device_id IN ${inList}`).pluck().all(...ids), [OPS]);

  // The shop's orders, pulled from 0 and loaded into a core, are what each request once makes.
  const states = new Map();
  for (let since = 0; ;) {
    const r = await devices[0].dev.pull({ since, limit: 1000 });
    for (const c of r.body.changes) states.set(c.order_id, c.state);
    since = r.body.version;
    if (!r.body.more) break;
  }
  const orderIds = devices.flatMap((x) => x.requests.filter((q) => q.cmd === 'order.import').map((q) => q.order.id));
  const at = T0 + 30 * 86400000;
  const server1 = await createCore();
  const reference = await createCore();
  t.after(() => { server1.close(); reference.close(); });
  for (let i = 0; i < orderIds.length; i += 1000) { // sync.base takes 1000 orders at a time
    const orders = orderIds.slice(i, i + 1000).map((id) => ({ order_id: id, state: states.get(id) }));
    const base = server1.exec({ cmd: 'sync.base', at, orders });
    assert.equal(base.ok, true, JSON.stringify(base).slice(0, 300));
  }
  for (const { requests } of devices) for (const request of requests) reference.exec(request);
  for (const id of orderIds) {
    assert.deepEqual(server1.exec({ cmd: 'order.get', at, order_id: id }), reference.exec({ cmd: 'order.get', at, order_id: id }), id);
  }
});
