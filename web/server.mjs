// server.mjs: `make run`: serves the seller console on 127.0.0.1 and prints its URL. One process,
// static files only: web/ at /, the wasm build (build/wasm/packdesk.mjs and .wasm) at /build/wasm/,
// the JS over it (wasm/*.mjs) at /wasm/. Every answer carries the Content-Security-Policy (the
// page repeats it in a meta tag): scripts from this origin only, plus 'wasm-unsafe-eval' so the
// core compiles.
//
//   node web/server.mjs [--port N] [--host H]     (or PORT=N; 0 picks a free port; default 8080)
import { readFile, stat } from 'node:fs/promises';
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

// URL path → file on disk, or null when it is not one of ours.
function resolve(urlPath) {
  const parts = urlPath.split('/').filter(Boolean);
  if (parts.some((p) => p.startsWith('.') || p.includes('\\'))) return null;
  if (parts[0] === 'build' && parts[1] === 'wasm' && parts.length === 3 && /^packdesk\.(mjs|wasm)$/.test(parts[2])) {
    return path.join(ROOT, 'build/wasm', parts[2]);
  }
  if (parts[0] === 'wasm' && parts.length === 2 && parts[1].endsWith('.mjs')) return path.join(ROOT, 'wasm', parts[1]);
  if (parts.length === 0) return path.join(WEB, 'index.html');
  if (parts.length === 1 && parts[0] === 'server.mjs') return null;
  const file = path.join(WEB, ...parts);
  return file.startsWith(WEB + path.sep) ? file : null;
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
  const file = resolve(urlPath);
  try {
    if (!file || !(await stat(file)).isFile()) throw new Error('not a file');
    const body = await readFile(file);
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

/** Starts the server; resolves to {url, close()}. */
export async function serve({ port = 8080, host = '127.0.0.1' } = {}) {
  const server = http.createServer((req, res) => {
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
  serve({ port, host }).then(({ url }) => {
    console.log(`packdesk console: ${url}`);
  }, (err) => {
    console.error(`server: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
}
