// browser.test.mjs: wasm/packdesk-core.mjs loads and answers in headless Chromium, in a page and
// in a module worker (the same ES-module path a browser shell will use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './lib/engines.mjs';

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const PAGE = `<!doctype html><script type="module">
  import { createCore } from '/wasm/packdesk-core.mjs';
  const core = await createCore();
  const page = [core.execRaw('{"cmd":"stats","at":1764230400000}'), core.exec({ cmd: 'nope', at: 1 }).error.code];
  core.close();
  const worker = new Worker(URL.createObjectURL(new Blob([
    "import { createCore } from '" + location.origin + "/wasm/packdesk-core.mjs';" +
    "const core = await createCore(); postMessage(core.exec('not json').error.code);"
  ], { type: 'text/javascript' })), { type: 'module' });
  worker.onmessage = (e) => { window.result = { page, worker: e.data }; };
  worker.onerror = (e) => { window.result = { error: String(e.message) }; };
</script>`;

test('browser: the wasm core runs in Chromium, in a page and in a module worker', async (t) => {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') return res.end(PAGE);
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
  t.after(() => server.close());
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.result, null, { timeout: 20000 }).catch(() => {});
  const result = await page.evaluate(() => window.result);
  assert.deepEqual(errors, []);
  assert.ok(result, 'the page never finished');
  assert.equal(result.error, undefined, result.error);
  assert.equal(JSON.parse(result.page[0]).ok, true, result.page[0]);
  assert.equal(result.page[1], 'UNKNOWN_COMMAND');
  assert.equal(result.worker, 'BAD_JSON');
});
