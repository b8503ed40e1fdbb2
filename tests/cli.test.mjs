// cli.test.mjs: the command-line tool itself: options, line handling, and the --store state
// (persistence across restarts, a failing journal write, a damaged file). Each check runs on
// every CLI build: native, ASan+UBSan, musl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
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

  test(`cli ${engine}: --store keeps the shop across a restart, journaling only changes`, async () => {
    const dir = path.join(tmpDir(), 'shop'); // missing: the CLI creates it
    const first = await runCli(bin, ['--store', dir], lines(IMPORT_A1, GET_A1, '{"cmd":"nope","at":1}'));
    assertClean(first, 'first run');
    assert.equal(parsed(first)[0].ok, true, first.stdout.toString());
    const second = await runCli(bin, [`--store=${dir}`], lines(GET_A1));
    assertClean(second, 'second run');
    assert.equal(parsed(second)[0].ok, true, second.stdout.toString());
    // Only the accepted change was journaled: not the query, not the refused command.
    const v = await runCli(bin, ['verify', dir]);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(JSON.parse(v.stdout.toString()), { whole: true, orders: 1, snapshot_seq: 0, replayed: 1, torn_bytes: 0 });
    assert.ok(readdirSync(dir).some((f) => /^journal-\d{20}\.pdj$/.test(f)), readdirSync(dir).join(' '));
  });

  test(`cli ${engine}: a failed journal write answers STORAGE and changes nothing`, async () => {
    const dir = tmpDir();
    // A file size limit of 1 KiB: the small import fits, the large one cannot be written.
    const big = JSON.stringify({ cmd: 'order.import', at: AT,
      order: { id: 'B2', placed_at: AT, paid_at: AT, currency: 'VND', buyer_message: 'x'.repeat(900),
               lines: [{ sku: 'SKU-2', quantity: 1 }] } });
    const getB2 = JSON.stringify({ cmd: 'order.get', at: AT + 1, order_id: 'B2' });
    const r = await runCli('/bin/sh', ['-c', `trap '' XFSZ; ulimit -f 2; exec "$0" --store "$1"`, bin, dir],
                           lines(IMPORT_A1, big, getB2, GET_A1));
    assertClean(r, 'run');
    const [a1, b2, gotB2, gotA1] = parsed(r);
    assert.equal(a1.ok, true, JSON.stringify(a1));
    assert.equal(b2.ok, false, JSON.stringify(b2));
    assert.equal(b2.error.code, 'STORAGE');
    assert.equal(gotB2.error.code, 'NOT_FOUND', `the order exists after a failed write: ${JSON.stringify(gotB2)}`);
    assert.equal(gotA1.ok, true);
    const again = await runCli(bin, ['--store', dir], lines(getB2, GET_A1));
    assertClean(again, 'restart');
    assert.deepEqual(parsed(again).map((x) => x.ok), [false, true], 'the restart shows exactly what was answered ok');
  });

  test(`cli ${engine}: a torn write at the journal's end is cut off and reported; the rest is kept`, async () => {
    const dir = tmpDir();
    const getB2 = JSON.stringify({ cmd: 'order.get', at: AT + 1, order_id: 'B2' });
    const importB2 = IMPORT_A1.replaceAll('A1', 'B2');
    assertClean(await runCli(bin, ['--store', dir], lines(IMPORT_A1, importB2)), 'first run');
    const seg = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.pdj')));
    truncateSync(seg, statSync(seg).size - 7); // the crash tore the last write
    const r = await runCli(bin, ['--store', dir], lines(GET_A1, getB2));
    assertClean(r, 'restart');
    assert.match(r.stderr, /torn tail of 7\d* bytes|torn/);
    assert.deepEqual(parsed(r).map((x) => x.ok), [true, false]);
  });

  test(`cli ${engine}: damage inside the journal stops the tool; verify says where; export saves what is readable`, async () => {
    const dir = tmpDir();
    const orders = ['A1', 'B2', 'C3'].map((id) => IMPORT_A1.replaceAll('A1', id));
    assertClean(await runCli(bin, ['--store', dir], lines(...orders)), 'first run');
    const seg = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.pdj')));
    const bytes = readFileSync(seg);
    const second = bytes.indexOf('"B2"');
    bytes[second + 1] ^= 0x20; // one flipped bit inside the second record
    writeFileSync(seg, bytes);
    const r = await runCli(bin, ['--store', dir], lines(GET_A1));
    assert.equal(r.signal, null);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /journal-\d+\.pdj/);
    assert.equal(r.stdout.length, 0, 'nothing is answered from a damaged store');
    const v = await runCli(bin, ['verify', dir]);
    assert.equal(v.code, 1);
    assert.equal(JSON.parse(v.stdout.toString()).whole, false);
    const e = await runCli(bin, ['export', dir]);
    assert.equal(e.code, 0, e.stderr);
    const exported = responseLines(e.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(exported.map((o) => o.id), ['A1'], 'the records before the damage are exported');
    assert.equal(readFileSync(seg).length, bytes.length, 'the damaged file is left as it was');
  });
}
