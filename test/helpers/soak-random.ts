import { randomInt } from 'node:crypto';

/**
 * A small seeded PRNG (sfc32) for the soak test: the same seed gives the same plan (who joins,
 * when, and how each client misbehaves), so a failure can be replayed with `SOAK_SEED=...`.
 * The interleaving on the wire still depends on the scheduler; the plan does not.
 */
export class Random {
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = this.seed;
    for (let i = 0; i < 15; i++) this.next(); // mix the seed in
  }

  /** A float in [0, 1). */
  next(): number {
    let a = this.#a;
    let b = this.#b;
    let c = this.#c;
    let d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A key chosen with the given weights. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return (entries.at(-1) as [K, number])[0];
  }

  /** A child generator with its own stream, so one client's choices do not shift another's. */
  fork(): Random {
    return new Random(this.int(0, 0xffffffff));
  }

  /** `n` bytes, each uniformly random. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

/** A seed from a decimal or 0x-hex string, or a fresh random one when none is given. */
export function parseSeed(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return randomInt(0, 2 ** 32 - 1);
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a seed (an integer 0..2^32-1): ${value}`);
  return n;
}
