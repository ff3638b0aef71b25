/**
 * The generator's clock for --rate: a thread that sleeps in Atomics.wait (ns timeouts, no CPU)
 * until the earliest due time a worker posted in `dues`, then rings that worker's bell. Node's
 * timers tick in whole milliseconds at best, so workers pacing themselves with setTimeout sent
 * in lumps; this keeps each message within tens of µs of its schedule, as the reference
 * generator's 1 ms epoll tick roughly does. Started by run.ts only for rated runs.
 */
import { workerData } from 'node:worker_threads';
import { metronomeIndex, nowNs, ringBell, type SharedBuffers, stopIndex } from './shared.js';

const { shared, threads } = workerData as { shared: SharedBuffers; threads: number };
const control = new Int32Array(shared.control);
const dues = new BigInt64Array(shared.dues);
const bell = metronomeIndex(threads);
const stop = stopIndex(threads);
/** Longest sleep when nothing is due (a new due time rings our bell anyway). */
const IDLE_WAIT_MS = 100;

while (Atomics.load(control, stop) === 0) {
  const seen = Atomics.load(control, bell);
  const now = nowNs();
  let earliest = Infinity;
  for (let w = 0; w < threads; w++) {
    const due = Number(Atomics.load(dues, w));
    if (due === 0) continue;
    if (due <= now) {
      // Cleared before ringing: a worker that posts a new time after this is not lost.
      Atomics.compareExchange(dues, w, BigInt(due), 0n);
      ringBell(control, w);
    } else if (due < earliest) {
      earliest = due;
    }
  }
  const waitMs = earliest === Infinity ? IDLE_WAIT_MS : Math.max(0, (earliest - nowNs()) / 1e6);
  if (waitMs > 0) Atomics.wait(control, bell, seen, waitMs);
}
