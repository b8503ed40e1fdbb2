// styles.mjs: the widget's stylesheet (packdesk-widget.css, next to this module or to the bundle),
// fetched once per page and made into one constructed CSSStyleSheet that every widget's shadow
// root adopts. A constructed sheet is CSSOM, not a <style> or a stylesheet link, so the
// storefront's style-src needs nothing for it; the fetch is a connect-src request to the server
// that serves the widget (which the wasm's fetch needs anyway). A widget added later, even with
// the network off, adopts the sheet already in memory.
let sheet = null;

/** Resolves to the shared sheet; a failed fetch is not kept, so the next widget tries again. */
export function widgetSheet(url = new URL('packdesk-widget.css', import.meta.url)) {
  sheet ??= (async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const css = new CSSStyleSheet();
    css.replaceSync(await response.text());
    return css;
  })();
  sheet.catch(() => {
    sheet = null;
  });
  return sheet;
}
