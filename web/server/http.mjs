// http.mjs: the sync server's HTTP API (docs/sync.md) over sync.mjs. Every answer is JSON; a
// failure is {error: {code, message}} with its status: 400 (malformed JSON, or a body of the
// wrong shape), 401 (no, wrong or another shop's token; a wrong pairing code), 403, 404, 405,
// 409 (a gap in a device's seqs), 413 (a body over the limit), 500.
//
// CORS: the widget calls the API from a storefront, another origin. A request whose Origin may
// call gets Access-Control-Allow-Origin: that origin (with Vary: Origin), and its preflight
// (OPTIONS) the route's methods and the two headers a device sends (Authorization,
// Content-Type). Which origins: `corsOrigins` (the storefronts the operator configured), or, with
// none configured (local default mode), the request's origin when it is a loopback one
// (http://127.0.0.1:N, localhost, [::1]: `make run`'s demo storefront). Never any origin: a page
// from the web, open in a browser on the server's machine, could then read a token from GET
// /api/local-pairing. A request without an Origin (a device in Node) or from the server's own
// origin is not cross-origin and passes as before. An origin that may not call gets no CORS
// header (so the browser keeps the answer from it), 403 on a preflight, and 403 on local pairing
// (nothing is created for it).
//
// Routes are a table: route(method, path, handler) adds one, which is how the marketplace
// module mounts its webhook (POST /api/marketplace/webhook; ctx.readBody() gives the raw bytes
// for the signature check). A handler gets ctx {req, url, readBody, readJson, device} and
// returns {status?, body, headers?}, or throws a SyncError.
import { SyncError } from './sync.mjs';

const API_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
// Past the limit the rest of a body is read and thrown away (so the client, still sending, gets
// its 413 instead of a reset connection), up to this much; beyond, the connection is cut.
const DRAIN_MAX = 64 * 1024 * 1024;
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const CORS_ALLOW_HEADERS = 'Authorization, Content-Type';
const CORS_MAX_AGE = '600';

/**
 * The configured storefront origins, checked: each an http(s) origin without path
 * (https://shop.example.com). Throws an Error naming the first bad one.
 */
export function corsOriginList(list) {
  if (!Array.isArray(list)) throw new Error('corsOrigins must be a list of origins');
  return list.map((value) => {
    let url;
    try {
      url = new URL(value);
    } catch {
      throw new Error(`not an origin: ${JSON.stringify(value)} (say https://shop.example.com)`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash ||
        value.replace(/\/$/, '') !== url.origin) {
      throw new Error(`not an origin: ${JSON.stringify(value)} (an http(s) origin without path, say https://shop.example.com)`);
    }
    return url.origin;
  });
}

const isLoopbackOrigin = (origin) => {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.origin === origin;
  } catch {
    return false;
  }
};

/** True when a request path belongs to the API (web/server.mjs routes these here). */
export const isApiPath = (url) => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// The request body as a Buffer; a SyncError 413 past `limit` bytes.
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks = [];
    const tooLargeError = () => new SyncError(413, 'TOO_LARGE', `the body is over ${limit} bytes`);
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > limit + DRAIN_MAX) {
        req.destroy();
        reject(tooLargeError());
      }
    });
    req.on('end', () => (tooLarge ? reject(tooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function parseJson(bytes) {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new SyncError(400, 'BAD_JSON', 'the body is not valid JSON (UTF-8)');
  }
}

// A request from this machine, addressed to this machine by name (a page elsewhere that had its
// name rebound to 127.0.0.1 still sends its own Host, and is refused).
function fromLoopback(req) {
  if (!LOOPBACK_ADDRESSES.has(req.socket.remoteAddress)) return false;
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  return LOOPBACK_HOSTS.has(host);
}

/**
 * @param {{sync: object, bodyLimit?: number, localPairing?: string|null, corsOrigins?: string[]|null,
 *          log?: (line: string) => void}} options
 *   localPairing: the shop GET /api/local-pairing pairs a device to (from this machine only);
 *   null turns the route off. corsOrigins: the storefront origins that may call (see CORS above);
 *   null or empty: local default mode.
 */
export function createApi({ sync, bodyLimit = 1024 * 1024, localPairing = null, corsOrigins = null, log = (line) => console.error(line) }) {
  const routes = new Map(); // path → Map(method → handler)
  const allowed = corsOrigins?.length ? new Set(corsOriginList(corsOrigins)) : null;

  // {origin, ok}: the request's Origin (null: none, or the server's own) and whether it may call.
  function crossOrigin(req) {
    const origin = req.headers.origin;
    if (origin === undefined) return { origin: null, ok: true };
    try {
      if (new URL(origin).host === req.headers.host) return { origin: null, ok: true }; // same origin
    } catch { /* "null" and other opaque origins: cross-origin, checked below */ }
    return { origin, ok: allowed ? allowed.has(origin) : isLoopbackOrigin(origin) };
  }

  function route(method, path, handler) {
    if (!routes.has(path)) routes.set(path, new Map());
    if (routes.get(path).has(method)) throw new Error(`route ${method} ${path} is already mounted`);
    routes.get(path).set(method, handler);
  }

  async function device(req) {
    const m = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
    const found = m ? await sync.authenticate(m[1]) : null;
    if (!found) throw new SyncError(401, 'UNAUTHORIZED', 'missing, wrong or revoked device token');
    return found;
  }

  route('POST', '/api/pair', async (ctx) => ({ body: await sync.pair(await ctx.readJson()) }));
  route('GET', '/api/local-pairing', async (ctx) => {
    if (!localPairing) throw new SyncError(404, 'NOT_FOUND', 'local pairing is off on this server');
    if (!fromLoopback(ctx.req)) throw new SyncError(403, 'FORBIDDEN', 'local pairing answers this machine only');
    if (!ctx.cors.ok) throw new SyncError(403, 'FORBIDDEN', `local pairing does not answer pages of ${ctx.cors.origin}`);
    return { body: await sync.pairLocal(localPairing) };
  });
  // The token is checked before the body is read: nobody unknown gets a body parsed.
  route('POST', '/api/sync/push', async (ctx) => {
    const dev = await ctx.device();
    const { status, body } = await sync.push(dev, await ctx.readJson());
    return { status, body };
  });
  route('POST', '/api/sync/pull', async (ctx) => {
    const dev = await ctx.device();
    return { body: await sync.pull(dev, await ctx.readJson()) };
  });

  /** Answers one request whose path isApiPath(). Never throws. */
  async function handle(req, res) {
    const cors = crossOrigin(req);
    const corsHeaders = cors.origin && cors.ok ? { 'access-control-allow-origin': cors.origin, vary: 'Origin' } : { vary: 'Origin' };
    try {
      const url = new URL(req.url, 'http://localhost');
      const methods = routes.get(url.pathname);
      if (!methods) throw new SyncError(404, 'NOT_FOUND', `no route ${url.pathname}`);
      if (req.method === 'OPTIONS') {
        if (!cors.ok) throw new SyncError(403, 'FORBIDDEN', `${cors.origin} may not call this API`, { headers: corsHeaders });
        res.writeHead(204, {
          ...API_HEADERS, ...corsHeaders, 'access-control-allow-methods': [...methods.keys()].join(', '),
          'access-control-allow-headers': CORS_ALLOW_HEADERS, 'access-control-max-age': CORS_MAX_AGE, 'content-length': 0,
        });
        return res.end();
      }
      const handler = methods.get(req.method);
      if (!handler) {
        throw new SyncError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${[...methods.keys()].join(', ')}`,
          { headers: { allow: [...methods.keys()].join(', ') } });
      }
      const ctx = {
        req, url, cors,
        readBody: () => readBody(req, bodyLimit),
        readJson: async () => parseJson(await readBody(req, bodyLimit)),
        device: () => device(req),
      };
      const out = await handler(ctx);
      send(res, out.status ?? 200, out.body, { ...corsHeaders, ...out.headers });
    } catch (err) {
      if (res.headersSent) return res.destroy();
      if (err instanceof SyncError) {
        const { headers: errorHeaders = {}, ...extra } = err.extra;
        const headers = { ...corsHeaders, ...errorHeaders };
        if (err.status === 401) headers['www-authenticate'] = 'Bearer';
        if (err.status === 413) headers.connection = 'close';
        send(res, err.status, { ...extra, error: { code: err.code, message: err.message } }, headers);
      } else {
        log(`sync server: ${req.method} ${req.url}: ${err.stack ?? err}`);
        send(res, 500, { error: { code: 'INTERNAL', message: 'the server failed; nothing was lost, retry later' } }, corsHeaders);
      }
    }
  }

  return { handle, route };
}
