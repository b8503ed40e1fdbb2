// sync-server.test.mjs: the sync server (web/server/), as devices use it over HTTP: the real
// web/server.mjs as a child process on a free port, with a temp data folder (a real SQLite
// file), the real wasm core inside it. docs/sync.md is the contract these tests hold it to:
// pairing and tokens, each operation applied exactly once (duplicates, gaps, refusals consuming
// their seq), pulls since a cursor, the error answers (400, 401, 409, 413), nothing of another
// shop visible, and a kill -9 in the middle of a push, then a restart and the client's retry.
// The shop's state is compared through the core itself: pulled states loaded with sync.base into
// a fresh core, against a reference core that applied the same requests once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createCore } from './lib/engines.mjs';
import { startSyncServer } from '../web/server/main.mjs';
import {
  T0, call, device, numbered, openServerDb, order, pair, pairingCode, startServer, tempDataDir, workload,
} from './lib/sync-server.mjs';

let dataDir;
let server;
let other; // a device of shop `other`, made by the operator's tool
before(async () => {
  dataDir = await tempDataDir();
  server = await startServer(dataDir);
  other = device(server.origin, await pair(server.origin, 'other', await pairingCode(dataDir, 'other')));
});
after(async () => {
  await server?.stop();
  const { rm } = await import('node:fs/promises');
  await rm(dataDir, { recursive: true, force: true });
});

const demoDevice = async () => device(server.origin, await pair(server.origin, 'demo', server.code));
const db = () => openServerDb(dataDir);
function rows(sql, ...args) {
  const d = db();
  try {
    return d.prepare(sql).all(...args);
  } finally {
    d.close();
  }
}
const opRows = (dev) => rows('SELECT seq, op, ok FROM ops WHERE device_id = ? ORDER BY seq', dev.device_id);
const lastSeq = (dev) => rows('SELECT last_seq FROM devices WHERE device_id = ?', dev.device_id)[0].last_seq;
const shopVersion = (shopId) => rows('SELECT version FROM shops WHERE shop_id = ?', shopId)[0].version;

// Every change of a shop, from 0, paged: [{order_id, version, state}] in version order.
async function pullAll(dev, limit = 500) {
  const all = [];
  let since = 0;
  for (;;) {
    const r = await dev.pull({ since, limit });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    all.push(...r.body.changes);
    since = r.body.version;
    if (!r.body.more) return { changes: all, version: since };
  }
}

// order.get of each order, as a core sees the given states (loaded with sync.base) at `at`.
async function viewOfStates(states, at) {
  const core = await createCore();
  try {
    const base = core.exec({ cmd: 'sync.base', at, orders: states.map((s) => ({ order_id: s.order_id, state: s.state })) });
    assert.equal(base.ok, true, JSON.stringify(base));
    return Object.fromEntries(states.map((s) => [s.order_id, core.exec({ cmd: 'order.get', at, order_id: s.order_id })]));
  } finally {
    core.close();
  }
}
// order.get of each order of a core that applied `requests` once, in order.
async function viewOfRequests(requests, orderIds, at) {
  const core = await createCore();
  try {
    for (const request of requests) core.exec(request);
    return Object.fromEntries(orderIds.map((id) => [id, core.exec({ cmd: 'order.get', at, order_id: id })]));
  } finally {
    core.close();
  }
}

test('sync server: a fresh data folder holds shop demo with the 30 demo orders; a device pulls them, paged', async () => {
  const dev = await demoDevice();
  const { changes, version } = await pullAll(dev, 7);
  const ids = changes.map((c) => c.order_id);
  assert.equal(new Set(ids).size, ids.length, 'each order once');
  assert.equal(ids.filter((id) => /^DEMO-\d\d$/.test(id)).length, 30, 'the 30 demo orders');
  const versions = changes.map((c) => c.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'ascending versions');
  assert.ok(version >= versions.at(-1));
  for (const c of changes) assert.match(c.state, /^[A-Za-z0-9+/]+=*$/, 'an opaque base64 state');
  const r = await dev.pull({ since: version });
  assert.deepEqual(r.body, { changes: [], version, more: false }, 'nothing new since the cursor');
  const view = await viewOfStates(changes, T0);
  assert.equal(view['DEMO-14'].ok, true);
  assert.equal(view['DEMO-14'].result.stage, 'confirmed', 'the states are the demo shop\'s');
});

test('sync server: pairing with the printed code, the operator\'s code, and the local console; wrong pairs get 401', async () => {
  const a = await pair(server.origin, 'demo', server.code);
  const b = await pair(server.origin, 'demo', server.code.toLowerCase().replace('-', ' '));
  assert.match(a.device_id, /^dev-[0-9a-f]{12}$/);
  assert.notEqual(a.device_id, b.device_id, 'the code pairs more than one device');
  assert.notEqual(a.token, b.token);

  const wrong = [
    { shop_id: 'demo', code: 'AAAAA-AAAAA' },
    { shop_id: 'other', code: server.code }, // demo's code is not other's
    { shop_id: 'nowhere', code: server.code },
    { shop_id: 'demo', code: 'short' },
  ];
  for (const body of wrong) {
    const r = await call(server.origin, '/api/pair', { body });
    assert.equal(r.status, 401, JSON.stringify(body));
    assert.equal(r.body.error.code, 'UNAUTHORIZED');
    assert.equal(r.body.error.message, 'unknown shop or pairing code', 'the same answer whatever was wrong');
  }
  assert.equal((await call(server.origin, '/api/pair', { body: { shop_id: 'demo' } })).status, 400);
  assert.equal((await call(server.origin, '/api/pair', { body: ['demo'] })).status, 400);

  const local = await call(server.origin, '/api/local-pairing', { method: 'GET' });
  assert.equal(local.status, 200);
  assert.equal(local.body.shop_id, 'demo');
  assert.equal(local.headers.get('cache-control'), 'no-store');
  assert.equal((await device(server.origin, local.body).pull({ since: 0, limit: 1 })).status, 200, 'the local token works');
  // A page elsewhere whose name was rebound to 127.0.0.1 still sends its own Host: refused.
  const rebound = await new Promise((resolve, reject) => {
    http.get(`${server.origin}/api/local-pairing`, { headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
  assert.equal(rebound, 403);

  // Tokens are stored as hashes only.
  const stored = rows('SELECT token_hash FROM devices WHERE device_id = ?', a.device_id)[0].token_hash;
  assert.equal(stored.length, 32);
  assert.ok(!stored.toString('latin1').includes(a.token) && !JSON.stringify(rows('SELECT * FROM devices')).includes(a.token));
});

test('sync server: no, wrong or malformed token: 401 for push and pull, and nothing is applied', async () => {
  const dev = await demoDevice();
  const version = shopVersion('demo');
  const ops = numbered([{ cmd: 'order.import', at: T0, order: order('AUTH-1') }], 'auth');
  for (const token of [undefined, '', 'x'.repeat(43), dev.token.slice(1), `${dev.token}x`]) {
    for (const urlPath of ['/api/sync/push', '/api/sync/pull']) {
      const r = await call(server.origin, urlPath, { token, body: urlPath.endsWith('push') ? { ops } : { since: 0 } });
      assert.equal(r.status, 401, `${urlPath} with ${JSON.stringify(token)}`);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    }
  }
  const basic = await call(server.origin, '/api/sync/pull', { headers: { authorization: `Basic ${dev.token}` }, body: { since: 0 } });
  assert.equal(basic.status, 401);
  assert.equal(shopVersion('demo'), version, 'nothing changed');
  assert.equal(rows("SELECT count(*) AS n FROM ops WHERE op = 'auth-1'")[0].n, 0);
});

test('sync server: the same push twice: the second gets the stored answers, nothing is applied again', async () => {
  const dev = await demoDevice();
  const ops = numbered(workload('TWICE', 12), 'twice');
  const first = await dev.push(ops);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body.results.map((r) => [r.seq, r.op, r.ok]), ops.map((o) => [o.seq, o.op, true]));
  const version = shopVersion('demo');
  assert.equal(first.body.version, version);

  const second = await dev.push(ops);
  assert.equal(second.status, 200);
  assert.deepEqual(second.body.results, first.body.results, 'the stored answers, byte for byte the same');
  assert.equal(second.body.version, version, 'no new version');
  assert.equal(opRows(dev).length, 12, 'one row per operation');
  // The same op id under a new seq (a device that renumbered) is not applied again either.
  const again = await dev.push([{ ...ops[4], seq: 13 }]);
  assert.deepEqual(again.body.results[0].response, first.body.results[4].response);
  assert.equal(shopVersion('demo'), version);
  // A seq already applied under another op id is refused, not guessed.
  const reused = await dev.push([{ seq: 3, op: 'twice-other', request: { ...ops[2].request, op: 'twice-other' } }]);
  assert.equal(reused.status, 409);
  assert.equal(reused.body.error.code, 'SEQ_REUSED');
  // The scans were applied once each: six scanned of six, and a seventh is one too many.
  const r = await dev.push(numbered([{ cmd: 'pack.scan', at: T0 + 3600000, order_id: 'TWICE-1', sku: 'SKU-1' }], 'twice', 14));
  assert.equal(r.body.results[0].ok, false);
  assert.equal(r.body.results[0].response.error.code, 'NOT_ORDERED', JSON.stringify(r.body.results[0]));
});

test('sync server: out of order: a gap stops the batch (409) after what came before it; the missing seq fills it', async () => {
  const dev = await demoDevice();
  const ops = numbered(workload('GAP', 6), 'gap');
  const early = await dev.push([ops[2], ops[3]]);
  assert.equal(early.status, 409);
  assert.equal(early.body.error.code, 'GAP');
  assert.deepEqual(early.body.gap, { expected: 1 });
  assert.deepEqual(early.body.results, []);
  assert.equal(lastSeq(dev), 0, 'nothing applied');

  const partial = await dev.push([ops[0], ops[1], ops[3]]);
  assert.equal(partial.status, 409);
  assert.deepEqual(partial.body.results.map((r) => r.seq), [1, 2], 'what came before the gap is applied');
  assert.deepEqual(partial.body.gap, { expected: 3 });
  assert.equal(lastSeq(dev), 2);
  assert.equal(partial.body.version, shopVersion('demo'));

  const rest = await dev.push(ops.slice(1)); // 2 again (stored), then 3.. in order
  assert.equal(rest.status, 200);
  assert.deepEqual(rest.body.results.map((r) => [r.seq, r.ok]), [[2, true], [3, true], [4, true], [5, true], [6, true]]);
  assert.deepEqual(opRows(dev).map((r) => r.seq), [1, 2, 3, 4, 5, 6]);
});

test('sync server: a refused operation consumes its seq, keeps its answer, and the queue goes on', async () => {
  const dev = await demoDevice();
  const version = shopVersion('demo');
  const ops = numbered([
    { cmd: 'order.confirm', at: T0, order_id: 'NO-SUCH-ORDER' },
    { cmd: 'sync.base', at: T0, orders: [] }, // the server's command, never a device's
    { cmd: 'tick', at: T0 + 365 * 86400000 }, // time is the server's to apply
    { cmd: 'order.import', at: T0, order: order('REFUSE-1') },
  ], 'refuse');
  const r = await dev.push(ops);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.results.map((x) => x.ok), [false, false, false, true]);
  assert.equal(r.body.results[0].response.error.code, 'NOT_FOUND');
  assert.equal(r.body.results[1].response.error.code, 'BAD_REQUEST');
  assert.match(r.body.results[2].response.error.message, /tick is not accepted/);
  assert.equal(lastSeq(dev), 4);
  assert.deepEqual(opRows(dev).map((x) => [x.seq, x.ok]), [[1, 0], [2, 0], [3, 0], [4, 1]]);
  assert.equal(shopVersion('demo'), version + 1, 'only the import changed the shop (one order)');
  const again = await dev.push(ops.slice(0, 1));
  assert.deepEqual(again.body.results, r.body.results.slice(0, 1), 'the refusal is the stored answer');
});

test('sync server: a body over the limit is 413, malformed JSON and wrong shapes are 400; nothing is applied', async () => {
  const dev = await demoDevice();
  const version = shopVersion('demo');
  const big = numbered([{ cmd: 'order.import', at: T0, order: { ...order('BIG-1'), note: 'x'.repeat(2 * 1024 * 1024) } }], 'big');
  const tooLarge = await dev.push(big);
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.body.error.code, 'TOO_LARGE');

  const malformed = ['{"ops": [', 'not json', '', '\u0000', '{"ops": []} trailing'];
  for (const raw of malformed) {
    const r = await call(server.origin, '/api/sync/push', { token: dev.token, raw });
    assert.equal(r.status, 400, JSON.stringify(raw));
    assert.equal(r.body.error.code, 'BAD_JSON');
  }
  const invalidUtf8 = await call(server.origin, '/api/sync/push', { token: dev.token, raw: Buffer.from([0x7b, 0xff, 0x7d]) });
  assert.equal(invalidUtf8.status, 400);

  const good = numbered([{ cmd: 'order.import', at: T0, order: order('SHAPE-1') }], 'shape')[0];
  const shapes = [
    [], 'ops', { ops: 'x' }, { ops: [null] }, { ops: [{ ...good, seq: 0 }] }, { ops: [{ ...good, seq: 1.5 }] },
    { ops: [{ ...good, op: '' }] }, { ops: [{ ...good, request: [] }] }, { ops: [{ ...good, request: { ...good.request, op: 'else' } }] },
    { ops: [{ ...good, request: { at: T0 } }] },
    { ops: [good, { seq: 2, op: 'shape-2' }] }, // a good first op, a bad second: the batch is refused whole
    { ops: Array.from({ length: 501 }, (_, i) => ({ ...good, seq: i + 1 })) },
  ];
  for (const body of shapes) {
    const r = await call(server.origin, '/api/sync/push', { token: dev.token, body });
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 200));
    assert.equal(r.body.error.code, 'BAD_REQUEST');
    assert.equal(typeof r.body.error.message, 'string');
  }
  for (const body of [{}, { since: -1 }, { since: '0' }, { since: 0, limit: 0 }, { since: 0, limit: 1001 }, { since: 0, include: 'DEMO-01' }, { since: 0, include: [1] }]) {
    assert.equal((await dev.pull(body)).status, 400, JSON.stringify(body));
  }
  assert.equal(lastSeq(dev), 0);
  assert.equal(shopVersion('demo'), version, 'nothing changed');
  // The server is fine afterwards.
  assert.equal((await dev.push([good])).status, 200);
  const unknown = await call(server.origin, '/api/nothing', { method: 'GET' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'NOT_FOUND');
  assert.equal((await call(server.origin, '/api/sync/push', { method: 'GET', token: dev.token })).status, 405);
});

test('sync server: another shop\'s token is 401 for this shop, and nothing of another shop is ever visible', async () => {
  const demo = await demoDevice();
  const demoVersion = shopVersion('demo');
  const ops = numbered([{ cmd: 'order.confirm', at: T0, order_id: 'DEMO-14' }], 'other-x');
  const named = await other.push(ops, { shop_id: 'demo' });
  assert.equal(named.status, 401);
  assert.equal((await other.pull({ since: 0, shop_id: 'demo' })).status, 401);
  assert.equal((await demo.pull({ since: 0, shop_id: 'other' })).status, 401);

  // Its own shop: empty, with its own versions; demo's orders cannot be reached by id.
  const own = await other.pull({ since: 0, include: ['DEMO-01', 'DEMO-14'] });
  assert.equal(own.status, 200);
  assert.deepEqual(own.body, { changes: [], version: 0, more: false });
  const pushed = await other.push(ops);
  assert.equal(pushed.body.results[0].ok, false);
  assert.equal(pushed.body.results[0].response.error.code, 'NOT_FOUND', 'DEMO-14 does not exist in shop other');
  const imported = await other.push(numbered([{ cmd: 'order.import', at: T0, order: order('DEMO-14') }], 'other-x', 2));
  assert.equal(imported.body.results[0].ok, true, 'the same order id in another shop is another order');
  assert.equal(shopVersion('other'), 1);
  assert.equal(shopVersion('demo'), demoVersion, 'shop demo untouched');
  const demoView = await pullAll(demo);
  assert.ok(!demoView.changes.some((c) => c.version > demoVersion));
  // The same op id in two shops is two operations.
  const sameOp = await demo.push(numbered([{ cmd: 'order.import', at: T0, order: order('SHARED-OP') }], 'other-x', 1));
  assert.equal(sameOp.body.results[0].ok, true);
  assert.equal(sameOp.body.results[0].response.result.order.id, 'SHARED-OP');
});

test('sync server: pull since a cursor gives what changed after it, once per order, and include gives named orders', async () => {
  const dev = await demoDevice();
  const { version: cursor } = await pullAll(dev);
  const ops = numbered(workload('PULL', 11), 'pull'); // PULL-1 in full (9 steps), PULL-2 imported and checked
  assert.equal((await dev.push(ops)).status, 200);
  const r = await dev.pull({ since: cursor });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.changes.map((c) => c.order_id).sort(), ['PULL-1', 'PULL-2'], 'each changed order once, at its latest');
  assert.ok(r.body.changes.every((c) => c.version > cursor && c.version <= r.body.version));
  assert.equal(r.body.version, shopVersion('demo'));
  const view = await viewOfStates(r.body.changes, T0 + 86400000);
  const expected = await viewOfRequests(ops.map((o) => o.request), ['PULL-1', 'PULL-2'], T0 + 86400000);
  assert.deepEqual(view, expected, 'the pulled states are what the requests make');

  const named = await dev.pull({ since: r.body.version, include: ['DEMO-03', 'NOPE'] });
  assert.deepEqual(named.body.changes.map((c) => c.order_id), ['DEMO-03'], 'include: the order whatever its version');
  assert.equal(named.body.version, r.body.version);
  assert.equal(named.body.more, false);
});

test('sync server: two devices of one shop: one op id is applied once, whichever device sends it', async () => {
  const [a, b] = [await demoDevice(), await demoDevice()];
  const request = { cmd: 'order.import', at: T0, order: order('BOTH-1', { quantity: 1 }) };
  const scan = { cmd: 'pack.scan', at: T0 + 180000, order_id: 'BOTH-1', sku: 'SKU-1' };
  const steps = [request, { cmd: 'line.check', at: T0 + 60000, order_id: 'BOTH-1', line_id: 'L1', result: 'ok' },
    { cmd: 'order.confirm', at: T0 + 120000, order_id: 'BOTH-1' }];
  assert.equal((await a.push(numbered(steps, 'both-a'))).status, 200);
  const scanOp = { op: 'both-scan', request: { ...scan, op: 'both-scan' } };
  const fromA = await a.push([{ seq: 4, ...scanOp }]);
  const fromB = await b.push([{ seq: 1, ...scanOp }]);
  assert.equal(fromA.body.results[0].ok, true);
  assert.deepEqual(fromB.body.results[0].response, fromA.body.results[0].response, 'the stored answer');
  assert.equal(fromB.body.version, fromA.body.version, 'not applied twice');
  assert.equal(lastSeq(b), 1, 'it still consumed b\'s seq');
});

test('sync server: web/server/ is not served as static files, and one server per data folder', async () => {
  for (const p of ['/server/storage-sqlite.mjs', '/server/main.mjs', '/server.mjs']) {
    assert.equal((await fetch(server.origin + p)).status, 404, p);
  }
  const sw = await (await fetch(`${server.origin}/sw.js`)).text();
  assert.doesNotMatch(sw, /\/server\//, 'not in the offline shell either');
  await assert.rejects(startServer(dataDir), /in use by another packdesk server/);
});

test('sync server: restarted, it rebuilds each shop from SQLite: orders, their versions and the shop settings', async (t) => {
  const dir = await tempDataDir(t);
  let s = await startServer(dir);
  t.after(() => s.stop());
  const dev = device(s.origin, await pair(s.origin, 'demo', s.code));
  const ops = numbered([
    ...workload('RESTART', 7), // RESTART-1 imported, checked, confirmed, 4 of 6 units scanned
    { cmd: 'product.set', at: T0 + 3600000, sku: 'KNIFE-2', classes: ['sharp'] },
  ], 'restart');
  assert.equal((await dev.push(ops)).status, 200);
  const before1 = await pullAll(dev);
  await s.stop();
  s = await startServer(dir);
  assert.doesNotMatch(s.output(), /created with the demo orders/, 'not seeded again');
  const again = device(s.origin, dev);
  const after1 = await pullAll(again);
  assert.deepEqual(after1, before1, 'the same states at the same versions');
  // The rebuilt core has the scans: two more fit, a third is one too many.
  const more = numbered([
    { cmd: 'pack.scan', at: T0 + 7200000, order_id: 'RESTART-1', sku: 'SKU-1' },
    { cmd: 'pack.scan', at: T0 + 7260000, order_id: 'RESTART-1', sku: 'SKU-1' },
    { cmd: 'pack.scan', at: T0 + 7320000, order_id: 'RESTART-1', sku: 'SKU-1' },
    // The catalog came back too: a sharp product's order asks for its packing guideline.
    { cmd: 'order.import', at: T0 + 7400000, order: order('RESTART-2', { sku: 'KNIFE-2', at: T0 + 7400000 }) },
  ], 'restart', 9);
  const r = await again.push(more);
  assert.deepEqual(r.body.results.map((x) => x.ok), [true, true, false, true]);
  const withSharp = await viewOfStates((await again.pull({ since: 0, include: ['RESTART-2'] })).body.changes
    .filter((c) => c.order_id === 'RESTART-2'), T0 + 7400000);
  assert.ok(withSharp['RESTART-2'].result.checklist.some((c) => c.item === 'sharp'), JSON.stringify(withSharp['RESTART-2'].result.checklist));
});

test('sync server: killed (kill -9) in the middle of a push and restarted; the client retries: nothing lost, nothing doubled', async (t) => {
  const dir = await tempDataDir(t);
  let s = await startServer(dir);
  t.after(() => s.stop());
  const dev = device(s.origin, await pair(s.origin, 'demo', s.code));
  const requests = workload('KILL', 500);
  const ops = numbered(requests, 'kill');
  const watch = openServerDb(dir);
  t.after(() => watch.close());
  const count = watch.prepare('SELECT count(*) AS n FROM ops WHERE device_id = ?').pluck();

  const pushing = dev.push(ops).then((r) => ({ r }), (err) => ({ err }));
  let applied = 0;
  while ((applied = count.get(dev.device_id)) < 50) await new Promise((ok) => setTimeout(ok, 2));
  const { signal } = await s.kill9();
  assert.equal(signal, 'SIGKILL');
  const outcome = await pushing;
  assert.ok(outcome.err, `the push had no answer (it was cut at ${applied} operations)`);
  applied = count.get(dev.device_id);
  assert.ok(applied > 0 && applied < ops.length, `killed in the middle: ${applied} of ${ops.length} committed`);

  s = await startServer(dir);
  const retried = await device(s.origin, dev).push(ops);
  assert.equal(retried.status, 200, JSON.stringify(retried.body).slice(0, 300));
  assert.deepEqual(retried.body.results.map((r) => r.seq), ops.map((o) => o.seq));
  const refused = retried.body.results.filter((r) => !r.ok);
  assert.deepEqual(refused, [], 'every operation accepted: none lost, none applied twice (a second scan would be refused)');
  const stored = count.get(dev.device_id);
  assert.equal(stored, ops.length, 'one row per operation');
  assert.equal(watch.prepare('SELECT count(DISTINCT seq) FROM ops WHERE device_id = ?').pluck().get(dev.device_id), ops.length);

  const orderIds = [...new Set(requests.filter((q) => q.cmd === 'order.import').map((q) => q.order.id))];
  const pulled = (await device(s.origin, dev).pull({ since: 0, include: orderIds, limit: 1 })).body.changes
    .filter((c) => orderIds.includes(c.order_id));
  assert.equal(pulled.length, orderIds.length);
  const at = T0 + 30 * 86400000;
  assert.deepEqual(await viewOfStates(pulled, at), await viewOfRequests(requests, orderIds, at),
    'the shop is what applying each request once makes');
});

test('sync server: the server ticks each shop: what time alone decides is stored and pulled; a tick that changes nothing makes no version', async (t) => {
  const dir = await tempDataDir(t);
  const s = await startServer(dir, { PACKDESK_TICK_MS: '100' });
  t.after(() => s.stop());
  const dev = device(s.origin, await pair(s.origin, 'demo', s.code));
  const placed = Date.now() - 25 * 3600000; // unpaid for 25 h: past the 24 h to pay (C3) by now
  const unpaid = { ...order('TICK-1', { at: placed }) };
  delete unpaid.paid_at;
  const r = await dev.push(numbered([{ cmd: 'order.import', at: placed, order: unpaid }], 'tick'));
  assert.equal(r.body.results[0].response.result.order.stage, 'unpaid', 'as of its own at, it is not late yet');
  const imported = r.body.version;
  let change;
  for (let i = 0; i < 100 && !change; i++) {
    change = (await dev.pull({ since: imported })).body.changes.find((c) => c.order_id === 'TICK-1');
    if (!change) await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.ok(change, 'the server\'s tick changed the order');
  const view = await viewOfStates([change], Date.now());
  assert.equal(view['TICK-1'].result.stage, 'cancelled');
  const { version } = await pullAll(dev);
  await new Promise((ok) => setTimeout(ok, 500)); // a few more ticks
  const later = (await dev.pull({ since: version })).body.changes;
  assert.deepEqual(later.map((c) => [c.order_id, c.version]), [], 'ticks with nothing to decide change nothing');
});

// In-process, with the real storage and cores: what the marketplace module builds on.
test('sync server: the marketplace hooks: an accepted operation queues its outbox items in its own commit; server operations apply once', async (t) => {
  const dir = await tempDataDir(t);
  const sync = await startSyncServer({ dataDir: dir, tickMs: 0, log: () => {} });
  t.after(() => sync.close());
  const told = [];
  sync.sync.onAccepted(({ request, seq }) => (request.cmd === 'order.ship' ? [{ kind: 'ship', payload: { order_id: request.order_id, seq } }] : []));
  sync.sync.onCommitted((c) => told.push([c.deviceId, c.seq, c.ok, c.outbox]));
  const dev = await sync.sync.pairLocal('demo');
  const ship = (seq, op) => ({ seq, op, request: { cmd: 'order.ship', at: Date.now(), op, order_id: 'DEMO-20' } });
  // DEMO-20 is packed: set the handover, then ship (queued), then ship again (refused: nothing queued).
  const ops = [
    { seq: 1, op: 'h-1', request: { cmd: 'handover.set', at: Date.now(), op: 'h-1', order_id: 'DEMO-20', method: 'pickup', note: 'keep upright' } },
    ship(2, 'h-2'), ship(3, 'h-3'),
  ];
  const r = await sync.sync.push(dev, { ops });
  assert.deepEqual(r.body.results.map((x) => x.ok), [true, true, false], JSON.stringify(r.body.results[2]));
  const pending = await sync.storage.outboxPending();
  assert.deepEqual(pending.map((p) => [p.device_id, p.seq, p.kind, p.payload]), [[dev.device_id, 2, 'ship', { order_id: 'DEMO-20', seq: 2 }]]);
  assert.deepEqual(told, [[dev.device_id, 1, true, 0], [dev.device_id, 2, true, 1], [dev.device_id, 3, false, 0]]);
  await sync.storage.settleOutbox(pending[0].id, 'done', { status: 200 });
  assert.deepEqual(await sync.storage.outboxPending(), []);

  // A webhook's operation, twice (the marketplace retries): applied once, both answered alike.
  const request = { cmd: 'request.open', at: Date.now(), op: 'wh-1', order_id: 'DEMO-15', kind: 'cancel', reason: 'changed my mind' };
  const first = await sync.sync.applyServerOp('demo', { op: 'wh-1', request });
  const second = await sync.sync.applyServerOp('demo', { op: 'wh-1', request });
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.deepEqual(second.response, first.response);
  assert.deepEqual([first.seq, second.seq], [1, 2]);
  const view = await sync.storage.pull('demo', { since: 0, limit: 1000, include: [] });
  const demo15 = view.changes.filter((c) => c.order_id === 'DEMO-15');
  const got = await viewOfStates(demo15, Date.now());
  assert.equal(got['DEMO-15'].result.requests.filter((q) => q.kind === 'cancel').length, 1, 'one request, not two');
  await assert.rejects(sync.sync.applyServerOp('demo', { op: 'wh-2', request }), { status: 400 });
});
