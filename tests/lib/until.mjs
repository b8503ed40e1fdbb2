// until.mjs: waiting on state in tests that drive real processes.

/** Polls until check() holds (resolves to its value). The bound only stops a hang: no timing is asserted. */
export async function until(what, check, boundMs = 90000) {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
