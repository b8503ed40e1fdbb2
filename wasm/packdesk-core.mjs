// packdesk-core.mjs: the JavaScript API over the wasm build of the core, for Node 20 and browsers.
//
//   const core = await createCore();
//   core.exec({cmd: 'stats', at: Date.now()})   // → {ok: true, result: {...}}
//   core.execRaw('{"cmd":"stats","at":1}')      // → the response string, byte for byte
//   core.close();
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

const isNode =
  typeof process === 'object' && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined';

const DEFAULT_BASE = new URL('../build/wasm/', import.meta.url);

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
export async function createCore({ wasmBinary, locateFile, baseUrl, esm = false } = {}) {
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
  const M = await factory(moduleOptions);
  let shop = M._pd_shop_new();
  if (!shop) throw coreError('OUT_OF_MEMORY', 'pd_shop_new: out of memory');

  // Runs the request already at ptr (len bytes) and returns the response string.
  function run(ptr, len) {
    if (!shop) throw coreError('CLOSED', 'packdesk core is closed');
    const out = M._pd_exec(shop, ptr, len);
    if (!out) throw coreError('OUT_OF_MEMORY', 'pd_exec: out of memory');
    try {
      return M.UTF8ToString(out);
    } finally {
      M._pd_string_free(out);
    }
  }

  function malloc(n) {
    const ptr = M._malloc(n);
    if (!ptr) throw coreError('OUT_OF_MEMORY', `malloc(${n}): out of memory`);
    return ptr;
  }

  /** One request as a string; the response string exactly as the core wrote it. */
  function execRaw(request) {
    const len = M.lengthBytesUTF8(request);
    const ptr = malloc(len + 1);
    try {
      M.stringToUTF8(request, ptr, len + 1);
      return run(ptr, len);
    } finally {
      M._free(ptr);
    }
  }

  /** One request as raw bytes (for input that is not valid UTF-8); the response string. */
  function execBytes(bytes) {
    const ptr = malloc(bytes.length + 1);
    try {
      M.HEAPU8.set(bytes, ptr);
      M.HEAPU8[ptr + bytes.length] = 0;
      return run(ptr, bytes.length);
    } finally {
      M._free(ptr);
    }
  }

  /** One request, an object or a JSON string; the parsed response object. */
  function exec(request) {
    return JSON.parse(execRaw(typeof request === 'string' ? request : JSON.stringify(request)));
  }

  /** Frees the shop; the core cannot be used afterwards. Safe to call twice. */
  function close() {
    if (shop) M._pd_shop_free(shop);
    shop = 0;
  }

  return { exec, execRaw, execBytes, close };
}
