// sync-link.test.mjs: web/sync-link.mjs's findLink, in Node: what a page does with each answer of
// GET /api/local-pairing, against a real HTTP server on 127.0.0.1 that answers as told (the
// sync server's answers themselves are tests/sync-server.test.mjs's and sync-console's). A
// pairing is kept only when it is one; every other answer keeps nothing and says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { findLink, linkKey } from '../web/sync-link.mjs';

const GOOD = { shop_id: 'demo', device_id: 'dev-0123456789ab', token: 'A'.repeat(43) };
let answer = { status: 200, body: GOOD };
let asked = 0;
let server;
let origin;
before(async () => {
  server = http.createServer((req, res) => {
    asked++;
    const { status, body, raw } = answer;
    res.writeHead(status, body || raw ? { 'content-type': 'application/json' } : {});
    res.end(raw ?? (body ? JSON.stringify(body) : undefined));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((ok) => server.close(ok)));

// localStorage's shape over a Map.
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

test('sync link: a pairing is kept once and used after, without asking again', async () => {
  const storage = memoryStorage();
  answer = { status: 200, body: GOOD };
  asked = 0;
  assert.deepEqual(await findLink({ server: origin, shop: 'demo', storage }), { link: { server: origin, ...GOOD } });
  assert.deepEqual(JSON.parse(storage.map.get(linkKey(origin, 'demo'))), GOOD, 'kept under the server and shop');
  answer = { status: 500, body: { error: { code: 'INTERNAL' } } };
  assert.deepEqual(await findLink({ server: origin, shop: 'demo', storage }), { link: { server: origin, ...GOOD } });
  assert.equal(asked, 1, 'the kept pairing needs no request');
  // Any shop (the console's case): the server says which.
  answer = { status: 200, body: GOOD };
  assert.equal((await findLink({ server: origin, storage })).link.shop_id, 'demo');
});

test('sync link: no sync, a bad answer, another shop, no server: nothing is kept and the reason is given', async () => {
  const cases = [
    [{ status: 204 }, 'NO_SYNC'],
    [{ status: 404, body: { error: { code: 'NOT_FOUND' } } }, 'NO_SYNC'],
    [{ status: 403, body: { error: { code: 'FORBIDDEN' } } }, 'NO_SYNC'],
    [{ status: 500, body: { error: { code: 'INTERNAL' } } }, 'PAIRING_FAILED'],
    [{ status: 200, body: { ...GOOD, token: 'short' } }, 'PAIRING_FAILED'],
    [{ status: 200, body: { ...GOOD, shop_id: '../x' } }, 'PAIRING_FAILED'],
    [{ status: 200, body: { shop_id: 'demo' } }, 'PAIRING_FAILED'],
    [{ status: 200, raw: 'not json' }, 'PAIRING_FAILED'],
    [{ status: 200, body: { ...GOOD, shop_id: 'other' } }, 'OTHER_SHOP'],
  ];
  for (const [given, code] of cases) {
    const storage = memoryStorage();
    answer = given;
    const r = await findLink({ server: origin, shop: 'demo', storage });
    assert.equal(r.link, null, JSON.stringify(given));
    assert.equal(r.why.code, code, `${JSON.stringify(given)}: ${r.why.message}`);
    assert.equal(storage.map.size, 0, 'nothing kept');
  }
  // A kept value that is not a pairing is not used (it is asked again).
  const storage = memoryStorage();
  storage.setItem(linkKey(origin, 'demo'), '{"token": 1}');
  answer = { status: 200, body: GOOD };
  assert.deepEqual((await findLink({ server: origin, shop: 'demo', storage })).link, { server: origin, ...GOOD });
  // Nobody listening: OFFLINE, retried at the next start.
  const closed = http.createServer();
  await new Promise((ok) => closed.listen(0, '127.0.0.1', ok));
  const gone = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((ok) => closed.close(ok));
  const r = await findLink({ server: gone, shop: 'demo', storage: memoryStorage() });
  assert.deepEqual([r.link, r.why.code], [null, 'OFFLINE']);
});
