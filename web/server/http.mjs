// http.mjs: the sync server's HTTP API (docs/sync.md) over sync.mjs. Every answer is JSON; a
// failure is {error: {code, message}} with its status: 400 (malformed JSON, or a body of the
// wrong shape), 401 (no, wrong or another shop's token; a wrong pairing code), 403, 404, 405,
// 409 (a gap in a device's seqs), 413 (a body over the limit), 500.
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
 * @param {{sync: object, bodyLimit?: number, localPairing?: string|null,
 *          log?: (line: string) => void}} options
 *   localPairing: the shop GET /api/local-pairing pairs a device to (from this machine only);
 *   null turns the route off.
 */
export function createApi({ sync, bodyLimit = 1024 * 1024, localPairing = null, log = (line) => console.error(line) }) {
  const routes = new Map(); // path → Map(method → handler)

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
    try {
      const url = new URL(req.url, 'http://localhost');
      const methods = routes.get(url.pathname);
      if (!methods) throw new SyncError(404, 'NOT_FOUND', `no route ${url.pathname}`);
      const handler = methods.get(req.method);
      if (!handler) {
        throw new SyncError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${[...methods.keys()].join(', ')}`,
          { headers: { allow: [...methods.keys()].join(', ') } });
      }
      const ctx = {
        req, url,
        readBody: () => readBody(req, bodyLimit),
        readJson: async () => parseJson(await readBody(req, bodyLimit)),
        device: () => device(req),
      };
      const out = await handler(ctx);
      send(res, out.status ?? 200, out.body, out.headers);
    } catch (err) {
      if (res.headersSent) return res.destroy();
      if (err instanceof SyncError) {
        const { headers = {}, ...extra } = err.extra;
        if (err.status === 401) headers['www-authenticate'] = 'Bearer';
        if (err.status === 413) headers.connection = 'close';
        send(res, err.status, { ...extra, error: { code: err.code, message: err.message } }, headers);
      } else {
        log(`sync server: ${req.method} ${req.url}: ${err.stack ?? err}`);
        send(res, 500, { error: { code: 'INTERNAL', message: 'the server failed; nothing was lost, retry later' } });
      }
    }
  }

  return { handle, route };
}
