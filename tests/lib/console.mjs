// console.mjs: what the console's Chromium tests share: the real web/server.mjs started for the
// file's tests, a console page on a fresh profile that reports page errors and CSP messages, and
// waits on what the console shows. Holds no tests of its own.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './browser.mjs';
import { ROOT } from './engines.mjs';

/** Starts web/server.mjs on a free port for the calling test file; returns () => its origin. */
export function useConsoleServer() {
  let server;
  let origin;
  before(async () => {
    server = spawn(process.execPath, [path.join(ROOT, 'web/server.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    origin = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (d) => {
        out += d;
        const m = /packdesk console: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`web/server.mjs exited (${code}) before printing its URL: ${out}`)));
    });
  });
  after(() => server?.kill());
  return () => origin;
}

/**
 * The console at origin/hash in a fresh profile; page.problems collects errors and CSP reports.
 * beforeLoad(page), if given, runs before the first navigation (say, to install a fake clock).
 */
export async function openConsole(t, origin, hash = '', { beforeLoad } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'packdesk-console-'));
  const context = await chromium.launchPersistentContext(dir, CHROMIUM);
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  await beforeLoad?.(page);
  page.response = await page.goto(`${origin}/${hash}`);
  await ready(page);
  return page;
}

/** Waits until the console says it is ready, and fails with its loading message if it never is. */
export async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.locator('#loading').textContent());
}

/** Waits (up to 5 s) for the order detail to show `stage`, then asserts it. */
export async function expectStage(page, stage, label) {
  await page.waitForFunction((s) => document.getElementById('detail-stage')?.dataset.stage === s, stage, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await page.locator('#detail-stage').getAttribute('data-stage'), stage, label);
}
