// sw-client.mjs: the page's side of the service worker (web/sw.js). Registers it, and when a new
// version has installed and is waiting, shows a small banner, "Update available — Reload". A new
// version never takes over by itself: only when the seller presses Reload does this page ask the
// waiting worker to activate (after any save in flight has finished), then reloads into it. So an
// open tab keeps running one version's shell until the seller agrees.
//
// Updates are looked for on load, when the network comes back, when the tab becomes visible again,
// and every 15 minutes. If another tab accepted an update, this one says so and offers a reload.
// The version this page runs under is on <html data-sw-version> (asked of the controlling worker).
//
// Its strings live here in English and Vietnamese, by <html lang>, and follow a language switch.

const STRINGS = {
  en: {
    available: 'Update available',
    reload: 'Reload',
    elsewhere: 'packdesk was updated in another tab',
    saving: 'Saving first…',
  },
  vi: {
    available: 'Có bản cập nhật',
    reload: 'Tải lại',
    elsewhere: 'packdesk đã được cập nhật ở một thẻ khác',
    saving: 'Đang lưu trước…',
  },
};
const CHECK_EVERY_MS = 15 * 60 * 1000;

const text = (key) => (STRINGS[(document.documentElement.lang || 'en').slice(0, 2).toLowerCase()] ?? STRINGS.en)[key];

let banner = null;
let bannerState = null; // 'available' | 'elsewhere' | 'saving'
let accepted = false;

function showBanner(state, onReload) {
  bannerState = state;
  if (!banner) {
    banner = document.createElement('div');
    banner.id = 'sw-update';
    banner.setAttribute('role', 'status');
    banner.setAttribute('aria-live', 'polite');
    const label = document.createElement('span');
    label.className = 'sw-update-text';
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'sw-reload';
    // CSSOM, not a style attribute: the page's CSP has no 'unsafe-inline' for styles.
    Object.assign(banner.style, {
      position: 'fixed', insetInline: '0', bottom: '0', zIndex: '1000', display: 'flex', flexWrap: 'wrap',
      gap: '0.75em', alignItems: 'center', justifyContent: 'center', padding: '0.6em 1em',
      background: '#1f2937', color: '#fff', font: 'inherit',
    });
    button.style.font = 'inherit';
    banner.append(label, button);
    document.body.append(banner);
    new MutationObserver(renderBanner).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }
  banner.querySelector('#sw-reload').onclick = onReload;
  renderBanner();
}

function renderBanner() {
  if (!banner) return;
  banner.dataset.state = bannerState;
  banner.querySelector('.sw-update-text').textContent = text(bannerState);
  const button = banner.querySelector('#sw-reload');
  button.textContent = text('reload');
  button.disabled = bannerState === 'saving';
}

// Resolves when no save is in flight (web/status.mjs shows it on #save), or after 10 s.
async function savesSettled() {
  const deadline = Date.now() + 10000;
  while (document.getElementById('save')?.dataset.state === 'saving' && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

async function askVersion(worker) {
  if (!worker) return;
  const channel = new MessageChannel();
  const reply = new Promise((ok) => { channel.port1.onmessage = (e) => ok(e.data?.version); });
  worker.postMessage({ type: 'version' }, [channel.port2]);
  const version = await Promise.race([reply, new Promise((ok) => setTimeout(ok, 5000))]);
  if (version) document.documentElement.dataset.swVersion = version;
}

// Registering (on every load: an update check, and for a new version the whole shell fetched)
// waits until the console has shown its first list or failed (app.mjs sets <body data-ready>):
// it would compete with the console's own start for the network and the CPU (issue 4).
function consoleStarted() {
  return new Promise((ok) => {
    if (document.body.dataset.ready) return ok();
    const observer = new MutationObserver(() => {
      if (!document.body.dataset.ready) return;
      observer.disconnect();
      ok();
    });
    observer.observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
  });
}

async function start() {
  await consoleStarted();
  const sw = navigator.serviceWorker;
  const wasControlled = Boolean(sw.controller);
  let registration;
  try {
    registration = await sw.register('/sw.js', { scope: '/', updateViaCache: 'none' });
  } catch {
    registration = await sw.getRegistration('/').catch(() => undefined); // offline: the one we have
    if (!registration) return;
  }
  askVersion(sw.controller);

  const accept = async () => {
    accepted = true;
    showBanner('saving', accept);
    await savesSettled();
    const waiting = registration.waiting;
    if (!waiting) return location.reload(); // already active (another tab accepted it)
    waiting.postMessage({ type: 'skip-waiting' });
    setTimeout(() => location.reload(), 5000); // should controllerchange never come
  };
  const offer = () => {
    if (registration.waiting && sw.controller && !accepted) showBanner('available', accept);
  };
  const watch = (worker) => {
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed') offer();
    });
  };

  sw.addEventListener('controllerchange', () => {
    if (accepted) location.reload();
    else if (wasControlled) showBanner('elsewhere', () => location.reload());
  });
  registration.addEventListener('updatefound', () => watch(registration.installing));
  watch(registration.installing);
  offer();

  const check = () => registration.update().catch(() => {}); // offline: next time
  addEventListener('online', check);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
  setInterval(check, CHECK_EVERY_MS);
}

if ('serviceWorker' in navigator) start();
