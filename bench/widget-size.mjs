// widget-size.mjs: the widget's weight, part of `make bench`: what a storefront downloads for
// <packdesk-orders>, each file gzipped (zlib's default level, as a server would send it): the
// bundle (web/widget/packdesk-widget.js and every module it imports, minified by make widget),
// its stylesheet, and its own core: the wasm glue and the wasm (make widget builds them for size).
// Prints a table and the total against the budget
// (120 KB, KB = 1000 bytes), writes build/bench/widget-size.json, and exits 1 over budget or when
// the bundle still imports a module of its own (then the sum would leave that module out).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUDGET_BYTES = 120 * 1000;
export const WIDGET_FILES = [
  ['build/widget/packdesk-widget.js', 'widget JS, with all it imports (bundle)'],
  ['build/widget/packdesk-widget.css', 'widget stylesheet'],
  ['build/widget/packdesk.mjs', 'wasm glue (browsers only, minified)'],
  ['build/widget/packdesk.wasm', 'core (wasm, compiled -Oz)'],
];

// A static import or export-from left in the minified bundle: `import x from"`, `import"`, `export*from"`.
const STATIC_IMPORT = /(?:^|[;})\s])(?:import\s*(?:["'`]|[\w$*{][^;()]*?from\s*["'`])|export\s*(?:\*|\{[^}]*\})\s*from\s*["'`])/;

/** [{file, what, raw, gzip}] and the total; throws when a file is missing (run make widget). */
export function measure() {
  const files = WIDGET_FILES.map(([file, what]) => {
    const full = path.join(ROOT, file);
    if (!existsSync(full)) throw new Error(`${file} is missing: run \`make widget\` first`);
    const bytes = readFileSync(full);
    return { file, what, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const bundle = readFileSync(path.join(ROOT, WIDGET_FILES[0][0]), 'utf8');
  return { files, total: files.reduce((n, f) => n + f.gzip, 0), selfContained: !STATIC_IMPORT.test(bundle) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { files, total, selfContained } = measure();
  const kb = (n) => (n / 1000).toFixed(1).padStart(7);
  console.log('\n| the widget, as a storefront downloads it       |     raw KB | gzipped KB |');
  console.log('|-------------------------------------------------|-----------:|-----------:|');
  for (const f of files) console.log(`| ${f.what.padEnd(47)} |    ${kb(f.raw)} |    ${kb(f.gzip)} |`);
  console.log(`| total                                           |    ${kb(files.reduce((n, f) => n + f.raw, 0))} |    ${kb(total)} |`);
  const within = total < BUDGET_BYTES;
  console.log(`widget: ${(total / 1000).toFixed(1)} KB gzipped, budget ${BUDGET_BYTES / 1000} KB: ${within ? 'within' : 'OVER BUDGET'}`);
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/widget-size.json'), `${JSON.stringify({ files, total_gzip: total, budget: BUDGET_BYTES, selfContained }, null, 2)}\n`);
  if (!selfContained) console.error('widget: the bundle still imports a module statically: its size is not all counted');
  if (!within || !selfContained) process.exit(1);
}
