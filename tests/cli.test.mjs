// cli.test.mjs: the command-line tool itself: options, line handling, and the --store state
// (persistence across restarts, a failing journal write, a damaged file). Each check runs on
// every CLI build: native, ASan+UBSan, musl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_BINARIES, responseLines, runCli } from './lib/engines.mjs';

const AT = 1764230400000;
const IMPORT_A1 = JSON.stringify({
  cmd: 'order.import', at: AT,
  order: { id: 'A1', placed_at: AT, paid_at: AT, currency: 'VND', lines: [{ sku: 'SKU-1', quantity: 1 }] },
});
const GET_A1 = JSON.stringify({ cmd: 'order.get', at: AT + 1, order_id: 'A1' });
const MAX_LINE = 8 * 1024 * 1024;

const tmpDirs = [];
function tmpDir() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'packdesk-cli-'));
  tmpDirs.push(d);
  return d;
}
process.on('exit', () => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const lines = (...l) => l.map((x) => `${x}\n`).join('');
const parsed = (r) => responseLines(r.stdout).map((l) => JSON.parse(l));

function assertClean(r, what) {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}\n${r.stderr}`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
}

for (const [engine, bin] of Object.entries(CLI_BINARIES)) {
  test(`cli ${engine}: --help explains the tool and exits 0`, async () => {
    const r = await runCli(bin, ['--help']);
    assertClean(r, '--help');
    const text = r.stdout.toString();
    for (const word of ['--store', '--version', 'order.import', 'Examples']) assert.match(text, new RegExp(word));
  });

  test(`cli ${engine}: --version prints the version`, async () => {
    const r = await runCli(bin, ['--version']);
    assertClean(r, '--version');
    assert.match(r.stdout.toString(), /^packdesk \d+\.\d+\.\d+\n$/);
  });

  test(`cli ${engine}: an unknown option prints the usage on stderr and exits 2`, async () => {
    for (const args of [['--bogus'], ['--store'], ['extra']]) {
      const r = await runCli(bin, args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
      assert.match(r.stderr, /usage: packdesk/);
      assert.equal(r.stdout.length, 0);
    }
  });

  test(`cli ${engine}: one response per non-empty line; an over-long line is refused and skipped`, async () => {
    const stats = JSON.stringify({ cmd: 'stats', at: AT });
    const input = Buffer.concat([
      Buffer.from(lines('', stats, '')),
      Buffer.alloc(MAX_LINE + 1, 'x'), Buffer.from('\n'),
      Buffer.from(stats), // the last line has no newline: still answered
    ]);
    const r = await runCli(bin, [], input);
    assertClean(r, 'run');
    const out = responseLines(r.stdout);
    assert.equal(out.length, 3, out.join('\n'));
    assert.equal(out[1], '{"ok":false,"error":{"code":"BAD_REQUEST","message":"request line longer than 8388608 bytes"}}');
    assert.equal(out[0], out[2]);
    assert.equal(JSON.parse(out[0]).ok, true);
  });

  test(`cli ${engine}: --store keeps the shop across a restart`, async () => {
    const dir = path.join(tmpDir(), 'shop'); // missing: the CLI creates it
    const first = await runCli(bin, ['--store', dir], lines(IMPORT_A1));
    assertClean(first, 'first run');
    assert.equal(parsed(first)[0].ok, true, first.stdout.toString());
    const second = await runCli(bin, [`--store=${dir}`], lines(GET_A1, '{"cmd":"nope","at":1}'));
    assertClean(second, 'second run');
    const [got] = parsed(second);
    assert.equal(got.ok, true, second.stdout.toString());
    // Only the accepted change was recorded: not the query, not the refused command.
    assert.deepEqual(readFileSync(path.join(dir, 'commands.jsonl'), 'utf8'), lines(IMPORT_A1));
  });

  test(`cli ${engine}: a failed journal write answers STORAGE and changes nothing`, async () => {
    const dir = tmpDir();
    symlinkSync('/dev/full', path.join(dir, 'commands.jsonl')); // every write fails with ENOSPC
    const r = await runCli(bin, ['--store', dir], lines(IMPORT_A1, GET_A1));
    assertClean(r, 'run');
    const [imported, got] = parsed(r);
    assert.equal(imported.ok, false, JSON.stringify(imported));
    assert.equal(imported.error.code, 'STORAGE');
    assert.equal(got.ok, false, `the order exists after a failed write: ${JSON.stringify(got)}`);
    assert.equal(got.error.code, 'NOT_FOUND');
  });

  test(`cli ${engine}: a damaged store stops with a message and exit 2`, async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'commands.jsonl'), lines(IMPORT_A1, '{"cmd": garbage'));
    const r = await runCli(bin, ['--store', dir], lines(GET_A1));
    assert.equal(r.signal, null);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /commands\.jsonl:2: damaged store/);
    assert.equal(r.stdout.length, 0, 'nothing is answered from a damaged store');
    assert.ok(existsSync(path.join(dir, 'commands.jsonl')), 'the damaged file is left in place');
  });
}
