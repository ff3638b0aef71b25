/**
 * Memory shared by the generator's threads: per-worker counters the main thread polls, a
 * delivery count per message, and doorbells to wake a thread (Atomics.notify / waitAsync).
 *
 * Why per-message counts are shared: with a window, a sender may send again only when its
 * message has reached all N−1 other users, and those users live in every worker. The worker
 * that makes a count reach N−1 credits the sender and rings its owner's bell.
 */
import type { BenchOptions } from './options.js';

/** Counter slots of one worker, written by that worker only. */
export const Slot = {
  connected: 0,
  ready: 1,
  /** Users given up on before they registered (refused, closed, or out of connect retries). */
  failed: 2,
  sent: 3,
  delivered: 4,
  disconnects: 5,
  retries: 6,
} as const;
export const SLOTS = 8;

/** Flag in a message's count: given up on (it no longer holds its sender's window). */
export const EXPIRED = 0x40000000;
export const COUNT_MASK = EXPIRED - 1;

/** Index of the global delivery total in `control` (after the bells). */
export function totalIndex(threads: number): number {
  return threads + 1;
}

/** Index of the metronome's bell in `control` (rung when a due time changes, or to stop it). */
export function metronomeIndex(threads: number): number {
  return threads + 2;
}

/** Index of the flag in `control` that tells the metronome to end. */
export function stopIndex(threads: number): number {
  return threads + 3;
}

/** The shared buffers (the same objects in every thread). */
export interface SharedBuffers {
  /** SLOTS Int32 per worker. */
  counters: SharedArrayBuffer;
  /**
   * Int32: one doorbell per worker, the main thread's at [threads], then the delivery total,
   * the metronome's bell and its stop flag.
   */
  control: SharedArrayBuffer;
  /** BigInt64 per worker: when (ns) its next message is due under --rate; 0 = nothing due. */
  dues: SharedArrayBuffer;
  /** Int32 per message (sender × msgs + seq): deliveries so far, | EXPIRED. */
  counts: SharedArrayBuffer;
  /** Int32 per sender: messages delivered to everyone (not expired first). */
  completed: SharedArrayBuffer;
}

export function allocateShared(opts: BenchOptions, threads: number): SharedBuffers {
  const messages = Math.max(1, opts.senders * opts.msgs);
  return {
    counters: new SharedArrayBuffer(4 * SLOTS * threads),
    control: new SharedArrayBuffer(4 * (threads + 4)),
    dues: new SharedArrayBuffer(8 * threads),
    counts: new SharedArrayBuffer(4 * messages),
    completed: new SharedArrayBuffer(4 * Math.max(1, opts.senders)),
  };
}

/** What a worker is given at start. */
export interface WorkerSetup {
  opts: BenchOptions;
  port: number;
  index: number;
  threads: number;
  /** Most of this worker's users connecting or registering at once. */
  conc: number;
  shared: SharedBuffers;
}

/** Users of worker `index`: every `threads`-th user, so senders spread over all workers. */
export function ownerOf(user: number, threads: number): number {
  return user % threads;
}

/** Splits `conc` over `threads` workers, at least 1 each. */
export function concShare(conc: number, threads: number, index: number): number {
  return Math.max(1, Math.floor(conc / threads) + (index < conc % threads ? 1 : 0));
}

/** Main -> worker. */
export type ToWorker = { type: 'go'; startNs: number } | { type: 'stop' };

/** Worker -> main. */
export type FromWorker =
  | { type: 'error'; text: string }
  | { type: 'note'; text: string }
  | {
      type: 'report';
      latencies: Float64Array;
      /** With --rate: how late each message was sent against its schedule, ns. */
      sendLags: Float64Array;
      delivered: number;
      dup: number;
      self: number;
      badMarkers: number;
      expired: number;
      sent: number;
      lastDeliveryNs: number;
    };

/** The monotonic clock in ns as a Number, the same in every thread (CLOCK_MONOTONIC). */
export function nowNs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e9 + ns;
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync (V8 has it; TypeScript's ES2023 lib does not declare it). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, timeoutMs?: number): WaitAsyncResult }).waitAsync;

/**
 * Resolves when bell `i` no longer holds `seen` (rung since), or after `timeoutMs`. The event
 * loop stays free meanwhile: this is the waker, not a blocking wait.
 */
export async function waitBell(bells: Int32Array, i: number, seen: number, timeoutMs?: number): Promise<void> {
  const r = waitAsync(bells, i, seen, timeoutMs);
  if (r.async) await r.value;
}

/** Rings bell `i`: wakes the thread waiting on it. */
export function ringBell(bells: Int32Array, i: number): void {
  Atomics.add(bells, i, 1);
  Atomics.notify(bells, i);
}
