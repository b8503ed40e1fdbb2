// embedded.mjs: the marketplace sandbox inside `make run`'s one node process (web/server.mjs
// --sandbox), so the seller's one command runs the whole loop: the sandbox makes orders and
// plays carriers and buyers, its webhooks reach the sync server, the seller's operations reach
// the sandbox as signed calls. No marketplace account.
//
// Settings (environment): SANDBOX_PORT (8090; 0 picks a free port), SANDBOX_ORDER_EVERY (60: a
// new paid order every 60 s), SANDBOX_PLAY_EVERY (20: every 20 s a shipped parcel moves on, now
// and then a buyer asks to cancel), SANDBOX_SEED. The sandbox takes the connector's own
// credentials (config.mjs), so the two sides agree by construction. It listens on 127.0.0.1
// only, whatever host the console has: its /sandbox/ routes are unsigned.
//
// Given the data folder, the sandbox's shop is kept in it (sandbox.json, state-file.mjs): the
// sync server's SQLite file persists, so the marketplace must too, or a restarted `make run`
// would hold orders its marketplace never heard of (and their ship calls would fail).
//
// With MARKETPLACE_URL set the connector talks to a real marketplace, and no sandbox starts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { marketplaceConfig, SANDBOX_PORT } from '../server/marketplace/config.mjs';
import { startSandbox } from './server.mjs';

function seconds(env, name, fallback) {
  const value = env[name];
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86400) throw new Error(`${name} must be a number of seconds from 0 to 86400, not ${JSON.stringify(value)}`);
  return n;
}

/**
 * Starts the sandbox (unless MARKETPLACE_URL is set: then null). Resolves to {url, env, attach,
 * close}: `env` is the environment for the connector (SANDBOX_PORT set to the port really used),
 * attach(consoleUrl) points the sandbox's webhooks at that console's sync server and returns the
 * lines to print. `dataDir`: the sync server's data folder, where the sandbox keeps its shop
 * (sandbox.json). Throws (with a message) on a bad setting, a port in use or a damaged state file.
 */
export async function startEmbeddedSandbox({ env = process.env, log = () => {}, dataDir = null } = {}) {
  if (env.MARKETPLACE_URL?.trim()) return null;
  const port = Number(env.SANDBOX_PORT?.trim() || SANDBOX_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_PORT is not a port: ${JSON.stringify(env.SANDBOX_PORT)}`);
  const orderEvery = seconds(env, 'SANDBOX_ORDER_EVERY', 60);
  const playEvery = seconds(env, 'SANDBOX_PLAY_EVERY', 20);
  const seed = Number(env.SANDBOX_SEED ?? (Date.now() >>> 0));
  const { appKey, appSecret, shopId, accessToken } = marketplaceConfig({ ...env, SANDBOX_PORT: String(port) });
  let stateFile = null;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    stateFile = path.join(path.resolve(dataDir), 'sandbox.json');
  }
  let sandbox;
  try {
    sandbox = await startSandbox({
      port, host: '127.0.0.1', orderEvery, playEvery, seed: Number.isFinite(seed) ? seed : 1,
      credentials: { appKey, appSecret, shopId, accessToken }, log, stateFile,
    });
  } catch (err) {
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
      throw new Error(`the marketplace sandbox cannot listen on 127.0.0.1:${port} (${err.message}); SANDBOX_PORT=N picks another port`);
    }
    throw new Error(`the marketplace sandbox cannot start: ${err.message}`);
  }
  return {
    url: sandbox.url,
    env: { ...env, SANDBOX_PORT: String(sandbox.port) },
    attach(consoleUrl) {
      const webhookUrl = new URL('api/marketplace/webhook', consoleUrl).href;
      sandbox.webhooks.setUrl(webhookUrl);
      const pace = [orderEvery > 0 ? `a new order every ${orderEvery} s` : 'orders on POST /sandbox/orders',
        playEvery > 0 ? `a carrier or buyer move every ${playEvery} s` : null].filter(Boolean).join(', ');
      return [`marketplace sandbox (TikTok Shop API, local): ${sandbox.url} (${pace}; webhooks to ${webhookUrl})` +
        (stateFile ? `; its shop kept in ${stateFile}` : '')];
    },
    close: () => sandbox.close(),
  };
}
