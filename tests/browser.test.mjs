// browser.test.mjs: wasm/packdesk-core.mjs loads and answers in headless Chromium, in a page and
// in a module worker (the same ES-module path a browser shell will use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { CHROMIUM, serveRepo } from './lib/browser.mjs';

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
  const server = await serveRepo({ '/': PAGE });
  t.after(() => server.close());
  const browser = await chromium.launch(CHROMIUM);
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => window.result, null, { timeout: 20000 }).catch(() => {});
  const result = await page.evaluate(() => window.result);
  assert.deepEqual(errors, []);
  assert.ok(result, 'the page never finished');
  assert.equal(result.error, undefined, result.error);
  assert.equal(JSON.parse(result.page[0]).ok, true, result.page[0]);
  assert.equal(result.page[1], 'UNKNOWN_COMMAND');
  assert.equal(result.worker, 'BAD_JSON');
});
