// engines.mjs: the ways the tests drive the core: the CLI binaries as child processes, and the
// wasm build in-process. Shared by tests/*.test.mjs (this folder holds no tests of its own).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export { createCore } from '../../wasm/packdesk-core.mjs';

export const CLI_BINARIES = {
  native: path.join(ROOT, 'build/native/packdesk'),
  asan: path.join(ROOT, 'build/asan/packdesk'),
  musl: path.join(ROOT, 'build/musl/packdesk'),
};

// Sanitizer findings must fail the run: leaks and UB end the process with an error status.
const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=87',
};

export function requireBinary(bin) {
  if (!existsSync(bin)) throw new Error(`${path.relative(ROOT, bin)} is missing: run \`make all\` first`);
  return bin;
}

/**
 * Runs a CLI binary with `args`, writes `input` (string or Buffer) to its stdin and closes it.
 * Resolves to {code, signal, stdout, stderr} (stdout as a Buffer, stderr as a string).
 */
export function runCli(bin, args, input = '', { timeoutMs = 60000 } = {}) {
  requireBinary(bin);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...process.env, ...SANITIZER_ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // the child may exit before reading everything (exit 2)
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

/** The response lines of a CLI run (stdout must end with a newline, or be empty). */
export function responseLines(stdout) {
  const text = stdout.toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`stdout does not end with a newline: ${JSON.stringify(text.slice(-200))}`);
  return text.slice(0, -1).split('\n');
}
