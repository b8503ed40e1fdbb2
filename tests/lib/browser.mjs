// browser.mjs: what the Chromium tests share: the repository served over http on 127.0.0.1,
// Chromium's launch options (PLATFORM.md), and a browser on a fresh profile. Holds no tests of
// its own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './engines.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
};

/**
 * Chromium on a fresh profile (a new directory named after `prefix`), closed and its profile
 * removed when the test `t` ends; resolves to the browser context.
 */
export async function launchFresh(t, prefix = 'packdesk-chromium-') {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(dir, CHROMIUM);
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return context;
}

/** Serves the repository's files, and `pages` (path → HTML) first; resolves to {origin, close()}. */
export async function serveRepo(pages = {}) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname in pages) return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(pages[url.pathname]);
    const file = path.join(ROOT, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(ROOT)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
