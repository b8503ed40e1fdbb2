// server.mjs: the marketplace sandbox: a local server with the legacy TikTok Shop Open API's
// paths, signatures, envelopes and errors (api.mjs, gateway.mjs), and its webhooks
// (webhooks.mjs), so packdesk's whole marketplace loop runs with no marketplace account.
// Orders live in memory (shop.mjs), and in a JSON file when given one (state-file.mjs: loaded at
// start, written after each change); /sandbox/ (control.mjs) creates them and plays the carrier
// and the buyers.
//
//   node web/sandbox/server.mjs [--port N] [--host H] [--webhook-url URL] [--order-every S]
//                               [--play-every S] [--seed N] [--state FILE] [--webhook-attempts N]
//
// --port: SANDBOX_PORT, default 8090; 0 picks a free port. The URL is printed on start.
// --webhook-url: SANDBOX_WEBHOOK_URL: where webhooks go (the sync server's
//   /api/marketplace/webhook); without it they wait until PUT /sandbox/webhook sets one.
// --order-every S: SANDBOX_ORDER_EVERY: a new paid order every S seconds (default: only on
//   POST /sandbox/orders). --play-every S: SANDBOX_PLAY_EVERY: every S seconds a carrier scan
//   moves a shipped parcel on, and now and then a buyer asks to cancel.
// --state FILE: SANDBOX_STATE: keep the shop in FILE across restarts (default: memory only).
// --webhook-attempts N: SANDBOX_WEBHOOK_ATTEMPTS: tries per webhook before it is given up (8).
// Credentials: SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_SHOP_ID, SANDBOX_ACCESS_TOKEN
//   (defaults: config.mjs's SANDBOX_CREDENTIALS, the connector's defaults too).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_CREDENTIALS, SANDBOX_PORT } from '../server/marketplace/config.mjs';
import { ERROR } from '../server/marketplace/legacy.mjs';
import { ENDPOINTS, READS } from './api.mjs';
import { control } from './control.mjs';
import { checkRequest, GatewayError, requestId } from './gateway.mjs';
import { createOrderFactory, seededRandom } from './orders.mjs';
import { ApiError, createShop, PlayError } from './shop.mjs';
import { readStateFile, stateSaver } from './state-file.mjs';
import { createWebhookSender } from './webhooks.mjs';

const MAX_BODY = 1 << 20;

class BodyError extends Error {}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BodyError('too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store' });
  res.end(text);
}

function parseJson(raw) {
  if (raw.length === 0) return undefined;
  return JSON.parse(raw.toString('utf8'));
}

/** One API request: the gateway's checks, then the endpoint, answered in the API's envelope. */
async function api(sandbox, req, res, url) {
  const { shop, credentials, now } = sandbox;
  const key = `${req.method} ${url.pathname}`;
  const rid = requestId(now());
  const fail = (status, code, message) => {
    shop.stats.refused[code] = (shop.stats.refused[code] ?? 0) + 1;
    send(res, status, { code, message, request_id: rid });
  };
  shop.stats.api_calls[url.pathname] = (shop.stats.api_calls[url.pathname] ?? 0) + 1;
  const endpoint = ENDPOINTS[key];
  if (!endpoint) return fail(404, ERROR.PATH, `Invalid path. ${req.method} ${url.pathname} does not exist.`);
  let raw;
  try {
    raw = await readBody(req);
  } catch {
    return fail(413, ERROR.PARAM, `Invalid request. The body is over ${MAX_BODY} bytes.`);
  }
  try {
    checkRequest(url.pathname, url.searchParams, credentials, now());
  } catch (err) {
    if (err instanceof GatewayError) return fail(err.status, err.code, err.message);
    throw err;
  }
  let body;
  try {
    body = parseJson(raw);
  } catch {
    return fail(400, ERROR.PARAM, 'Invalid request. The body is not JSON.');
  }
  let data;
  try {
    data = endpoint(shop, { query: url.searchParams, body });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (!READS.has(key)) sandbox.save(); // a refused call is counted (ship_calls)
    return fail(200, err.code, err.message);
  }
  if (!READS.has(key)) sandbox.save(); // on disk before the answer: what the caller is told done stays done
  send(res, 200, { code: 0, message: 'Success', request_id: rid, data });
}

async function sandboxRoute(sandbox, req, res, url) {
  let body;
  try {
    body = parseJson(await readBody(req));
  } catch (err) {
    const tooLarge = err instanceof BodyError;
    return send(res, tooLarge ? 413 : 400, { error: { code: tooLarge ? 'TOO_LARGE' : 'BAD_JSON', message: tooLarge ? 'body too large' : 'the body is not JSON' } });
  }
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'the body must be a JSON object' } });
  }
  try {
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    const [status, answer] = control(sandbox, req.method, parts, body);
    if (req.method !== 'GET') sandbox.save();
    send(res, status, answer);
  } catch (err) {
    if (err instanceof PlayError) {
      const code = err.status === 404 ? 'NOT_FOUND' : err.status === 400 ? 'BAD_REQUEST' : 'CONFLICT';
      return send(res, err.status, { error: { code, message: err.message } });
    }
    throw err;
  }
}

/** The periodic plays: a new order, or a parcel moved on and now and then a buyer's request. */
function startPace(sandbox, { orderEvery, playEvery, seed }) {
  const timers = [];
  const random = seededRandom(seed ^ 0x5eed);
  const safely = (fn) => () => {
    try {
      fn();
      sandbox.save();
    } catch (err) {
      sandbox.log(`sandbox play: ${err.message}`);
    }
  };
  if (orderEvery > 0) timers.push(setInterval(safely(() => sandbox.shop.createOrders({ count: 1 })), orderEvery * 1000));
  if (playEvery > 0) {
    timers.push(setInterval(safely(() => {
      const { moving, cancellable } = sandbox.shop.playable();
      if (cancellable.length && random() < 0.15) {
        sandbox.shop.buyerCancel(cancellable[Math.floor(random() * cancellable.length)], 'I found a better price elsewhere');
      } else if (moving.length) {
        sandbox.shop.scan(moving[Math.floor(random() * moving.length)]);
      }
    }), playEvery * 1000));
  }
  return () => timers.forEach(clearInterval);
}

/**
 * Starts a sandbox; resolves to {url, port, shop, webhooks, close()}. Options: port (0: a free
 * one), host, webhookUrl, orderEvery, playEvery (seconds), seed, credentials, now, log,
 * stateFile (the shop kept there: loaded now, written after each change; a file that does not
 * read as a sandbox state is an error, and nothing starts), webhookAttempts (8).
 */
export async function startSandbox({ port = SANDBOX_PORT, host = '127.0.0.1', webhookUrl = null, orderEvery = 0,
  playEvery = 0, seed = Date.now() >>> 0, credentials = SANDBOX_CREDENTIALS, now = Date.now, log = () => {},
  stateFile = null, webhookAttempts = 8 } = {}) {
  const state = stateFile ? readStateFile(stateFile) : null;
  const webhooks = createWebhookSender({ appKey: credentials.appKey, appSecret: credentials.appSecret, shopId: credentials.shopId,
    url: webhookUrl, now, log, maxAttempts: webhookAttempts });
  let shop;
  try {
    shop = createShop({ factory: createOrderFactory({ seed, startMs: now() }), now, notify: (type, data) => webhooks.send(type, data), state });
  } catch (err) {
    throw new Error(`the sandbox state ${stateFile}: ${err.message}`);
  }
  const saver = stateFile ? stateSaver(stateFile, shop) : null;
  const sandbox = { shop, webhooks, credentials, now, log, save: () => saver?.save() };
  const server = http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://sandbox');
    } catch {
      return send(res, 400, { error: { code: 'BAD_REQUEST', message: 'bad URL' } });
    }
    const route = url.pathname.startsWith('/sandbox/') ? sandboxRoute : api;
    route(sandbox, req, res, url).catch((err) => {
      log(`sandbox: ${req.method} ${url.pathname}: ${err.stack}`);
      if (!res.headersSent) send(res, 500, { code: ERROR.INTERNAL, message: 'Internal error.', request_id: requestId(now()) });
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const stopPace = startPace(sandbox, { orderEvery, playEvery, seed });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`, port: address.port, shop, webhooks, stateFile,
    close: () => {
      stopPace();
      webhooks.stop();
      server.closeAllConnections?.();
      return new Promise((ok) => server.close(ok));
    },
  };
}

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function seconds(name, value) {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86400) {
    console.error(`sandbox: --${name} must be a number of seconds from 0 to 86400, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const env = process.env;
  const port = Number(option('port') ?? env.SANDBOX_PORT ?? SANDBOX_PORT);
  const host = option('host') ?? env.SANDBOX_HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`sandbox: bad port ${JSON.stringify(option('port') ?? env.SANDBOX_PORT)}`);
    process.exit(2);
  }
  const seed = Number(option('seed') ?? env.SANDBOX_SEED ?? (Date.now() >>> 0));
  const attempts = Number(option('webhook-attempts') ?? env.SANDBOX_WEBHOOK_ATTEMPTS ?? 8);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) {
    console.error(`sandbox: --webhook-attempts must be an integer from 1 to 100, not ${JSON.stringify(option('webhook-attempts') ?? env.SANDBOX_WEBHOOK_ATTEMPTS)}`);
    process.exit(2);
  }
  const credentials = {
    appKey: env.SANDBOX_APP_KEY ?? SANDBOX_CREDENTIALS.appKey,
    appSecret: env.SANDBOX_APP_SECRET ?? SANDBOX_CREDENTIALS.appSecret,
    shopId: env.SANDBOX_SHOP_ID ?? SANDBOX_CREDENTIALS.shopId,
    accessToken: env.SANDBOX_ACCESS_TOKEN ?? SANDBOX_CREDENTIALS.accessToken,
  };
  startSandbox({
    port, host, seed: Number.isFinite(seed) ? seed : 1, credentials,
    webhookUrl: option('webhook-url') ?? env.SANDBOX_WEBHOOK_URL ?? null,
    orderEvery: seconds('order-every', option('order-every') ?? env.SANDBOX_ORDER_EVERY),
    playEvery: seconds('play-every', option('play-every') ?? env.SANDBOX_PLAY_EVERY),
    stateFile: option('state') ?? env.SANDBOX_STATE ?? null, webhookAttempts: attempts,
    log: (line) => console.error(line),
  }).then((s) => {
    console.log(`marketplace sandbox: ${s.url}`);
    const stop = () => s.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }, (err) => {
    console.error(`sandbox: cannot start on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
}
