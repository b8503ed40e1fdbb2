// marketplace.mjs: what tests/marketplace.test.mjs and tests/sandbox.test.mjs share: the legacy
// API fixtures, the sandbox as a real process, a small webhook receiver, and a packdesk order
// walked through the core from import to shipped (this folder holds no tests of its own).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from './engines.mjs';

export const FIXTURES = path.join(ROOT, '../shared/fixtures/tiktok-legacy');

/** Every case of every fixture file, recursively: [{file, name, args, request, response, want}]. */
export function fixtureCases(dir = FIXTURES) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...fixtureCases(p));
    else if (name.endsWith('.json')) {
      for (const c of JSON.parse(readFileSync(p, 'utf8'))) out.push({ file: path.relative(FIXTURES, p), ...c });
    }
  }
  return out;
}

/** The one case of a fixture file (or the one named). */
export function fixture(file, name) {
  const cases = fixtureCases().filter((c) => c.file === file && (name === undefined || c.name === name));
  if (cases.length !== 1) throw new Error(`${file} ${name ?? ''}: ${cases.length} cases`);
  return cases[0];
}

/**
 * Starts web/sandbox/server.mjs as a child process on a free port; resolves to
 * {url, child, stop(), stderr()}. `args` are extra command-line options.
 */
export function startSandboxProcess(args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'web/sandbox/server.mjs'), '--port', '0', ...args], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sandbox printed no URL: ${out}${err}`));
    }, 30000);
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /marketplace sandbox: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1], child, stderr: () => err,
          stop: () => new Promise((ok) => {
            if (child.exitCode !== null) return ok();
            child.once('exit', ok);
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!/marketplace sandbox:/.test(out)) reject(new Error(`the sandbox exited ${code}: ${err}`));
    });
  });
}

/**
 * A webhook receiver on a free port: every POST is kept ({headers, raw}) and answered by
 * `handler(request)` → {status, body} (200 {} by default). `waitFor(pred)` resolves to the kept
 * requests once pred(requests) holds (polling; no timing is asserted).
 */
export async function startReceiver(handler = async () => ({ status: 200, body: {} })) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const request = { method: req.method, url: req.url, headers: req.headers, raw: Buffer.concat(chunks) };
      received.push(request);
      let answer;
      try {
        answer = await handler(request);
      } catch (err) {
        answer = { status: 500, body: { error: err.message } };
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/api/marketplace/webhook`,
    received,
    async waitFor(pred, what = 'webhooks', timeoutMs = 30000) {
      const end = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${received.length}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return received;
    },
    close: () => new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(ok);
    }),
  };
}

/** core.exec that fails the test on a refusal, with the command in the message. */
export function mustExec(core, request) {
  const r = core.exec(request);
  if (!r.ok) throw new Error(`${request.cmd} refused: ${JSON.stringify(r.error)}\n${JSON.stringify(request).slice(0, 300)}`);
  return r;
}

/**
 * Walks order `orderId` through the core from awaiting confirmation to packed and handed over
 * by `method` (every line checked ok, every unit scanned, every checklist item confirmed).
 * Returns the time after the last step.
 */
export function packForHandover(core, orderId, at, method) {
  let t = at;
  const get = () => mustExec(core, { cmd: 'order.get', at: t, order_id: orderId }).result;
  for (const line of get().lines.filter((l) => !l.cancelled)) {
    mustExec(core, { cmd: 'line.check', at: ++t, order_id: orderId, line_id: line.id, result: 'ok' });
  }
  mustExec(core, { cmd: 'order.confirm', at: ++t, order_id: orderId });
  for (const line of get().lines.filter((l) => !l.cancelled)) {
    for (let i = 0; i < line.quantity; i++) mustExec(core, { cmd: 'pack.scan', at: ++t, order_id: orderId, sku: line.seller_sku || line.sku_id });
  }
  for (const { item } of get().checklist) mustExec(core, { cmd: 'pack.confirm', at: ++t, order_id: orderId, item });
  mustExec(core, { cmd: 'pack.complete', at: ++t, order_id: orderId });
  mustExec(core, { cmd: 'handover.set', at: ++t, order_id: orderId, method,
    ...(method === 'dropoff' ? { shipping_point: 'GHN Bến Nghé' } : {}) });
  return t + 1;
}
