/**
 * The numbers of a load test: percentiles, medians, the result object and what it says about
 * the generator itself. Pure: no sockets, no clocks, no /proc.
 *
 * Percentiles and the result's field names follow the reference generator
 * (../shared/bench/loadgen), so a result of either tool can be put in the same table. Unknown
 * numbers are -1 there, and here too.
 */

import type { BenchProto } from './options.js';

/**
 * The `p`-th percentile of `sorted` (ascending) by the reference's rule: the element at
 * round(p/100 × (n−1)). NaN for an empty array.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = Math.floor((p / 100) * (n - 1) + 0.5);
  return sorted[Math.min(n - 1, Math.max(0, k))] as number;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Latency summary in µs, as the reference prints it; every field -1 with no samples. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarises latencies in ns (sorted in place). */
export function summarizeLatencies(ns: Float64Array): LatencySummary {
  if (ns.length === 0) return { p50: -1, p90: -1, p99: -1, max: -1, mean: -1 };
  ns.sort();
  let sum = 0;
  for (let k = 0; k < ns.length; k++) sum += ns[k] as number;
  const us = (x: number): number => round1(x / 1000);
  return {
    p50: us(percentile(ns, 50)),
    p90: us(percentile(ns, 90)),
    p99: us(percentile(ns, 99)),
    max: us(ns[ns.length - 1] as number),
    mean: us(sum / ns.length),
  };
}

/** Concatenates the latency samples of every worker. */
export function mergeSamples(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Why a run ended; only `complete` is a success (exit code 0). */
export type EndReason =
  | 'complete'
  | 'connect_failed'
  | 'connect_timeout'
  | 'timeout'
  | 'stalled'
  | 'drained_incomplete'
  | 'lost_connections_during_hold'
  /** Stopped by the user (Ctrl+C) or by a failure of the generator itself. */
  | 'interrupted';

/**
 * One run, as one JSON object. The fields up to `first_error` are the reference generator's,
 * with the same names and units; the rest are charla bench's own.
 */
export interface BenchResult {
  label: string;
  proto: BenchProto;
  port: number;
  /** The other nodes' ports (`--port P,Q,...`): where the users who do not send were. */
  receiver_ports?: number[];
  clients: number;
  senders: number;
  msgs_per_sender: number;
  size: number;
  window: number;
  rate: number;
  end_reason: EndReason;
  /** Users registered when the send phase (or the hold) began. */
  ready_clients: number;
  /** Seconds until every TCP connection was up. */
  connect_s: number;
  /** Seconds until every user was registered (IRC: joined the channel). */
  ready_s: number;
  sent: number;
  expected: number;
  delivered: number;
  /** delivered / expected. */
  ratio: number;
  /** Deliveries beyond N−1 of one message. */
  dup: number;
  /** A sender's own message coming back to it (not counted as a delivery). */
  self: number;
  bad_markers: number;
  /** Messages given up on after --msg-timeout-s (they no longer hold the window). */
  expired_msgs: number;
  /** First message to last delivery, s. */
  run_s: number;
  /** First message to the end of the send phase, s. */
  wall_s: number;
  deliveries_per_s: number;
  msgs_per_s: number;
  /** Send-to-receive latency of every delivery, µs. */
  lat_us: LatencySummary;
  conn_retries: number;
  conn_fail: number;
  /** Registered users whose connection ended before the run did. */
  disconnects: number;
  server_pid: number;
  server_rss_kb_before: number;
  server_rss_kb_after: number;
  /** (RSS after − before) / registered users, KiB. */
  rss_per_conn_kb: number;
  /** Server CPU during the send phase, s and % of one core. */
  server_cpu_s: number;
  server_cpu_pct: number;
  /** The generator's own CPU during the send phase (all its threads), s and % of one core. */
  loadgen_cpu_s: number;
  loadgen_cpu_pct: number;
  /** Idle test: 1 when the server went quiet before its RSS was read. */
  idle_quiesced: number;
  idle_hold_s: number;
  /** The server's whole CPU time when the run ended, s. */
  server_cpu_total_s: number;
  first_error: string;
  // --- charla bench's own ---
  tool: 'charla-bench';
  /** Worker threads that ran the users. */
  threads: number;
  /** Cores this process may run on. */
  cores: number;
  /** Busiest worker thread's event-loop utilisation during the send phase, 0..1 (-1 unknown). */
  loadgen_busy_max: number;
  /**
   * With --rate: how late messages left against their schedule, µs (-1 without a rate). A late
   * generator offers a lumpier load than asked for, which some servers (Nagle) feel.
   */
  send_lag_us: { p50: number; p99: number; max: number };
  /** Who limited the run, as far as the generator can tell. */
  bottleneck: 'server' | 'generator' | 'unknown';
  warnings: string[];
}

/** What the generator measured about itself and the server during the send phase. */
export interface LoadFacts {
  /** Busiest worker's event-loop utilisation, 0..1 (-1 unknown). */
  busyMax: number;
  /** The generator's CPU, % of one core. */
  generatorCpuPct: number;
  /** Cores available to the generator. */
  cores: number;
  threads: number;
  /** Server CPU, % of one core (-1 unknown). */
  serverCpuPct: number;
  /** True for a closed-loop run (window) or an open one (rate). Idle runs measure no load. */
  loaded: boolean;
}

/** A worker thread busier than this is taken as saturated. */
export const BUSY_LIMIT = 0.9;

/**
 * Who limited a loaded run, and a warning when it may have been the generator. A worker event
 * loop busy nearly all the time, or the generator's CPU near all the cores it may use, means
 * the figures are the generator's limit, not (only) the server's.
 */
export function judgeBottleneck(f: LoadFacts): { bottleneck: BenchResult['bottleneck']; warnings: string[] } {
  if (!f.loaded) return { bottleneck: 'unknown', warnings: [] };
  const warnings: string[] = [];
  const busyThread = f.busyMax >= BUSY_LIMIT;
  const usableCores = Math.min(f.cores, f.threads + 1);
  const busyCores = f.generatorCpuPct >= BUSY_LIMIT * 100 * usableCores;
  const serverBusy = f.serverCpuPct >= BUSY_LIMIT * 100;
  if (busyThread || busyCores) {
    const what = busyThread
      ? `its busiest thread was busy ${Math.round(f.busyMax * 100)}% of the time`
      : `it used ${Math.round(f.generatorCpuPct)}% CPU on ${usableCores} core(s)`;
    const server = f.serverCpuPct >= 0 ? ` (server CPU ${Math.round(f.serverCpuPct)}%)` : '';
    const hint =
      f.threads < f.cores - 1
        ? ` try --threads ${Math.min(f.cores - 1, f.threads * 2)}`
        : ' run it on more or faster cores than the server';
    warnings.push(`the generator may be the bottleneck: ${what}${server};${hint}`);
    return { bottleneck: serverBusy ? 'server' : 'generator', warnings };
  }
  if (f.serverCpuPct >= 0) return { bottleneck: serverBusy ? 'server' : 'unknown', warnings };
  return { bottleneck: 'unknown', warnings };
}

/** (after − before) / users in KiB with two decimals; -1 when unknown. */
export function rssPerConnection(beforeKb: number, afterKb: number, users: number): number {
  if (beforeKb < 0 || afterKb < 0 || users <= 0) return -1;
  return Math.round(((afterKb - beforeKb) / users) * 100) / 100;
}

/** `cpuS` over `wallS` as % of one core, one decimal; -1 when unknown. */
export function cpuPercent(cpuS: number, wallS: number): number {
  if (cpuS < 0 || !(wallS > 0)) return -1;
  return round1((100 * cpuS) / wallS);
}
