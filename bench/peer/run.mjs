// run.mjs: the peer benchmark in one go (`make bench` runs it): packdesk vs sql.js in Node
// (run-node.mjs), then in Chromium with the IndexedDB floor (run-browser.mjs), then the chart and
// build/bench/peer.json with the goals of issue 5 (bench/chart.mjs). One after the other, so they
// never compete for the CPU. Exits non-zero when a step fails.
//
// usage: node bench/peer/run.mjs
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const step = (script) => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/peer: ${script} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};
step('./run-node.mjs');
step('./run-browser.mjs');
step('../chart.mjs');
