// packdesk-core.mjs: the JavaScript API over the wasm build of the core, for Node 20 and browsers.
//
//   const core = await createCore();
//   core.exec({cmd: 'stats', at: Date.now()})   // → {ok: true, result: {...}}
//   core.execRaw('{"cmd":"stats","at":1}')      // → the response string, byte for byte
//   core.close();
//
// createCore is loadCoreModule (the instantiated module) then coreOn (a shop and this API on it);
// bench/bench-wasm.mjs calls the two halves itself, to time pd_exec alone.
//
// Loading: the build is MODULARIZE (classic, not ES6; PLATFORM.md). In Node the glue
// build/wasm/packdesk.js is loaded with createRequire and given the .wasm bytes (its own
// fetch() fails in Node 20). In browsers and workers, build/wasm/packdesk.mjs (the same glue with
// `export default createPackdesk;` appended by the Makefile) is imported, and the .wasm is fetched
// next to it. `baseUrl` points elsewhere when the files are served from another place.
//
// Errors: a refused command is a normal response ({ok: false, error}), never a throw. Only a
// NULL from the core (not even the error response could be allocated) throws an Error whose
// `.code` is 'OUT_OF_MEMORY'; using a closed core throws one with `.code` 'CLOSED'.
//
// Strings cross with the platform's own UTF-8 codec (TextEncoder.encodeInto, TextDecoder), not
// the glue's JS loops (lengthBytesUTF8 + stringToUTF8: two passes over each request;
// UTF8ToString: a byte-by-byte scan for the NUL), and a request goes through one buffer kept in
// the core's memory instead of a malloc/free per command. What a command costs around pd_exec
// (issue 5, bench/bench-wasm.mjs, 1000 orders): order.import 2.2 -> 0.7 us, a confirm-pack-ship
// step 1.3 -> 0.8 us, an orders.list of 50 rows 14 -> 9 us. A lone surrogate in a request
// string becomes U+FFFD, as in every Web API (the glue's loop garbled it).

const isNode =
  typeof process === 'object' && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined';

const DEFAULT_BASE = new URL('../build/wasm/', import.meta.url);

// A request of up to this many UTF-16 units is encoded into the core's reusable buffer
// (3 bytes a unit at most, + NUL: 48 KiB); a longer one gets an allocation of its exact size.
const SCRATCH_UNITS = 16384;
const SCRATCH_BYTES = SCRATCH_UNITS * 3 + 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder(); // UTF-8; what the glue's UTF8ToString used above 16 bytes

const factories = new Map(); // base href → Promise of the glue's factory
const compiled = new Map(); // base href → Promise of the compiled WebAssembly.Module (Node)

function coreError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

function memo(map, key, make) {
  if (!map.has(key)) map.set(key, make());
  return map.get(key);
}

// The glue's factory, once per base URL. esm: the ES module glue even in Node (the widget's
// core, build/widget/, is linked for browsers only; given instantiateWasm it runs in Node too).
function loadFactory(base, esm) {
  return memo(factories, `${esm ? 'esm' : 'cjs'} ${base.href}`, async () => {
    if (!isNode || esm) return (await import(new URL('packdesk.mjs', base).href)).default;
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    return createRequire(import.meta.url)(fileURLToPath(new URL('packdesk.js', base)));
  });
}

// In Node, the .wasm compiled once: every createCore() after the first only instantiates it
// (a fresh instance with a fresh memory: nothing is shared between cores).
function compileWasm(base) {
  return memo(compiled, base.href, async () => {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(new URL('packdesk.wasm', base)));
  });
}

/**
 * A new core with one empty shop.
 * @param {{wasmBinary?: ArrayBuffer|Uint8Array, locateFile?: (path: string, prefix: string) => string,
 *          baseUrl?: string|URL, esm?: boolean}} [options] esm: load packdesk.mjs in Node too (tests
 *          of the widget's core, `baseUrl` build/widget/)
 */
export async function createCore(options) {
  return coreOn(await loadCoreModule(options));
}

/**
 * createCore's first half: the build's Emscripten module, instantiated (same options). Exported
 * for bench/bench-wasm.mjs, which times pd_exec alone on it; applications call createCore.
 */
export async function loadCoreModule({ wasmBinary, locateFile, baseUrl, esm = false } = {}) {
  const base = baseUrl ? new URL(baseUrl, import.meta.url) : DEFAULT_BASE;
  const factory = await loadFactory(base, esm);
  const moduleOptions = { locateFile: locateFile ?? ((path) => new URL(path, base).href) };
  if (wasmBinary) {
    moduleOptions.wasmBinary = wasmBinary;
  } else if (isNode) {
    const wasmModule = await compileWasm(base);
    moduleOptions.instantiateWasm = (imports, receiveInstance) => {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receiveInstance(instance, wasmModule));
      return {}; // asynchronous: the glue waits for receiveInstance
    };
  }
  return factory(moduleOptions);
}

/**
 * createCore's second half: a new shop, and the API, on a module from loadCoreModule. Several
 * may share one module (each closes its own shop; the module's memory stays with it).
 */
export function coreOn(M) {
  let shop = M._pd_shop_new();
  if (!shop) throw coreError('OUT_OF_MEMORY', 'pd_shop_new: out of memory');
  const scratch = M._malloc(SCRATCH_BYTES);
  if (!scratch) {
    M._pd_shop_free(shop);
    throw coreError('OUT_OF_MEMORY', `malloc(${SCRATCH_BYTES}): out of memory`);
  }

  function ensureOpen() {
    if (!shop) throw coreError('CLOSED', 'packdesk core is closed');
  }

  // Runs the request already at ptr (len bytes, NUL after them) and returns the response string.
  function run(ptr, len) {
    const out = M._pd_exec(shop, ptr, len);
    if (!out) throw coreError('OUT_OF_MEMORY', 'pd_exec: out of memory');
    try {
      const heap = M.HEAPU8; // read after pd_exec: a grown memory has a new buffer
      const end = heap.indexOf(0, out);
      return decoder.decode(heap.subarray(out, end < 0 ? heap.length : end));
    } finally {
      M._pd_string_free(out);
    }
  }

  /** One request as a string; the response string exactly as the core wrote it. */
  function execRaw(request) {
    ensureOpen();
    if (request.length > SCRATCH_UNITS) return execBytes(encoder.encode(request));
    const heap = M.HEAPU8;
    const { written } = encoder.encodeInto(request, heap.subarray(scratch, scratch + SCRATCH_BYTES - 1));
    heap[scratch + written] = 0;
    return run(scratch, written);
  }

  /** One request as raw bytes (for input that is not valid UTF-8); the response string. */
  function execBytes(bytes) {
    ensureOpen();
    const ptr = bytes.length < SCRATCH_BYTES ? scratch : M._malloc(bytes.length + 1);
    if (!ptr) throw coreError('OUT_OF_MEMORY', `malloc(${bytes.length + 1}): out of memory`);
    try {
      M.HEAPU8.set(bytes, ptr);
      M.HEAPU8[ptr + bytes.length] = 0;
      return run(ptr, bytes.length);
    } finally {
      if (ptr !== scratch) M._free(ptr);
    }
  }

  /** One request, an object or a JSON string; the parsed response object. */
  function exec(request) {
    return JSON.parse(execRaw(typeof request === 'string' ? request : JSON.stringify(request)));
  }

  /** Frees the shop; the core cannot be used afterwards. Safe to call twice. */
  function close() {
    if (!shop) return;
    M._pd_shop_free(shop);
    M._free(scratch);
    shop = 0;
  }

  return { exec, execRaw, execBytes, close };
}
