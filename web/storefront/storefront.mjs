// storefront.mjs: the demo storefront's own script. It listens to the widgets' events the way a
// shop's admin page would (they bubble to the document) and lists them under "Activity";
// window.storefrontLog keeps them for anyone who looks (tests/widget.test.mjs does).
// With ?hostile in the URL it adds hostile.css, the worst CSS a storefront could have.
const EVENTS = ['packdesk-ready', 'packdesk-order-changed', 'packdesk-saved', 'packdesk-error'];
const log = [];
window.storefrontLog = log;

for (const type of EVENTS) {
  document.addEventListener(type, (e) => {
    log.push({ type, widget: e.target.id || e.target.tagName.toLowerCase(), detail: e.detail });
    const item = document.createElement('li');
    item.textContent = `${e.target.id || 'widget'} ${type.replace('packdesk-', '')} ${JSON.stringify(e.detail)}`;
    document.getElementById('activity')?.prepend(item);
  });
}

if (new URLSearchParams(location.search).has('hostile')) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/hostile.css';
  document.head.append(link);
}
