/**
 * The lab's arithmetic: delivery, loss, duplicates, order and latency over one protocol's run.
 * Pure: arrays in, numbers out, so every rule is tested on made-up sequences.
 *
 * Counting is per (message, receiver) pair: a message sent once to R receivers is R expected
 * deliveries. For each pair:
 * - delivered: it arrived at least once; lost: it never arrived (before the run's deadline), so
 *   `delivered + lost = expected` always;
 * - duplicated: each arrival after the first (copies are not deliveries);
 * - out of order: its first arrival came after a higher-numbered message had already reached
 *   that receiver (the "reordered" definition of RFC 4737). Duplicates never count here.
 */

/** One message arriving at one receiver. */
export interface Arrival {
  /** Message number, from 1. */
  seq: number;
  /** Receiver index, from 0. */
  receiver: number;
  /** Arrival time, on the clock the sender stamped with. */
  atMs: number;
}

/** What happened to one (message, receiver) pair, for charts. */
export interface Fate {
  seq: number;
  receiver: number;
  /** Latency of the first copy; undefined when it was lost. */
  latencyMs: number | undefined;
  /** The first copy came after a higher-numbered one. */
  late: boolean;
  /** Copies received (0 = lost, 2+ = duplicated). */
  copies: number;
}

/** Latency percentiles in ms; null when nothing was delivered. */
export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** One protocol's delivery counts. */
export interface DeliveryCounts {
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

/** Everything `analyzeRun` finds. */
export interface RunAnalysis extends DeliveryCounts {
  latencyMs: LatencySummary;
  /** Sorted latencies of first copies, for the CDF. */
  latencies: number[];
  fates: Fate[];
  /** Unique application bytes delivered, summed over receivers, per second of the run. */
  goodputBytesPerSec: number;
  /** From the first send to the last first arrival (0 when nothing arrived). */
  activeMs: number;
}

/** Input of `analyzeRun`: what the sender stamped and what the receivers saw. */
export interface RunInput {
  /** `sentAtMs[seq - 1]`: send time of each message actually sent. */
  sentAtMs: readonly number[];
  receivers: number;
  /** Every arrival, in the order it happened (per receiver, order matters). */
  arrivals: readonly Arrival[];
  /** Bytes of one message as the sender wrote it (the payload). */
  messageBytes: number;
}

/** Counts and latencies of one protocol's run. Arrivals of unknown messages or receivers are ignored. */
export function analyzeRun(input: RunInput): RunAnalysis {
  const { sentAtMs, receivers } = input;
  const sent = sentAtMs.length;
  const copies = new Uint32Array(sent * receivers);
  const latency = new Float64Array(sent * receivers);
  const late = new Uint8Array(sent * receivers);
  const highest = new Array<number>(receivers).fill(0);
  let duplicated = 0;
  let outOfOrder = 0;
  let lastArrivalMs = -Infinity;
  for (const { seq, receiver, atMs } of input.arrivals) {
    if (!Number.isInteger(seq) || seq < 1 || seq > sent || !Number.isInteger(receiver) || receiver < 0 || receiver >= receivers) continue;
    const i = (seq - 1) * receivers + receiver;
    copies[i] = (copies[i] as number) + 1;
    if ((copies[i] as number) > 1) {
      duplicated++;
      continue;
    }
    latency[i] = atMs - (sentAtMs[seq - 1] as number);
    lastArrivalMs = Math.max(lastArrivalMs, atMs);
    if (seq < (highest[receiver] as number)) {
      late[i] = 1;
      outOfOrder++;
    } else {
      highest[receiver] = seq;
    }
  }
  const fates: Fate[] = [];
  const latencies: number[] = [];
  for (let seq = 1; seq <= sent; seq++) {
    for (let r = 0; r < receivers; r++) {
      const i = (seq - 1) * receivers + r;
      const n = copies[i] as number;
      if (n > 0) latencies.push(latency[i] as number);
      fates.push({ seq, receiver: r, latencyMs: n > 0 ? (latency[i] as number) : undefined, late: late[i] === 1, copies: n });
    }
  }
  latencies.sort((a, b) => a - b);
  const expected = sent * receivers;
  const delivered = latencies.length;
  const activeMs = delivered > 0 ? lastArrivalMs - (sentAtMs[0] as number) : 0;
  return {
    expected,
    delivered,
    lost: expected - delivered,
    duplicated,
    outOfOrder,
    latencyMs: summarizeLatency(latencies),
    latencies,
    fates,
    goodputBytesPerSec: activeMs > 0 ? (delivered * input.messageBytes * 1000) / activeMs : 0,
    activeMs,
  };
}

/** Nearest-rank percentile of an ascending array (`p` in 0..100); undefined for an empty one. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** p50, p95, p99 and max of ascending latencies, rounded to µs. */
export function summarizeLatency(sorted: readonly number[]): LatencySummary {
  const at = (p: number): number | null => {
    const v = percentile(sorted, p);
    return v === undefined ? null : roundTo(v, 3);
  };
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

/** The median of some numbers (not necessarily sorted); null for none. */
export function median(values: readonly number[]): number | null {
  const v = percentile([...values].sort((a, b) => a - b), 50);
  return v === undefined ? null : v;
}

/** `value` rounded to `digits` decimals. */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
