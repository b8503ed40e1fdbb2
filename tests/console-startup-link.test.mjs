// console-startup-link.test.mjs: web/sync-link.mjs's startLink, in Node, against a real HTTP
// server on 127.0.0.1 that answers GET /api/local-pairing as told, or holds it until told. What a
// console start does with each answer (issue 4): a first start waits for the answer; a "no sync
// here" (NO_SYNC) is remembered, so the next start opens at once and asks again only when the
// page calls recheck(); a sync server that came since is found by that recheck and its pairing
// kept (the start after opens the shop's store, asking nothing); answers that are no "no"
// (a failure, no server) teach nothing. tests/console-startup.test.mjs shows it in Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { linkKey, noSyncKey, startLink } from '../web/sync-link.mjs';

const GOOD = { shop_id: 'demo', device_id: 'dev-0123456789ab', token: 'B'.repeat(43) };
let answer = { status: 204 };
let asked = 0;
let held = null; // when set, requests wait here: {requests: [res...], arrived()}
let server;
let origin;
before(async () => {
  server = http.createServer((req, res) => {
    asked++;
    if (held) {
      held.requests.push(res);
      held.arrived();
      return;
    }
    reply(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((ok) => server.close(ok)));

function reply(res) {
  const { status, body } = answer;
  res.writeHead(status, body ? { 'content-type': 'application/json' } : {});
  res.end(body ? JSON.stringify(body) : undefined);
}

// localStorage's shape over a Map.
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k), map: m };
}

// A promise's state without waiting for it: 'pending' or 'settled'.
const state = (p) => Promise.race([p.then(() => 'settled', () => 'settled'), Promise.resolve('pending')]);

test('console startup link: a first start waits for the answer; a "no sync" is remembered and the next start does not ask', async () => {
  const storage = memoryStorage();
  answer = { status: 204 };
  asked = 0;
  // The first start waits: held at the server, startLink has not resolved.
  let arrived;
  held = { requests: [], arrived: () => arrived() };
  const waiting = new Promise((ok) => (arrived = ok));
  const first = startLink({ server: origin, storage });
  await waiting;
  assert.equal(await state(first), 'pending', 'a first start waits for the server\'s answer');
  const res = held.requests[0];
  held = null;
  reply(res);
  const r1 = await first;
  assert.deepEqual([r1.link, r1.why.code, r1.recheck], [null, 'NO_SYNC', null]);
  assert.equal(Number.isFinite(JSON.parse(storage.map.get(noSyncKey(origin, null))).at), true, 'the "no" is remembered');

  // The next start answers at once, without a request; recheck() asks, and the "no" stays.
  const r2 = await startLink({ server: origin, storage });
  assert.deepEqual([r2.link, r2.why.code, typeof r2.recheck], [null, 'NO_SYNC', 'function']);
  assert.equal(asked, 1, 'the start itself asked nothing');
  const again = await r2.recheck();
  assert.deepEqual([again.link, again.why.code, asked], [null, 'NO_SYNC', 2]);
  assert.equal(storage.map.has(noSyncKey(origin, null)), true);
  assert.equal(storage.map.has(linkKey(origin, null)), false, 'no pairing kept');
});

test('console startup link: a sync server that came since is found by the recheck, kept, and the start after asks nothing', async () => {
  const storage = memoryStorage();
  storage.setItem(noSyncKey(origin, null), JSON.stringify({ at: 1 }));
  answer = { status: 200, body: GOOD };
  asked = 0;
  const r = await startLink({ server: origin, storage });
  assert.deepEqual([r.link, r.why.code, asked], [null, 'NO_SYNC', 0], 'opens standalone at once, as remembered');
  assert.deepEqual(await r.recheck(), { link: { server: origin, ...GOOD } });
  assert.deepEqual(JSON.parse(storage.map.get(linkKey(origin, null))), GOOD, 'the pairing is kept');
  assert.equal(storage.map.has(noSyncKey(origin, null)), false, 'and the "no" forgotten');
  // Paired: the kept pairing, nothing asked, nothing to recheck; whatever the server says now.
  answer = { status: 204 };
  const paired = await startLink({ server: origin, storage });
  assert.deepEqual(paired, { link: { server: origin, ...GOOD }, recheck: null });
  assert.equal(asked, 1);
});

test('console startup link: a failed or impossible check teaches nothing, and a value that is no "no" is not one', async () => {
  // Remembered "no", then the recheck fails (500, then no server at all): still remembered.
  const storage = memoryStorage();
  storage.setItem(noSyncKey(origin, null), JSON.stringify({ at: 1 }));
  answer = { status: 500, body: { error: { code: 'INTERNAL' } } };
  const r = await startLink({ server: origin, storage });
  assert.equal((await r.recheck()).why.code, 'PAIRING_FAILED');
  assert.equal(storage.map.get(noSyncKey(origin, null)), JSON.stringify({ at: 1 }), 'a failure changes nothing');
  const closed = http.createServer();
  await new Promise((ok) => closed.listen(0, '127.0.0.1', ok));
  const gone = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((ok) => closed.close(ok));
  storage.setItem(noSyncKey(gone, null), JSON.stringify({ at: 2 }));
  const off = await startLink({ server: gone, storage });
  assert.equal((await off.recheck()).why.code, 'OFFLINE');
  assert.equal(storage.map.get(noSyncKey(gone, null)), JSON.stringify({ at: 2 }));

  // A first start that fails is no "no": nothing is remembered, the next start waits again.
  for (const [given, code] of [[{ status: 500, body: { error: { code: 'INTERNAL' } } }, 'PAIRING_FAILED'], [null, 'OFFLINE']]) {
    const fresh = memoryStorage();
    answer = given ?? answer;
    const first = await startLink({ server: given ? origin : gone, storage: fresh });
    assert.deepEqual([first.link, first.why.code, first.recheck, fresh.map.size], [null, code, null, 0], code);
  }

  // Values under the key that learn() did not write: asked, and waited for, as a first start.
  answer = { status: 204 };
  for (const value of ['x', '1', 'null', '{}', '{"at": "soon"}', '[]']) {
    const bad = memoryStorage();
    bad.setItem(noSyncKey(origin, null), value);
    asked = 0;
    const s = await startLink({ server: origin, storage: bad });
    assert.deepEqual([s.link, s.why.code, s.recheck, asked], [null, 'NO_SYNC', null, 1], value);
    assert.equal(Number.isFinite(JSON.parse(bad.map.get(noSyncKey(origin, null))).at), true, `${value}: replaced by the answer`);
  }

  // Storage that refuses everything: every start asks, and still gets its answer.
  const refusing = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); }, removeItem() { throw new Error('denied'); } };
  asked = 0;
  const s = await startLink({ server: origin, storage: refusing });
  assert.deepEqual([s.link, s.why.code, s.recheck, asked], [null, 'NO_SYNC', null, 1]);
});
