// shop.mjs: the console's one way to the core: queries and commands through the open store, with
// `at` from the clock and an `op` on every command (so a command is applied at most once, even if
// the shell sends it twice). The answer is the core's, untouched: the shell decides no rule.
export class Shop {
  #store;
  #seq = 0;
  #session = Math.random().toString(36).slice(2, 10);

  /** Called with the command's name after every command the core accepted (sync: a round soon). */
  onCommand = null;

  constructor(store, clock = () => Date.now()) {
    this.#store = store;
    this.now = clock;
  }

  get store() {
    return this.#store;
  }

  /** A query (order.get, orders.list, stats, ...): the core's response. */
  query(cmd, args = {}) {
    return this.#store.exec({ cmd, at: this.now(), ...args }).response;
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
    return response;
  }
}
