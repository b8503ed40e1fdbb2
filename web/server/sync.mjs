// sync.mjs: what the sync server does, without HTTP: pairing, device authentication, push (each
// operation applied once, through the shop's core, committed with its answer), pull (changes
// since a cursor). docs/sync.md is the contract. Storage and cores come from outside
// (storage-sqlite.mjs, core-host.mjs); http.mjs maps requests and errors to HTTP.
//
// Exactly once, per device: operations carry seq 1, 2, 3, ... The device's last applied seq is in
// storage and moves in the same transaction as the operation's answer and the orders it changed.
// A seq at or below it gets the stored answer (the device retried); the next one is applied; a
// later one is a gap and stops the batch (an earlier operation is missing). A refused operation
// consumes its seq like an accepted one, so one bad operation never blocks a queue. An op id the
// shop already applied under another seq (or from another device) gets that stored answer too.
//
// The marketplace hooks: onAccepted(fn) registers fn({shopId, deviceId, seq, op, request,
// response, exec}) → [{kind, payload}], called for each accepted operation before its commit
// (`exec` queries the shop's core as the operation left it: the marketplace reads order.get); the
// items are queued in storage's outbox in the operation's transaction (sent exactly once by
// whoever works the outbox). onCommitted(fn) is told after each commit (to wake that worker).
// applyServerOp() applies a server-side operation (a webhook's) as device `marketplace` would.
import { hashSecret, newDeviceId, newPairingCode, newToken, normalizePairingCode } from './secrets.mjs';

/** An answer the HTTP layer turns into {error: {code, message}} with `status` (and `extra` fields). */
export class SyncError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

const SHOP_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_OP_ID = 200;
const MAX_INCLUDE = 500;
const MAX_PULL_LIMIT = 1000;
const DEFAULT_PULL_LIMIT = 500;
const DAY = 24 * 3600 * 1000;

export const isShopId = (id) => typeof id === 'string' && SHOP_ID.test(id);
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v, min) => Number.isSafeInteger(v) && v >= min;
const badRequest = (message) => new SyncError(400, 'BAD_REQUEST', message);
const unauthorized = () => new SyncError(401, 'UNAUTHORIZED', 'missing, wrong or revoked device token');

// What a device may not send: the sync commands are the server's (sync.base would let a device
// write any order state), and time is the server's to apply (a device never queues `tick`).
function refusal(request) {
  if (request.cmd === 'tick' || request.cmd.startsWith('sync.')) {
    return JSON.stringify({ ok: false, error: { code: 'BAD_REQUEST', message: `${request.cmd} is not accepted from a device` } });
  }
  return null;
}

// {ops: [{seq, op, request}]} → the ops, or a 400 naming the first wrong one. Nothing is applied
// from a batch that does not have this shape.
function validOps(body, maxOps) {
  if (!Array.isArray(body.ops)) throw badRequest('ops must be an array');
  if (body.ops.length > maxOps) throw badRequest(`at most ${maxOps} operations per push`);
  body.ops.forEach((item, i) => {
    const at = `ops[${i}]`;
    if (!isObject(item)) throw badRequest(`${at} must be an object`);
    if (!isCount(item.seq, 1)) throw badRequest(`${at}.seq must be an integer from 1`);
    if (typeof item.op !== 'string' || item.op.length === 0 || item.op.length > MAX_OP_ID) {
      throw badRequest(`${at}.op must be a string of 1 to ${MAX_OP_ID} characters`);
    }
    if (!isObject(item.request)) throw badRequest(`${at}.request must be an object`);
    if (typeof item.request.cmd !== 'string') throw badRequest(`${at}.request.cmd must be a string`);
    if (item.request.op !== item.op) throw badRequest(`${at}.request.op must be ${JSON.stringify(item.op)}`);
  });
  return body.ops;
}

// The token's shop is the only one a request can see; naming another is the same 401.
function checkShop(device, body) {
  if (body.shop_id !== undefined && body.shop_id !== device.shop_id) throw unauthorized();
}

/**
 * @param {{storage: object, cores: object, now?: () => number, maxOps?: number,
 *          log?: (line: string) => void}} options
 */
export function createSync({ storage, cores, now = Date.now, maxOps = 500, log = (line) => console.error(line) }) {
  const acceptedHooks = [];
  const committedHooks = [];

  // Applies operation `seq` of a device whose next seq it is, inside cores.run(): the stored
  // answer of an op id already applied, a refusal, or the core's answer; then one commit.
  async function applyNext(shop, shopId, deviceId, seq, op, request) {
    let response;
    let parsed;
    let ok = false;
    let changes = [];
    let outbox = [];
    const refused = refusal(request);
    const earlier = refused ? null : await storage.opById(shopId, op);
    if (refused) {
      response = refused;
      parsed = JSON.parse(refused);
    } else if (earlier) {
      parsed = earlier.response;
      response = JSON.stringify(parsed);
      ok = earlier.ok;
    } else {
      ({ response, parsed, ok, changes } = shop.apply(request));
      if (ok) {
        for (const hook of acceptedHooks) outbox = outbox.concat(hook({ shopId, deviceId, seq, op, request, response: parsed, exec: shop.exec }) ?? []);
      }
    }
    const { version } = await storage.commitOp({ shopId, deviceId, seq, op, cmd: request.cmd, request, ok, response, changes, outbox });
    for (const hook of committedHooks) {
      try {
        hook({ shopId, deviceId, seq, op, request, ok, version, outbox: outbox.length });
      } catch (err) {
        log(`sync: onCommitted hook failed: ${err.stack ?? err}`);
      }
    }
    return { result: { seq, op, ok, response: parsed }, version };
  }

  // One operation of a device's batch: {result, version}, {gap: expected}, or {reused: op} when
  // the seq was applied with another op id (the device's numbering went wrong: never guess).
  function pushOne(device, { seq, op, request }) {
    const { shop_id: shopId, device_id: deviceId } = device;
    return cores.run(shopId, async (shop) => {
      const current = await storage.device(shopId, deviceId);
      if (!current) throw unauthorized(); // the device was removed since it authenticated
      const expected = current.last_seq + 1;
      if (seq > expected) return { gap: expected };
      if (seq === expected) return applyNext(shop, shopId, deviceId, seq, op, request);
      const stored = await storage.opBySeq(shopId, deviceId, seq);
      if (!stored || stored.op !== op) return { reused: stored?.op ?? null };
      return { result: { seq, op, ok: stored.ok, response: stored.response } };
    });
  }

  return {
    /** Registers fn(accepted operation) → outbox items [{kind, payload}] (see the top). */
    onAccepted(fn) {
      acceptedHooks.push(fn);
    },
    /** Registers fn(committed operation), told after each commit. */
    onCommitted(fn) {
      committedHooks.push(fn);
    },

    /** A pairing code for shopId, valid ttlMs: {code, expires_at}. The shop must exist. */
    async issuePairingCode(shopId, { ttlMs = DAY } = {}) {
      if (!(await storage.shop(shopId))) throw new SyncError(404, 'NOT_FOUND', `no shop ${shopId}`);
      const code = newPairingCode();
      const expiresAt = now() + ttlMs;
      await storage.addPairingCode(shopId, hashSecret(normalizePairingCode(code)), expiresAt);
      return { code, expires_at: expiresAt };
    },

    /** POST /api/pair {shop_id, code} → {shop_id, device_id, token}; one 401 for any wrong pair. */
    async pair(body) {
      if (!isObject(body)) throw badRequest('the body must be a JSON object');
      if (typeof body.shop_id !== 'string' || typeof body.code !== 'string') throw badRequest('shop_id and code must be strings');
      const code = normalizePairingCode(body.code);
      if (!isShopId(body.shop_id) || !code) throw new SyncError(401, 'UNAUTHORIZED', 'unknown shop or pairing code');
      const token = newToken();
      const deviceId = newDeviceId();
      const label = typeof body.label === 'string' ? body.label.slice(0, 100) : null;
      const paired = await storage.pairDevice({ shopId: body.shop_id, codeHash: hashSecret(code), deviceId, tokenHash: hashSecret(token), label });
      if (!paired) throw new SyncError(401, 'UNAUTHORIZED', 'unknown shop or pairing code');
      return { shop_id: body.shop_id, device_id: deviceId, token };
    },

    /** A device paired without a code (the console on the server's own machine). */
    async pairLocal(shopId, label = 'local console') {
      const token = newToken();
      const deviceId = newDeviceId();
      await storage.addDevice({ shopId, deviceId, tokenHash: hashSecret(token), label });
      return { shop_id: shopId, device_id: deviceId, token };
    },

    /** The device of a bearer token ({shop_id, device_id}), or null. */
    async authenticate(token) {
      if (typeof token !== 'string' || !TOKEN.test(token)) return null;
      const device = await storage.deviceByTokenHash(hashSecret(token));
      return device && { shop_id: device.shop_id, device_id: device.device_id };
    },

    /**
     * POST /api/sync/push: {status: 200, body: {results, version}}, or status 409 with the
     * results so far and {gap: {expected}} when a seq is missing.
     */
    async push(device, body) {
      if (!isObject(body)) throw badRequest('the body must be a JSON object');
      checkShop(device, body);
      const ops = validOps(body, maxOps);
      const results = [];
      for (const item of ops) {
        const r = await pushOne(device, item);
        if (r.gap || r.reused !== undefined) {
          const { version } = await storage.shop(device.shop_id);
          const error = r.gap
            ? { code: 'GAP', message: `seq ${item.seq} arrived before seq ${r.gap}` }
            : { code: 'SEQ_REUSED', message: `seq ${item.seq} was applied as op ${JSON.stringify(r.reused)}, not ${JSON.stringify(item.op)}` };
          return { status: 409, body: { error, results, ...(r.gap ? { gap: { expected: r.gap } } : {}), version } };
        }
        results.push(r.result);
      }
      const { version } = await storage.shop(device.shop_id);
      return { status: 200, body: { results, version } };
    },

    /** POST /api/sync/pull {since, include?, limit?} → {changes, version, more}. */
    async pull(device, body) {
      if (!isObject(body)) throw badRequest('the body must be a JSON object');
      checkShop(device, body);
      if (!isCount(body.since, 0)) throw badRequest('since must be an integer from 0');
      const include = body.include ?? [];
      if (!Array.isArray(include) || include.length > MAX_INCLUDE ||
          include.some((id) => typeof id !== 'string' || id.length === 0 || id.length > 200)) {
        throw badRequest(`include must be an array of at most ${MAX_INCLUDE} order ids`);
      }
      const limit = body.limit ?? DEFAULT_PULL_LIMIT;
      if (!isCount(limit, 1) || limit > MAX_PULL_LIMIT) throw badRequest(`limit must be an integer from 1 to ${MAX_PULL_LIMIT}`);
      return storage.pull(device.shop_id, { since: body.since, limit, include });
    },

    /**
     * A server-side operation (a marketplace webhook's), applied like a device's: the pseudo-device
     * `deviceId` takes the next seq; an op id already applied gets its stored answer.
     * → {seq, op, ok, response}.
     */
    async applyServerOp(shopId, { op, request }, deviceId = 'marketplace') {
      if (typeof op !== 'string' || op.length === 0 || op.length > MAX_OP_ID || !isObject(request) ||
          typeof request.cmd !== 'string' || request.op !== op) {
        throw badRequest('a server operation needs an op id and a request carrying it');
      }
      return cores.run(shopId, async (shop) => {
        let device = await storage.device(shopId, deviceId);
        if (!device) {
          await storage.addDevice({ shopId, deviceId, label: 'server' });
          device = { last_seq: 0 };
        }
        return (await applyNext(shop, shopId, deviceId, device.last_seq + 1, op, request)).result;
      });
    },

    /**
     * An order.get on the shop's core as it stands, in the shop's turn (the marketplace's
     * reconciliation reads what packdesk already has). Only order.get: anything else through
     * here would change a core without a commit.
     */
    query(shopId, request) {
      if (!isObject(request) || request.cmd !== 'order.get') throw badRequest('a server query is an order.get');
      return cores.run(shopId, async (shop) => shop.exec(request));
    },

    /** Applies what time alone decides in shopId, as of `at`; stores the orders it changed. */
    tick(shopId, at = now()) {
      return cores.run(shopId, async (shop) => {
        const r = shop.exec({ cmd: 'tick', at });
        if (!r.ok) throw new Error(`tick refused: ${JSON.stringify(r.error)}`);
        const changes = shop.changes();
        if (changes.length > 0) await storage.commitChanges(shopId, changes);
        return changes.length;
      });
    },
  };
}
