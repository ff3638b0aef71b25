import type { Timer, Timers } from '../../src/util/clock.js';

/** Most callbacks one `advance` runs: a timer that keeps re-arming itself fails the test instead of hanging it. */
const MAX_CALLBACKS_PER_ADVANCE = 1_000_000;

/** Node's bounds on a delay (larger or invalid delays become 1 ms). */
const TIMEOUT_MAX = 2 ** 31 - 1;

/**
 * Timers on a clock that moves only when the test says so: `advance(ms)` runs every callback
 * that falls due, in time order (timers due at the same ms in the order they were set or
 * refreshed, as Node's lists do), each with the clock at its due time, including timers that
 * those callbacks set. Nothing runs by itself, so no test waits for real time to pass.
 *
 * It behaves as Node's timers in what the server relies on: a delay under 1 ms is 1 ms,
 * `refresh()` restarts the delay from now and re-arms a timer that has fired (also from inside
 * its own callback), and does nothing to a cleared one.
 */
export class FakeClock implements Timers {
  #t: number;
  #seq = 0;
  readonly #armed = new Set<FakeTimer>();

  constructor(start = 1_000_000) {
    this.#t = start;
  }

  readonly now = (): number => this.#t;

  set<A>(ms: number, callback: (arg: A) => void, arg: A): Timer {
    const timer = new FakeTimer(this, delayOf(ms), () => callback(arg));
    this.arm(timer);
    return timer;
  }

  clear(timer: Timer | undefined): void {
    if (timer instanceof FakeTimer) timer.cancel();
  }

  /** Timers armed now (set or refreshed, not yet fired or cleared). */
  get pending(): number {
    return this.#armed.size;
  }

  /** Ms until the next timer is due (undefined when none is armed). */
  get nextIn(): number | undefined {
    const next = this.#next();
    return next === undefined ? undefined : next.due - this.#t;
  }

  /** Moves the clock `ms` forward, running what falls due on the way. Returns how many callbacks ran. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`the clock only moves forward (asked for ${ms} ms)`);
    const target = this.#t + ms;
    let ran = 0;
    for (let next = this.#next(); next !== undefined && next.due <= target; next = this.#next()) {
      if (++ran > MAX_CALLBACKS_PER_ADVANCE) throw new Error(`more than ${MAX_CALLBACKS_PER_ADVANCE} timer callbacks in one advance(${ms})`);
      this.#t = next.due;
      this.#armed.delete(next);
      next.fire();
    }
    this.#t = target;
    return ran;
  }

  /** Moves the clock to the next timer's due time and runs what is due then; false when none is armed. */
  runNext(): boolean {
    const next = this.#next();
    if (next === undefined) return false;
    this.advance(next.due - this.#t);
    return true;
  }

  /** (FakeTimer's) arms `timer` to fire its delay from now, after every timer already due then. */
  arm(timer: FakeTimer): void {
    timer.due = this.#t + timer.ms;
    timer.seq = this.#seq++;
    this.#armed.add(timer);
  }

  /** (FakeTimer's) disarms `timer`. */
  disarm(timer: FakeTimer): void {
    this.#armed.delete(timer);
  }

  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#armed) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}

class FakeTimer implements Timer {
  readonly #clock: FakeClock;
  readonly ms: number;
  readonly #run: () => void;
  due = 0;
  seq = 0;
  #cleared = false;

  constructor(clock: FakeClock, ms: number, run: () => void) {
    this.#clock = clock;
    this.ms = ms;
    this.#run = run;
  }

  refresh(): Timer {
    if (!this.#cleared) this.#clock.arm(this);
    return this;
  }

  unref(): Timer {
    return this;
  }

  cancel(): void {
    this.#cleared = true;
    this.#clock.disarm(this);
  }

  fire(): void {
    this.#run();
  }
}

function delayOf(ms: number): number {
  const after = Number(ms);
  return after >= 1 && after <= TIMEOUT_MAX ? after : 1;
}
