// console-bundle.test.mjs: the console as web/server.mjs serves it after `make console`: the two
// minified bundles (build/console/) in place of its modules, in the page and in the service
// worker's shell, with the widget's -Oz core; what the page loads, gzipped, within issue 4's
// 150 KB budget; and a bundle older than a module is not served (the modules are, as they are).
// The core's answers are checked byte for byte against the -O2 build by tests/cases.test.mjs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './lib/engines.mjs';
import { openConsole, useConsoleServer } from './lib/console.mjs';

const BUDGET = 150 * 1024; // issue 4: the console's own JS + wasm (and the rest of its shell), gzipped
const APP = path.join(ROOT, 'build/console/app.js');

// Fresh bundles, whatever was edited since the last build (make test builds them too).
before(() => execFileSync('make', ['--no-print-directory', 'console'], { cwd: ROOT, stdio: 'ignore' }));
const origin = useConsoleServer();

const text = async (url) => (await fetch(url)).text();
const shellOf = (sw) => JSON.parse(/const SHELL = (\[.*\]);/.exec(sw)[1]);

test('console bundle: served in place of the modules, precached instead of them, within 150 KB gzipped, and it works', async (t) => {
  const html = await text(`${origin()}/`);
  assert.match(html, /<script type="module" src="\/build\/console\/app\.js"><\/script>/);
  assert.match(html, /<script type="module" src="\/build\/console\/sw-client\.js"><\/script>/);
  assert.doesNotMatch(html, /app\.mjs|sw-client\.mjs/);
  const shell = shellOf(await text(`${origin()}/sw.js`));
  for (const url of ['/', '/build/console/app.js', '/build/console/sw-client.js', '/build/widget/packdesk.mjs', '/build/widget/packdesk.wasm']) {
    assert.ok(shell.includes(url), `${url} in the shell`);
  }
  assert.deepEqual(shell.filter((u) => u.endsWith('.mjs') && u !== '/build/widget/packdesk.mjs'), [], 'no module of the sources in the shell');

  const loaded = new Map();
  const page = await openConsole(t, origin(), '', {
    beforeLoad: (p) => p.on('response', async (r) => {
      if (r.url().startsWith(origin()) && r.status() === 200) loaded.set(new URL(r.url()).pathname, await r.body().catch(() => Buffer.alloc(0)));
    }),
  });
  assert.ok(await page.locator('#orders button[data-order-id]').count() > 0, 'the demo shop\'s orders are listed');
  assert.deepEqual(page.problems, []);
  const scripts = [...loaded.keys()].filter((u) => /\.(m?js|wasm)$/.test(u)).sort();
  assert.deepEqual(scripts, ['/build/console/app.js', '/build/console/sw-client.js', '/build/widget/packdesk.mjs', '/build/widget/packdesk.wasm']);
  let gzipped = 0;
  for (const [url, body] of loaded) if (url !== '/sw.js' && !url.startsWith('/api/')) gzipped += gzipSync(body, { level: 9 }).length;
  assert.ok(gzipped > 60 * 1024, `the page's files were all counted (${gzipped} B)`);
  assert.ok(gzipped <= BUDGET, `the console loads ${(gzipped / 1024).toFixed(1)} KB gzipped, over its ${BUDGET / 1024} KB budget`);
});

test('console bundle: one older than a module is not served; the modules are, in the page and in the shell', async () => {
  const { atime, mtime } = await stat(APP);
  await utimes(APP, atime, new Date(0)); // as if a module had been edited after the build
  try {
    const html = await text(`${origin()}/`);
    assert.match(html, /<script type="module" src="\/app\.mjs"><\/script>/);
    assert.doesNotMatch(html, /build\/console/);
    const shell = shellOf(await text(`${origin()}/sw.js`));
    assert.ok(shell.includes('/app.mjs') && shell.includes('/wasm/packdesk-store.mjs'), 'the modules are the shell');
    assert.ok(!shell.includes('/build/console/app.js'), 'the stale bundle is not');
  } finally {
    await utimes(APP, atime, mtime);
  }
  assert.match(await text(`${origin()}/`), /src="\/build\/console\/app\.js"/, 'fresh again, served again');
});
