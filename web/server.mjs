// server.mjs: `make run`: serves the seller console on 127.0.0.1 and prints its URL. One process,
// static files only: web/ at /, the wasm build (build/wasm/packdesk.mjs and .wasm) at /build/wasm/,
// the JS over it (wasm/*.mjs) at /wasm/, and the console's bundle (make console, build/console/;
// served in place of the modules while it is fresh, see bundleFresh()). Every answer carries the
// Content-Security-Policy (the page repeats it in a meta tag): scripts from this origin only, plus
// 'wasm-unsafe-eval' so the core compiles.
//
// Offline: /sw.js is web/sw.js with the shell's version and file list filled in. The version is a
// hash of every shell file (shellFiles() below: index.html, the page's modules and styles, the
// JS over the wasm and the wasm build) plus PACKDESK_BUILD_ID (a deploy label, empty by
// default), computed at start and again whenever a shell file's size or mtime changes. Every
// shell file is served with an `x-packdesk-version` header, so the worker can refuse to cache a
// mix of two versions fetched while the server changed under it.
//
//   node web/server.mjs [--port N] [--host H] [--data DIR] [--sandbox]
//     --sandbox (with a data folder; `make run`): the marketplace sandbox runs in this process on
//     SANDBOX_PORT (8090) and the sync server's marketplace connector uses it (see
//     web/sandbox/embedded.mjs); web/sandbox/ is never served either.
//     PORT=N (0 picks a free port; default 8080). With a data folder (--data or PACKDESK_DATA; `make
//     run` gives data/), the same process is also the sync server (web/server/main.mjs): /api/ is
//     routed there. web/server/ itself is never served. PACKDESK_STOREFRONT_ORIGINS (origins,
//     comma-separated) lists the storefronts whose widgets may call the API (CORS,
//     web/server/http.mjs); without it, pages of loopback origins may (the demo storefront).
//     Without a data folder, GET /api/local-pairing answers 204: the console (and a widget naming
//     this server) asks it at a first start, and "no sync here" is an answer, not a failed
//     request in every standalone page's console.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(ROOT, 'web');

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const CROSS_ORIGIN_TYPES = new Set(['.mjs', '.js', '.css', '.wasm']);

// URL path → file on disk, or null when it is not one of ours.
function resolve(urlPath) {
  const parts = urlPath.split('/').filter(Boolean);
  if (parts.some((p) => p.startsWith('.') || p.includes('\\'))) return null;
  if (parts[0] === 'build' && parts[1] === 'wasm' && parts.length === 3 && /^packdesk\.(mjs|wasm)$/.test(parts[2])) {
    return path.join(ROOT, 'build/wasm', parts[2]);
  }
  // The widget bundle (make widget) for storefronts; web/storefront/ is the demo storefront's,
  // served by its own server on its own origin, never by this one.
  if (parts[0] === 'build' && parts[1] === 'widget' && parts.length === 3 && /^packdesk(-widget\.(js|css)|\.(mjs|wasm))$/.test(parts[2])) {
    return path.join(ROOT, 'build/widget', parts[2]);
  }
  // The console's bundle (make console), served in place of its modules while it is fresh.
  if (parts[0] === 'build' && parts[1] === 'console' && parts.length === 3 && BUNDLE.includes(parts[2])) {
    return path.join(ROOT, 'build/console', parts[2]);
  }
  // web/sandbox/ is the marketplace sandbox (it holds the app secret it checks signatures with):
  // server code, like web/server/, never served.
  if (parts[0] === 'storefront' || parts[0] === 'sandbox') return null;
  if (parts[0] === 'wasm' && parts.length === 2 && parts[1].endsWith('.mjs')) return path.join(ROOT, 'wasm', parts[1]);
  if (parts.length === 0) return path.join(WEB, 'index.html');
  if ((parts.length === 1 && parts[0] === 'server.mjs') || parts[0] === 'server') return null;
  const file = path.join(WEB, ...parts);
  return file.startsWith(WEB + path.sep) ? file : null;
}

// The console as built by `make console`: app.mjs and sw-client.mjs, each one minified module
// (esbuild). web/ stays the source: the bundle is served (index.html's two scripts pointed at it,
// the modules left out of the shell) only while it is newer than every module under web/ and
// wasm/, so an edited source is never hidden behind a stale bundle (it is served as is instead).
const BUNDLE = ['app.js', 'sw-client.js'];
// Where the console's modules are (the Makefile's rule lists the same folders; web/server/,
// web/sandbox/ and web/storefront/ are other programs).
const SOURCE_DIRS = [WEB, path.join(WEB, 'views'), path.join(ROOT, 'wasm')];
async function sourceModules() {
  const lists = await Promise.all(SOURCE_DIRS.map(async (dir) => (await readdir(dir))
    .filter((name) => name.endsWith('.mjs') && name !== 'server.mjs').map((name) => path.join(dir, name))));
  return lists.flat();
}
async function bundleFresh() {
  const built = await Promise.all(BUNDLE.map((f) => stat(path.join(ROOT, 'build/console', f)).catch(() => null)));
  if (built.some((s) => !s)) return false;
  const oldest = Math.min(...built.map((s) => s.mtimeMs));
  const sources = await Promise.all((await sourceModules()).map((f) => stat(f)));
  return sources.every((s) => s.mtimeMs <= oldest);
}
function bundledIndex(html) {
  return html.replace('src="/app.mjs"', 'src="/build/console/app.js"').replace('src="./sw-client.mjs"', 'src="/build/console/sw-client.js"');
}

// The app shell, as URL paths: what the service worker precaches. Found on disk, so a module
// added under web/ is cached without a list to keep in step.
const SHELL_TYPES = new Set(['.html', '.mjs', '.css', '.svg', '.png']);
const NOT_SHELL = new Set(['/server.mjs', '/sw.js']);
async function shellFiles() {
  const bundled = await bundleFresh();
  const urls = [];
  async function walk(dir, prefix) {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (!['/storefront', '/server', '/sandbox'].includes(`${prefix}${entry.name}`)) await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      }
      else if (SHELL_TYPES.has(path.extname(entry.name)) && !NOT_SHELL.has(prefix + entry.name)) urls.push(prefix + entry.name);
    }
  }
  await walk(WEB, '/');
  if (bundled) return [...urls.filter((u) => !u.endsWith('.mjs')), ...BUNDLE.map((f) => `/build/console/${f}`),
    '/build/widget/packdesk.mjs', '/build/widget/packdesk.wasm'];
  for (const name of (await readdir(path.join(ROOT, 'wasm'))).sort()) if (name.endsWith('.mjs')) urls.push(`/wasm/${name}`);
  urls.push('/build/widget/packdesk.mjs', '/build/widget/packdesk.wasm'); // the console's core (app.mjs)
  return urls;
}

let shellCache = { signature: null, version: null, urls: null };
/** {version, urls}: the shell's content hash, recomputed when a file's size or mtime changed. */
export async function shell() {
  const urls = await shellFiles();
  const stats = await Promise.all(urls.map((u) => stat(resolve(u)).catch(() => null)));
  const swStat = await stat(path.join(WEB, 'sw.js'));
  const signature = JSON.stringify([urls, stats.map((s) => s && [s.size, s.mtimeMs]), swStat.size, swStat.mtimeMs,
    process.env.PACKDESK_BUILD_ID ?? '']);
  if (signature !== shellCache.signature) {
    const hash = createHash('sha256');
    hash.update(`build-id\0${process.env.PACKDESK_BUILD_ID ?? ''}\0`);
    for (const u of [...urls, '/sw.js']) {
      const file = u === '/sw.js' ? path.join(WEB, 'sw.js') : resolve(u);
      hash.update(`${u}\0`);
      hash.update(await readFile(file).catch(() => Buffer.from('missing')));
      hash.update('\0');
    }
    shellCache = { signature, version: hash.digest('hex').slice(0, 16), urls };
  }
  return shellCache;
}

// web/sw.js with its two placeholders filled in.
async function serviceWorker() {
  const { version, urls } = await shell();
  const source = await readFile(path.join(WEB, 'sw.js'), 'utf8');
  return Buffer.from(source
    .replace("'__PACKDESK_VERSION__'", JSON.stringify(version))
    .replace("['__PACKDESK_SHELL__']", JSON.stringify(['/', ...urls])));
}

async function handle(req, res) {
  const headers = {
    'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    return res.writeHead(400, headers).end();
  }
  if (urlPath === '/sw.js') {
    const body = await serviceWorker();
    res.writeHead(200, { ...headers, 'cache-control': 'no-cache, no-store', 'service-worker-allowed': '/',
      'content-type': TYPES['.js'], 'content-length': body.length });
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  const file = resolve(urlPath);
  try {
    if (!file || !(await stat(file)).isFile()) throw new Error('not a file');
    let body = await readFile(file);
    const { version, urls } = await shell();
    if (file === path.join(WEB, 'index.html') && urls.includes('/build/console/app.js')) body = Buffer.from(bundledIndex(body.toString('utf8')));
    if (urlPath === '/' || urls.includes(urlPath)) headers['x-packdesk-version'] = version;
    // The widget runs in storefronts on other origins: its modules, stylesheet, glue and wasm are
    // fetched cross-origin (module scripts and fetch() need CORS). Public files, no credentials.
    if (CROSS_ORIGIN_TYPES.has(path.extname(file))) headers['access-control-allow-origin'] = '*';
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  }
}

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** Starts the server; resolves to {url, close()}. api(req, res), if given, answers /api/ requests. */
export async function serve({ port = 8080, host = '127.0.0.1', api } = {}) {
  await shell(); // the version, once at start (and a missing build fails here, not on first load)
  const server = http.createServer((req, res) => {
    if (api && (req.url === '/api' || req.url.startsWith('/api/'))) return api(req, res);
    if (!api && req.method === 'GET' && req.url.split('?')[0] === '/api/local-pairing') {
      // No sync here. Nothing to keep secret in "no", so any page may read it (widgets are cross-origin).
      return res.writeHead(204, { 'cache-control': 'no-store', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' }).end();
    }
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const url = `http://${host}:${server.address().port}/`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const port = Number(option('port') ?? process.env.PORT ?? 8080);
  const host = option('host') ?? process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`server: bad port ${JSON.stringify(option('port') ?? process.env.PORT)}`);
    process.exit(2);
  }
  const dataDir = option('data') ?? process.env.PACKDESK_DATA;
  let sync = null;
  let sandbox = null;
  if (dataDir) {
    // --sandbox (`make run`): the marketplace sandbox in this process, the connector's default
    // (web/sandbox/embedded.mjs; not with MARKETPLACE_URL, the real marketplace).
    if (process.argv.includes('--sandbox')) {
      try {
        const { startEmbeddedSandbox } = await import('./sandbox/embedded.mjs');
        sandbox = await startEmbeddedSandbox({ log: (line) => console.error(line), dataDir });
      } catch (err) {
        console.error(`server: ${err.message}`);
        process.exit(1);
      }
    }
    try {
      const { startSyncServer } = await import('./server/main.mjs');
      const origins = (process.env.PACKDESK_STOREFRONT_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
      sync = await startSyncServer({
        dataDir, localPairing: ['127.0.0.1', 'localhost', '::1'].includes(host), corsOrigins: origins,
        demo: process.env.PACKDESK_DEMO !== '0', tickMs: Number(process.env.PACKDESK_TICK_MS ?? 60000),
        marketplace: { env: sandbox?.env ?? process.env },
      });
    } catch (err) {
      console.error(`server: cannot start the sync server on ${dataDir}: ${err.message}`);
      process.exit(1);
    }
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => sync.close().finally(() => process.exit(0)));
  }
  serve({ port, host, api: sync?.handle }).then(async ({ url }) => {
    console.log(`packdesk console: ${url}`);
    for (const line of sync?.banner ?? []) console.log(line);
    for (const line of sandbox?.attach(url) ?? []) console.log(line);
    // `make run` also starts the demo storefront (another origin, embedding the widget) when
    // STOREFRONT_PORT is set; web/storefront/server.mjs says more.
    if (process.env.STOREFRONT_PORT !== undefined) {
      const { startStorefront } = await import('./storefront/server.mjs');
      await startStorefront({ port: process.env.STOREFRONT_PORT, host, consoleOrigin: url.slice(0, -1) });
    }
  }, (err) => {
    console.error(`server: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
}
