import type { Clock } from '../util/clock.js';

/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSec`. One token per message (or,
 * for a byte budget, one per byte).
 * Pure arithmetic over an injected clock, so tests run on a fake one.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  readonly #now: Clock;
  #tokens: number;
  #last: number;

  constructor(ratePerSec: number, burst: number, now: Clock) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs rate > 0 and burst >= 1');
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSec) / 1000);
      this.#last = now;
    }
  }

  /** Takes `count` tokens (one by default) if there are that many; false means "over the rate". */
  take(count = 1): boolean {
    this.#refill();
    if (this.#tokens >= count) {
      this.#tokens -= count;
      return true;
    }
    return false;
  }

  /** Milliseconds until the next token is there (0 if one is now). */
  msUntilToken(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSec);
  }

  /** Whole tokens available now. */
  get available(): number {
    this.#refill();
    return Math.floor(this.#tokens);
  }
}

/** Per-user message rate: sustained rate and burst. `undefined` means no limit (--bench). */
export interface RateLimit {
  ratePerSec: number;
  burst: number;
}

/** The default lets a pasted block of 20+ lines through at once, then 5 lines a second. */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSec: 5, burst: 25 };
