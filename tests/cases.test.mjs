// cases.test.mjs: runs every scenario file tests/cases/*.json through three engines (the native
// CLI, the ASan+UBSan CLI, the wasm build in-process), checks that their transcripts are
// byte-identical, and checks each step's response against the case's expectations.
//
// A case file:
//   {"rule": "H2" | ["H2", "H9"], "title": "...", "never_output"?: ["12345678980"],
//    "steps": [
//      {"send": {request}, "expect"?: {partial response}, "absent"?: ["result.buyer.phone"]},
//      {"send_raw": "not json", "expect"?: ...},           a line sent as it is
//      {"send_hex": "7bff7d", "expect"?: ...},              raw bytes (invalid UTF-8, NUL, ...)
//      inside `send`, {"$repeat": "x", "times": 1048576} stands for "xxx…" (huge inputs), and
//      {"$from": {"step": 3, "path": "result.changes.0.state"}} for that value of step 3's
//      response (an earlier step; 1-based; the wasm engine's response, which the others must
//      match byte for byte anyway); `$from` works in `expect` too (a value equal to an earlier one)
//      {"import_fixture": {"file": "tiktok-legacy/order/order_detail.json",
//                          "path": "0.response.body.data.order_list.0", "at": 1619611600000,
//                          "op"?: "..."}, "expect"?: ...}
//    ]}
// expect: objects match when every expected key is present and matches (extra keys are fine);
// arrays need the same length and match element by element; scalars must be equal; the string
// "*" matches any value that is present. absent: dotted paths that must not exist in the
// response ("*" as a segment means every element or key). never_output: substrings that no
// response of the case may contain (masking, S1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_BINARIES, ROOT, createCore, responseLines, runCli } from './lib/engines.mjs';

const CASES_DIR = path.join(ROOT, 'tests/cases');
const FIXTURES_DIR = path.join(ROOT, '../shared/fixtures');
const CLI_ENGINES = ['native', 'asan'];

// ---- turning steps into request lines --------------------------------------------------------

function fixtureOrder({ file, path: jsonPath }) {
  let value = JSON.parse(readFileSync(path.join(FIXTURES_DIR, file), 'utf8'));
  for (const key of String(jsonPath ?? '').split('.').filter((k) => k !== '')) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new Error(`import_fixture: ${file} has nothing at "${jsonPath}" (stopped at "${key}")`);
    }
    value = value[key];
  }
  return value;
}

/** The value at a dotted path of an earlier step's response ({"$from": {step, path}}). */
function fromResponse({ step, path: jsonPath }, responses, where) {
  if (!Number.isInteger(step) || step < 1 || step > responses.length) {
    throw new Error(`${where}: $from names step ${step}, not an earlier step`);
  }
  let value = JSON.parse(responses[step - 1]);
  for (const key of String(jsonPath).split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new Error(`${where}: step ${step}'s response has nothing at "${jsonPath}" (stopped at "${key}")`);
    }
    value = value[key];
  }
  return value;
}

/** Replaces every {"$repeat": s, "times": n} in a request by s repeated n times, and every
 * {"$from": {step, path}} by that value of an earlier response. */
function expand(value, responses, where) {
  if (Array.isArray(value)) return value.map((v) => expand(v, responses, where));
  if (value === null || typeof value !== 'object') return value;
  if ('$repeat' in value) return String(value.$repeat).repeat(value.times);
  if ('$from' in value) return fromResponse(value.$from, responses, where);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, responses, where)]));
}

/** The bytes of one step's request line, without the newline (responses: those before it). */
function requestBytes(step, index, responses) {
  const where = `step ${index + 1}`;
  let bytes;
  if ('send' in step) {
    bytes = Buffer.from(JSON.stringify(expand(step.send, responses, where)), 'utf8');
  } else if ('send_raw' in step) {
    if (typeof step.send_raw !== 'string') throw new Error(`${where}: send_raw must be a string`);
    bytes = Buffer.from(step.send_raw, 'utf8');
  } else if ('send_hex' in step) {
    if (!/^([0-9a-fA-F]{2})*$/.test(step.send_hex)) throw new Error(`${where}: send_hex is not hex`);
    bytes = Buffer.from(step.send_hex, 'hex');
  } else if ('import_fixture' in step) {
    const f = step.import_fixture;
    const request = { cmd: 'order.import', at: f.at };
    if (f.op !== undefined) request.op = f.op;
    request.order = fixtureOrder(f);
    bytes = Buffer.from(JSON.stringify(request), 'utf8');
  } else {
    throw new Error(`${where}: needs one of send, send_raw, send_hex, import_fixture`);
  }
  // The CLI reads lines and skips empty ones: such a step could not run the same everywhere.
  if (bytes.length === 0 || bytes.includes(0x0a)) {
    throw new Error(`${where}: a request must be one non-empty line (no "\\n")`);
  }
  return bytes;
}

// ---- matching --------------------------------------------------------------------------------

const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** null when `actual` contains `expected`, else where and how it differs. */
function mismatch(actual, expected, at = '') {
  const here = at || '(response)';
  if (expected === '*') return actual === undefined ? `${here}: expected a value, got nothing` : null;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${here}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length) {
      return `${here}: expected ${expected.length} elements, got ${actual.length}: ${show(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i], `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${here}: expected an object, got ${show(actual)}`;
    }
    for (const key of Object.keys(expected)) {
      const sub = at ? `${at}.${key}` : key;
      if (!(key in actual)) return `${sub}: missing (expected ${show(expected[key])})`;
      const m = mismatch(actual[key], expected[key], sub);
      if (m) return m;
    }
    return null;
  }
  return Object.is(actual, expected) ? null : `${here}: expected ${show(expected)}, got ${show(actual)}`;
}

/** The concrete paths at which a dotted path (with "*" segments) finds something. */
function findPaths(value, segments, at = '') {
  if (segments.length === 0) return [at];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = segments;
  const keys = head === '*' ? Object.keys(value) : head in value ? [head] : [];
  return keys.flatMap((k) => findPaths(value[k], rest, at ? `${at}.${k}` : k));
}

// ---- running ---------------------------------------------------------------------------------

async function cliTranscript(engine, lines) {
  const input = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  const r = await runCli(CLI_BINARIES[engine], [], input);
  if (r.code !== 0 || r.signal) {
    throw new Error(`${engine} CLI ended with ${r.signal ?? `exit ${r.code}`}:\n${r.stderr.slice(0, 4000)}`);
  }
  if (r.stderr !== '') throw new Error(`${engine} CLI wrote to stderr:\n${r.stderr.slice(0, 4000)}`);
  return responseLines(r.stdout);
}

/** Runs the steps on the wasm core one by one, making each request from the responses before
 * it ($from); returns the request lines and the responses. */
async function wasmTranscript(steps) {
  const core = await createCore();
  const lines = [];
  const responses = [];
  try {
    steps.forEach((step, i) => {
      lines.push(requestBytes(step, i, responses));
      responses.push(core.execBytes(lines[i]));
    });
    return { lines, responses };
  } finally {
    core.close();
  }
}

// The widget's own core (make widget: -Oz, LTO, emmalloc, browsers only) must answer every case
// byte for byte as the others do. It runs when it was built after the core's last change: a
// stale one (make wasm without make widget) is said, not compared (make test builds it).
const WIDGET_BASE = path.join(ROOT, 'build/widget/');
const widgetCoreFresh = (() => {
  const built = (f) => (existsSync(f) ? statSync(f).mtimeMs : -1);
  const wasm = built(path.join(WIDGET_BASE, 'packdesk.wasm'));
  const newest = Math.max(...['core', 'third_party/cjson'].flatMap((d) => readdirSync(path.join(ROOT, d))
    .filter((f) => /\.[ch]$/.test(f)).map((f) => built(path.join(ROOT, d, f)))));
  return wasm >= newest;
})();

async function widgetTranscript(lines) {
  const core = await createCore({ baseUrl: pathToFileURL(WIDGET_BASE), esm: true });
  try {
    return lines.map((line) => core.execBytes(line));
  } finally {
    core.close();
  }
}

/** Everything a case's test needs, computed ahead so that cases can run in parallel. */
async function runCase(file) {
  const c = JSON.parse(readFileSync(path.join(CASES_DIR, file), 'utf8'));
  if (!Array.isArray(c.steps) || c.steps.length === 0) throw new Error(`${file}: "steps" must be a non-empty array`);
  const { lines, responses } = await wasmTranscript(c.steps);
  const transcripts = { wasm: responses };
  if (widgetCoreFresh) transcripts['wasm-size'] = await widgetTranscript(lines);
  await Promise.all(CLI_ENGINES.map(async (e) => { transcripts[e] = await cliTranscript(e, lines); }));
  return { c, lines, transcripts };
}

function checkCase({ c, lines, transcripts }) {
  const engines = Object.keys(transcripts);
  const [first, ...others] = engines;
  for (const e of engines) {
    assert.equal(transcripts[e].length, lines.length,
      `${e}: ${transcripts[e].length} responses for ${lines.length} requests`);
  }
  for (const other of others) {
    const i = transcripts[first].findIndex((line, k) => line !== transcripts[other][k]);
    if (i >= 0) {
      assert.fail(`transcripts differ at step ${i + 1} (${lines[i].toString('utf8').slice(0, 200)}):\n` +
        `  ${first}: ${transcripts[first][i]}\n  ${other}: ${transcripts[other][i]}`);
    }
  }
  const responses = transcripts[first];
  c.steps.forEach((step, i) => {
    const request = lines[i].toString('utf8').slice(0, 300);
    for (const secret of c.never_output ?? []) {
      assert.ok(!responses[i].includes(secret),
        `step ${i + 1} (${request}): the response contains "${secret}", which must never be output:\n  ${responses[i]}`);
    }
    let response;
    try {
      response = JSON.parse(responses[i]);
    } catch (e) {
      assert.fail(`step ${i + 1} (${request}): the response is not JSON (${e.message}):\n  ${responses[i]}`);
    }
    if ('expect' in step) {
      const m = mismatch(response, expand(step.expect, responses.slice(0, i), `step ${i + 1}`));
      if (m) assert.fail(`step ${i + 1} (${request}):\n  ${m}\n  response: ${responses[i]}`);
    }
    for (const p of step.absent ?? []) {
      const found = findPaths(response, p.split('.'));
      if (found.length) {
        assert.fail(`step ${i + 1} (${request}): "${found[0]}" must be absent\n  response: ${responses[i]}`);
      }
    }
  });
}

// ---- one test per case file --------------------------------------------------------------------

const files = readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort();

function caseName(file) {
  try {
    const c = JSON.parse(readFileSync(path.join(CASES_DIR, file), 'utf8'));
    const rule = Array.isArray(c.rule) ? c.rule.join(',') : String(c.rule ?? '?');
    return `${rule} ${file} ${c.title ?? ''}`.trim();
  } catch {
    return `? ${file} (unreadable case file)`;
  }
}

// Run all cases ahead, a few CLI processes at a time; each test then reports its own outcome.
const results = new Map();
{
  const queue = [...files];
  const workers = Array.from({ length: Math.max(2, Math.min(8, os.availableParallelism())) }, async () => {
    while (queue.length) {
      const file = queue.shift();
      results.set(file, await runCase(file).then((r) => ({ r }), (error) => ({ error })));
    }
  });
  await Promise.all(workers);
}

for (const file of files) {
  test(caseName(file), () => {
    const { r, error } = results.get(file);
    if (error) throw error;
    checkCase(r);
  });
}

test('the scenario runner found case files', () => {
  assert.ok(files.length > 0, `no *.json in ${CASES_DIR}`);
});

test('the widget\'s core (build/widget) answered every case as the others', (t) => {
  if (!widgetCoreFresh) t.skip('build/widget/packdesk.wasm is missing or older than the core\'s sources: run make widget');
});
