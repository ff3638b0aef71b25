/**
 * Timers that hold a datagram for its planned delay and never let it go early.
 *
 * libuv keeps its loop clock in whole milliseconds, truncated, and a timer is due when that
 * clock reaches its start plus its delay. A `setTimeout(fn, 50)` armed late in a millisecond can
 * therefore fire after 49.1 ms of real time. For an impaired link that is a shorter delay than the
 * user asked for: two 50 ms hops measured a 99.7 ms round trip. A hold remembers when it is due
 * on `performance.now()` and, if the timer fires before that, waits out the rest.
 */
export class Holds {
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  /** Runs `fn` once `ms` milliseconds of real time have passed (at once when `ms <= 0`). */
  after(ms: number, fn: () => void): void {
    if (this.#closed) return;
    if (ms <= 0) {
      fn();
      return;
    }
    const due = performance.now() + ms;
    const arm = (wait: number): void => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#closed) return;
        const left = due - performance.now();
        if (left > 0) arm(left);
        else fn();
      }, Math.max(1, Math.ceil(wait)));
      this.#timers.add(timer);
    };
    arm(ms);
  }

  /** How many holds are waiting. */
  get size(): number {
    return this.#timers.size;
  }

  /** Drops every waiting hold; later `after` calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
