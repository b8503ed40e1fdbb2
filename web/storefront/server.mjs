// storefront/server.mjs: the demo storefront, a shop's own admin page on its own origin that
// embeds the widget from the console's server, as a real storefront would. `make run` starts it
// next to the console (web/server.mjs, when STOREFRONT_PORT is set; default 8081 there, 0 picks a
// free port); on its own:
//
//   node web/storefront/server.mjs --console http://127.0.0.1:8080 [--port N] [--host H]
//
// It serves five files of this folder and sends the Content-Security-Policy a storefront needs
// for the widget (storefrontCsp, the README's "Widget" section): a strict policy of its own plus,
// exactly, the console server's origin in script-src and connect-src and 'wasm-unsafe-eval'.
// index.html names the console's origin as __PACKDESK_ORIGIN__, filled in here.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/storefront.css': ['storefront.css', 'text/css; charset=utf-8'],
  '/hostile.css': ['hostile.css', 'text/css; charset=utf-8'],
  '/storefront.mjs': ['storefront.mjs', 'text/javascript; charset=utf-8'],
  '/icon.svg': ['icon.svg', 'image/svg+xml'],
};

/**
 * The storefront's policy: its own strict one ('self' only, no inline anything) plus what the
 * widget served from `origin` needs: its modules and glue (script-src), compiling the core
 * ('wasm-unsafe-eval'), fetching the wasm, the widget's stylesheet and sync (connect-src).
 */
export function storefrontCsp(origin) {
  return `default-src 'self'; script-src 'self' ${origin} 'wasm-unsafe-eval'; connect-src 'self' ${origin}; ` +
    "style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}

/** Starts the storefront; consoleOrigin is the console server's (http://127.0.0.1:8080). Resolves to {url, close()}. */
export async function serveStorefront({ port = 8081, host = '127.0.0.1', consoleOrigin }) {
  const origin = new URL(consoleOrigin).origin; // throws on anything but a URL
  const csp = storefrontCsp(origin);
  const server = http.createServer(async (req, res) => {
    const headers = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
    if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    const file = FILES[new URL(req.url, 'http://localhost').pathname];
    if (!file) return res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    try {
      let body = await readFile(path.join(HERE, file[0]), 'utf8');
      if (file[0] === 'index.html') body = body.replaceAll('__PACKDESK_ORIGIN__', origin);
      const bytes = Buffer.from(body);
      res.writeHead(200, { ...headers, 'content-type': file[1], 'content-length': bytes.length });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch {
      res.writeHead(500, headers).end();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  return { url: `http://${host}:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Starts it from a command line or `make run`: prints its URL, or why not and exits 1. */
export async function startStorefront({ port, host, consoleOrigin }) {
  const n = Number(port ?? 8081);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || String(port ?? '8081').trim() === '') {
    console.error(`storefront: bad port ${JSON.stringify(port)}`);
    process.exit(2);
  }
  try {
    const { url } = await serveStorefront({ port: n, host, consoleOrigin });
    console.log(`packdesk storefront (demo, embeds the widget): ${url}`);
  } catch (err) {
    console.error(`storefront: cannot listen on ${host}:${n}: ${err.message}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const option = (name) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const consoleOrigin = option('console') ?? 'http://127.0.0.1:8080';
  try {
    new URL(consoleOrigin);
  } catch {
    console.error(`storefront: --console is not a URL: ${JSON.stringify(consoleOrigin)}`);
    process.exit(2);
  }
  startStorefront({ port: option('port') ?? process.env.STOREFRONT_PORT ?? 8081, host: option('host') ?? process.env.HOST ?? '127.0.0.1', consoleOrigin });
}
