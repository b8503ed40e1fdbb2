// coalescer.mjs: runs an async job one at a time, folding a burst of requests into one run.
//
// request() returns a promise for the first run that STARTS after the call: it resolves when
// that run succeeds and rejects with its error. Requests made while a run is under way all wait
// for the single next run (the "run again" flag, kept as the list of who waits for it), so n
// requests cost at most two runs, never n, and no run ever overlaps another. (IDBFS redoes its
// whole work for every concurrent syncfs: PLATFORM.md.)
export class Coalescer {
  #job;
  #waiting = []; // {resolve, reject} of requests not yet taken by a run
  #running = false;

  constructor(job) {
    this.#job = job;
  }

  request() {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#running) {
        this.#running = true;
        // After the current task's synchronous requests, so a burst lands in one run.
        queueMicrotask(() => this.#loop());
      }
    });
  }

  async #loop() {
    while (this.#waiting.length) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#job();
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.#running = false;
  }
}
