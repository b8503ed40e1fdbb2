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

/**
 * web/server.mjs as a child process on `port` (0: a free one), with `env` over this process's
 * (drop a variable by giving it undefined); resolves to {origin, port, stop()} once it prints its
 * URL, rejects when it exits first (with what it printed).
 */
export async function startConsoleServer({ port = 0, env = {} } = {}) {
  const childEnv = { ...process.env, PORT: String(port), ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const child = spawn(process.execPath, [path.join(ROOT, 'web/server.mjs')], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((ok) => child.once('exit', ok));
  const origin = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /packdesk console: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`web/server.mjs exited (${code}) before printing its URL: ${out}`)));
  });
  const stop = async () => {
    child.kill();
    await exited;
  };
  return { origin, port: Number(new URL(origin).port), stop };
}

/** Starts web/server.mjs on a free port for the calling test file; returns () => its origin. */
export function useConsoleServer() {
  let server;
  before(async () => {
    server = await startConsoleServer();
  });
  after(() => server?.stop());
  return () => server.origin;
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
