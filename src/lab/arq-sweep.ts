/**
 * `--sweep window=1,2,4,8,16` and `--sweep delay=0,25,50,100`: the ARQ protocols run once per
 * value, and each point's goodput and utilisation is set beside the textbook's formula
 * U = N·(L/R) / (RTT + L/R), so the table and the chart show where the window, not the link,
 * is the limit (and where, past RTT/(L/R), the formula says the link would be).
 */
import { type ArqCompareOptions, runArqCompare } from './arq-compare.js';
import type { ArqProtocolResult, ArqReport } from './arq-result.js';
import { LINK_RATE_BITS_PER_SEC } from './arq-result.js';

export type SweepParameter = 'window' | 'delay';

export interface SweepSpec {
  parameter: SweepParameter;
  values: number[];
}

/** One protocol at one value. */
export interface SweepPoint {
  value: number;
  protocol: ArqProtocolResult['protocol'];
  window: number;
  delayMs: number;
  delivered: number;
  expected: number;
  goodputBytesPerSec: number;
  /** The formula's goodput: U × R × (message bytes / frame bytes). */
  goodputTheoryBytesPerSec: number | null;
  utilization: number;
  utilizationTheory: number | null;
  messagesPerRtt: number | null;
  rttMs: number | null;
  retransmissions: number;
  retransmissionsPerDelivered: number | null;
}

/** The `sweep` object of --json. */
export interface SweepReport {
  parameter: SweepParameter;
  values: number[];
  protocols: string[];
  points: SweepPoint[];
}

const LIMITS: Record<SweepParameter, [number, number]> = { window: [1, 32_768], delay: [0, 60_000] };

/** Parses `window=1,2,4` or `delay=0,50`. Throws an Error whose message says what is wrong. */
export function parseSweep(text: string): SweepSpec {
  const m = /^(window|delay)=(.+)$/.exec(text.trim());
  if (m === null) throw new Error(`"${text}" is not window=N,N,... or delay=MS,MS,...`);
  const parameter = m[1] as SweepParameter;
  const [min, max] = LIMITS[parameter];
  const values = (m[2] as string).split(',').map((v) => v.trim());
  const numbers = values.map(Number);
  const bad = values.find((v, i) => v === '' || !Number.isInteger(numbers[i]) || (numbers[i] as number) < min || (numbers[i] as number) > max);
  if (bad !== undefined) throw new Error(`${parameter} values are whole numbers from ${min} to ${max}, not "${bad}"`);
  if (numbers.length > 12) throw new Error(`at most 12 values, not ${numbers.length}`);
  return { parameter, values: [...new Set(numbers)].sort((a, b) => a - b) };
}

/** A point of the sweep from one protocol's result. */
export function sweepPoint(value: number, r: ArqProtocolResult, sizeBytes: number, delayMs: number): SweepPoint {
  const frameBytes = (r.transmissionMs / 1000) * (LINK_RATE_BITS_PER_SEC / 8);
  return {
    value,
    protocol: r.protocol,
    window: r.window,
    delayMs,
    delivered: r.delivered,
    expected: r.expected,
    goodputBytesPerSec: r.goodputBytesPerSec,
    goodputTheoryBytesPerSec: r.utilizationTheory === null ? null : Math.round((r.utilizationTheory * LINK_RATE_BITS_PER_SEC * sizeBytes) / 8 / frameBytes),
    utilization: r.utilization,
    utilizationTheory: r.utilizationTheory,
    messagesPerRtt: r.messagesPerRtt,
    rttMs: r.rttMs,
    retransmissions: r.retransmissions,
    retransmissionsPerDelivered: r.retransmissionsPerDelivered,
  };
}

/** Runs every protocol at every value, one run after another. */
export async function runArqSweep(
  opts: ArqCompareOptions,
  spec: SweepSpec,
  onProgress: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ sweep: SweepReport; report: ArqReport }> {
  const points: SweepPoint[] = [];
  let report: ArqReport | undefined;
  for (const value of spec.values) {
    const point: ArqCompareOptions =
      spec.parameter === 'window' ? { ...opts, settings: { ...opts.settings, window: value } } : { ...opts, impairment: { ...opts.impairment, delayMs: value } };
    const outcome = await runArqCompare(point, (line) => onProgress(`${spec.parameter} ${value}: ${line}`), signal);
    report ??= outcome.report;
    const delayMs = outcome.report.settings.impairment.delayMs;
    for (const r of outcome.results) points.push(sweepPoint(value, r, opts.sizeBytes, delayMs));
  }
  return { sweep: { parameter: spec.parameter, values: spec.values, protocols: opts.protocols, points }, report: report as ArqReport };
}

/** The sweep as a table: one row per value and protocol. */
export function formatSweepTable(s: SweepReport): string {
  const head = [s.parameter === 'window' ? 'window' : 'delay (ms)', 'protocol', 'delivered', 'msgs/RTT', 'goodput', 'formula', 'utilisation', 'formula U', 'retx/msg'];
  const pct = (v: number | null): string => (v === null ? '—' : `${(100 * v).toPrecision(3)}%`);
  const rate = (v: number | null): string => (v === null ? '—' : v >= 1e6 ? `${(v / 1e6).toPrecision(3)} MB/s` : v >= 1e3 ? `${(v / 1e3).toPrecision(3)} kB/s` : `${v} B/s`);
  const rows = s.points.map((p) => [
    String(p.value),
    p.protocol.toUpperCase(),
    `${p.delivered}/${p.expected}`,
    p.messagesPerRtt === null ? '—' : p.messagesPerRtt.toFixed(2),
    rate(p.goodputBytesPerSec),
    rate(p.goodputTheoryBytesPerSec),
    pct(p.utilization),
    pct(p.utilizationTheory),
    p.retransmissionsPerDelivered === null ? '—' : p.retransmissionsPerDelivered.toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (c: string[]): string => `  ${c.map((x, i) => (i < 2 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('   ')}`;
  return [
    `Sweep of ${s.parameter} (${s.values.join(', ')}${s.parameter === 'delay' ? ' ms each way' : ''}): goodput and utilisation against U = N·(L/R)/(RTT+L/R)`,
    '',
    line(head),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
