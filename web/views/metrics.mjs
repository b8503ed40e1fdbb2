// views/metrics.mjs: the shop's metrics (`metrics`: each rate {count, of, rate_bp}, basis
// points) as percentages through Intl, with a small bar chart drawn as inline SVG through DOM
// APIs (createElementNS, textContent): no library, no markup strings.
import { h } from '../dom.mjs';
import { count, percent, t } from '../i18n.mjs';

const RATES = ['late_dispatch', 'seller_cancellation', 'on_time_delivery'];
const SVG = 'http://www.w3.org/2000/svg';
// Lower is better for the first two, higher for on-time delivery: the bar's class says which.
const GOOD_HIGH = new Set(['on_time_delivery']);

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** section: the metrics section; metrics: the core's result (or null). */
export function renderMetrics(section, metrics) {
  const rates = RATES.map((name) => ({ name, ...(metrics?.[name] ?? { count: 0, of: 0, rate_bp: null }) }));
  const summary = rates.map((r) => `${t(`metrics.${r.name}`)} ${percent(r.rate_bp)}`).join(', ');
  section.setAttribute('aria-labelledby', 'metrics-title');
  section.replaceChildren(
    h('h2', { id: 'metrics-title' }, t('metrics.title')),
    h('div', { class: 'metrics-body' },
      h('dl', { class: 'metrics-list' }, rates.map((r) => h('div', { dataset: { metric: r.name, rateBp: r.rate_bp ?? '' } },
        h('dt', {}, t(`metrics.${r.name}`)),
        h('dd', {}, h('strong', { class: 'rate' }, percent(r.rate_bp)), ' ',
          h('span', { class: 'muted' }, r.rate_bp === null ? t('metrics.none') : t('metrics.of', { count: count(r.count), of: count(r.of) })))))),
      chart(rates, summary)));
}

function chart(rates, summary) {
  const W = 220, BAR = 14, GAP = 8, LABEL = 0;
  const height = rates.length * (BAR + GAP);
  const el = svg('svg', { viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img', class: 'metrics-chart', id: 'metrics-chart' });
  el.append(svg('title', {}, t('metrics.chart', { summary })));
  rates.forEach((r, i) => {
    const y = i * (BAR + GAP);
    const share = r.rate_bp === null ? 0 : Math.max(0, Math.min(1, r.rate_bp / 10000));
    el.append(svg('rect', { x: LABEL, y, width: W, height: BAR, class: 'track' }));
    el.append(svg('rect', {
      x: LABEL, y, width: (W * share).toFixed(1), height: BAR,
      class: `bar ${GOOD_HIGH.has(r.name) ? 'good-high' : 'good-low'}`, 'data-metric': r.name,
    }));
    el.append(svg('text', { x: 4, y: y + BAR - 3, class: 'bar-label' }, `${t(`metrics.${r.name}`)} ${percent(r.rate_bp)}`));
  });
  return el;
}
