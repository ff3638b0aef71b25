/** Milliseconds on a monotonic clock. Injected wherever time decides behaviour, so tests can move it. */
export type Clock = () => number;

/** The real monotonic clock (immune to wall-clock jumps). */
export const monotonic: Clock = () => performance.now();

/**
 * One timer set with `Timers.set`. Node's own `Timeout` is one, so the real timers cost nothing
 * over calling `setTimeout` directly.
 */
export interface Timer {
  /**
   * Starts the timer's delay again from now, with the same delay and callback; re-arms it if it
   * has already fired; does nothing once it is cleared. Cheap (Node moves the timer to the end of
   * its list): the idle timeout calls it on every chunk a connection reads.
   */
  refresh(): Timer;
  /** The timer alone does not keep the process alive (the fake clock ignores it). */
  unref(): Timer;
}

/**
 * The time, and timers on it: every timeout and rate limit of a server (registration, idle,
 * bare-message pause, rate pacing and the flood kick on TCP; silence and unnamed registrations
 * on UDP; the hub's wrong-operator-key delay). One instance is shared by every transport of a
 * server, so a test moves all of them at once with a fake clock (test/helpers/fake-clock.ts).
 *
 * Callbacks take one argument instead of being closures, so a connection's timers cost no
 * function object each (see StreamConnection).
 */
export interface Timers {
  /** The time now, in monotonic ms. A plain function: it can be handed on as a `Clock`. */
  readonly now: Clock;
  /** Calls `callback(arg)` once, `ms` from now (as `setTimeout`: under 1 ms counts as 1 ms). */
  set<A>(ms: number, callback: (arg: A) => void, arg: A): Timer;
  /** Cancels `timer` (nothing if it has fired, is cleared already or is undefined). */
  clear(timer: Timer | undefined): void;
}

/**
 * Node's timers, reporting the time from `now`. With a `now` other than the real clock the
 * timers still run in real time: what a test that only moves the time (the UDP sweep every few
 * real ms, judging silence by the moved clock) relies on.
 */
export function nodeTimers(now: Clock = monotonic): Timers {
  return new NodeTimers(now);
}

/**
 * A class, not an object of arrow functions, so that every server's timers share one `set` and
 * one `clear`: code V8 compiled calling the warm-up's timers (`realTimers`) stays valid for the
 * real server's (a new closure there was a "wrong call target" deopt of the line path's `take`
 * at the first real user's registration).
 */
class NodeTimers implements Timers {
  readonly now: Clock;

  constructor(now: Clock) {
    this.now = now;
  }

  set<A>(ms: number, callback: (arg: A) => void, arg: A): Timer {
    return setTimeout(callback, ms, arg);
  }

  clear(timer: Timer | undefined): void {
    clearTimeout(timer as NodeJS.Timeout | undefined);
  }
}

/** The real time and Node's timers: what a server runs on unless told otherwise. */
export const realTimers: Timers = nodeTimers();

/**
 * `read` (the wall clock by default), read at most once per turn of the event loop: every call
 * in the same turn gets the time of the first. `Date.now()` costs about 40 ns, and one turn
 * takes the lines of every socket that had some: a reading per room message was about 1 ns of
 * each delivery in workload a (50 users, bench/hot-path.mjs). A message's time is then late by
 * at most how long the turn has run. The reading expires in the loop's check phase
 * (setImmediate), after the poll phase that read the lines.
 */
export function perTurn(read: () => number = Date.now): () => number {
  let time = 0;
  let fresh = false;
  const expire = (): void => {
    fresh = false;
  };
  return () => {
    if (!fresh) {
      time = read();
      fresh = true;
      setImmediate(expire);
    }
    return time;
  };
}

/** The wall clock (ms since the epoch), read once per event-loop turn: the server time of room messages. */
export const turnWallClock: () => number = perTurn();
