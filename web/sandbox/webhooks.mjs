// webhooks.mjs: the sandbox's webhook sender. Each notification is built once
// ({type, tts_notification_id, shop_id, timestamp, data}), signed once (Authorization: lowercase
// hex HMAC-SHA256 of app key + body, as the marketplace does) and POSTed to the configured URL.
//
// One at a time, in order: a notification that fails (network, non-2xx) is retried with a
// growing delay before the next is sent, so a receiver sees a package's scan before the status
// it implies. After `maxAttempts` it is given up (counted in `failed`). Like the marketplace,
// a notification may arrive more than once (a 2xx lost on the way): receivers de-duplicate.
import { signWebhook } from '../server/marketplace/webhook.mjs';

const MAX_QUEUE = 10000;
const RECENT = 200;

export function createWebhookSender({ appKey, appSecret, shopId, url = null, fetch = globalThis.fetch, now = Date.now,
  maxAttempts = 8, backoffMs = 200, maxBackoffMs = 5000, timeoutMs = 10000, log = () => {} }) {
  const queue = [];
  const recent = [];
  const stats = { sent: 0, delivered: 0, failed: 0, attempts: 0, dropped: 0 };
  let target = url;
  let running = false;
  let stopped = false;
  let seq = 0;
  let idle = Promise.resolve();
  let markIdle = () => {};
  let wake = null; // resolves the backoff sleep early on stop

  function build(type, data) {
    seq += 1;
    const body = JSON.stringify({
      type, tts_notification_id: `${now()}${String(seq).padStart(6, '0')}`, shop_id: shopId,
      timestamp: Math.floor(now() / 1000), data,
    });
    return { id: JSON.parse(body).tts_notification_id, type, body, signature: signWebhook(body, appKey, appSecret), attempts: 0 };
  }

  function remember(n, status) {
    recent.push({ id: n.id, type: n.type, status, attempts: n.attempts });
    if (recent.length > RECENT) recent.shift();
  }

  function sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async function deliver(n) {
    n.attempts += 1;
    stats.attempts += 1;
    try {
      const res = await fetch(target, { method: 'POST', body: n.body, signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'application/json', authorization: n.signature } });
      await res.arrayBuffer().catch(() => {});
      if (res.ok) return true;
      log(`webhook ${n.id}: HTTP ${res.status}`);
    } catch (err) {
      log(`webhook ${n.id}: ${err.message}`);
    }
    return false;
  }

  async function run() {
    running = true;
    while (queue.length && target && !stopped) {
      const n = queue[0];
      if (await deliver(n)) {
        queue.shift();
        stats.delivered += 1;
        remember(n, 'delivered');
      } else if (n.attempts >= maxAttempts) {
        queue.shift();
        stats.failed += 1;
        remember(n, 'failed');
      } else {
        await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (n.attempts - 1)));
      }
    }
    running = false;
    if (queue.length === 0) markIdle();
  }

  function kick() {
    if (running || stopped || !target || queue.length === 0) return;
    idle = new Promise((resolve) => {
      markIdle = resolve;
    });
    run().catch((err) => log(`webhook sender: ${err.message}`));
  }

  return {
    /** Queues a notification; delivered as soon as a URL is set. Returns its id. */
    send(type, data) {
      if (queue.length >= MAX_QUEUE) {
        stats.dropped += 1;
        return null;
      }
      const n = build(type, data);
      queue.push(n);
      stats.sent += 1;
      kick();
      return n.id;
    },
    setUrl(next) {
      target = next || null;
      kick();
    },
    url: () => target,
    stats: () => ({ ...stats, queued: queue.length, url: target }),
    recent: () => recent.slice(),
    /** Resolves when the queue is empty (or at once when nothing is being sent). */
    drained: () => (running ? idle : Promise.resolve()),
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
