// dom.mjs: building elements without markup strings. h('button', {type: 'button', onclick}, 'text')
// makes the element, sets attributes (or listeners for on* keys), and appends children: strings
// become text nodes, so data from the core or a buyer can never become markup.

/** An element: attrs (null/false skip an attribute, true sets it empty), children (nested arrays flattened). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

let ids = 0;
/** A fresh id for label/for pairs. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A labelled input: <div class=field><label for>text</label><input id ...></div>. */
export function field(label, attrs = {}, tag = 'input', ...children) {
  const id = attrs.id ?? uid();
  return h('div', { class: 'field' }, h('label', { for: id }, label), h(tag, { ...attrs, id }, ...children));
}
