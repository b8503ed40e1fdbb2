// shop.mjs: the console's one way to the core: queries and commands through the open store, with
// `at` from the clock and an `op` on every command (so a command is applied at most once, even if
// the shell sends it twice). The answer is the core's, untouched: the shell decides no rule.
//
// The console's store reads order bodies lazily (openStore's lazyBodies): a query or command that
// needs one not loaded yet is answered NOT_LOADED and changed nothing. The shop then loads what
// it asked for and calls onLoaded(), for the screen to be drawn again; a tick is sent again first
// (time's effects must not wait for the next minute). settle() waits for those loads.
const notLoaded = (response) => response?.error?.code === 'NOT_LOADED';

export class Shop {
  #store;
  #seq = 0;
  #session = Math.random().toString(36).slice(2, 10);
  #loading = null; // the load of bodies asked for, under way
  #tickAgain = false;

  /** Called with the command's name after every command the core accepted (sync: a round soon). */
  onCommand = null;
  /** Called once bodies that answers said were NOT_LOADED are in: what they drew is drawn again. */
  onLoaded = null;

  constructor(store, clock = () => Date.now()) {
    this.#store = store;
    this.now = clock;
  }

  get store() {
    return this.#store;
  }

  /** A query (order.get, orders.list, stats, ...): the core's response. */
  query(cmd, args = {}) {
    const { response } = this.#store.exec({ cmd, at: this.now(), ...args });
    if (notLoaded(response)) this.#loadLater();
    return response;
  }

  /** Resolves once the bodies asked for so far are loaded (and a tick waiting for them sent):
   * true when there were any. */
  async settle() {
    let any = false;
    while (this.#loading) {
      any = true;
      await this.#loading;
    }
    return any;
  }

  /**
   * `tick` as of now: what time alone decides. Sent without an `op`: applying a tick again changes
   * nothing, and with one the core keeps its answer like any command's, so every minute's tick
   * was a journal record, a save and a reload of every follower tab, even when nothing was due.
   */
  tick() {
    return this.#change({ cmd: 'tick' });
  }

  /**
   * A command: the core's response at once; the save follows (the status bar shows it, and a
   * failed save shows there as 'save failed' with a retry).
   */
  command(cmd, args = {}) {
    return this.#change({ cmd, op: `web-${this.#session}-${++this.#seq}`, ...args });
  }

  #change(request) {
    const { response, saved } = this.#store.exec({ at: this.now(), ...request });
    saved.catch(() => {}); // reported through the store's status ('save-failed')
    if (response.ok) this.onCommand?.(request.cmd);
    else if (notLoaded(response)) {
      this.#tickAgain ||= request.cmd === 'tick';
      this.#loadLater();
    }
    return response;
  }

  // One load at a time; answers NOT_LOADED meanwhile add to what the next asks for. A load that
  // fails is not retried here: the next answer that needs it asks again.
  #loadLater() {
    if (this.#loading) return;
    this.#loading = (async () => {
      let loaded = false;
      try {
        while (await this.#store.loadBodies()) {
          loaded = true;
          if (this.#tickAgain) {
            this.#tickAgain = false;
            this.tick(); // may ask for more: loaded by the next turn
          }
        }
      } catch {
        // the next answer that needs them says NOT_LOADED again (no repaint: it would ask again)
      } finally {
        this.#loading = null;
      }
      if (loaded) this.onLoaded?.();
    })();
  }
}
