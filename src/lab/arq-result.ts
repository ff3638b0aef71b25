/**
 * The ARQ protocols' part of `charla compare --json` and of the table: each protocol's object
 * has the fields tcp and udp have (what the application received) plus what the protocol did
 * to get it there, and its utilisation beside the textbook's formula.
 */
import type { ArqProtocol } from '../protocol/arq/index.js';
import type { ArqRecord, ArqSettings } from './arq-run.js';
import type { Impairment } from './impairment.js';
import type { ProtocolResult } from './result.js';
import { analyzeRun, type RunAnalysis, roundTo } from './stats.js';
import { formatMs, formatRate } from './table.js';

/**
 * The nominal link rate R of the utilisation formula. Loopback has no rate of its own, so the
 * lab states one: 100 Mbit/s, a classroom's Ethernet. U = N·(L/R) / (RTT + L/R).
 */
export const LINK_RATE_BITS_PER_SEC = 100e6;
/** Ethernet + IPv4 + UDP header bytes around each datagram. */
const FRAME_OVERHEAD = 14 + 20 + 8;

export interface ArqProtocolResult extends ProtocolResult {
  protocol: ArqProtocol;
  /** Data packets sent again after a timeout. */
  retransmissions: number;
  timeouts: number;
  /** ACKs that acknowledged nothing new. */
  duplicateAcks: number;
  /** Data packets the receiver had already (their ACK was lost, or a timeout was premature), discarded. */
  duplicatesDiscarded: number;
  /** Go-Back-N: packets after a gap, discarded (Selective Repeat buffers them instead). */
  outOfOrderDiscarded: number;
  /** retransmissions / delivered. */
  retransmissionsPerDelivered: number | null;
  window: number;
  seqBits: number;
  unsafeWindow: boolean;
  rtoFinalMs: number;
  /** null: no RTT sample (every packet was retransmitted, Karn's rule). */
  srttMs: number | null;
  /** Smallest RTT measured (the RTT in the formula). */
  rttMs: number | null;
  /** Data and ACK datagrams the link carried, and lost. */
  dataPackets: number;
  ackPackets: number;
  dataLost: number;
  ackLost: number;
  /** Bits of one data frame / R: how long the sender is busy putting one packet on the wire. */
  transmissionMs: number;
  /** Measured: delivered × (L/R) / the time it took. */
  utilization: number;
  /** N·(L/R) / (RTT + L/R), at most 1. */
  utilizationTheory: number | null;
  /** Delivered messages per round trip (the window, at best). */
  messagesPerRtt: number | null;
}

/** The result of one ARQ record. */
export function arqProtocolResult(record: ArqRecord, fallbackRttMs: number): { result: ArqProtocolResult; analysis: RunAnalysis } {
  const analysis = analyzeRun({ sentAtMs: record.sentAtMs, receivers: 1, arrivals: record.arrivals, messageBytes: record.messageBytes });
  const frameBits = (record.messageBytes + 8 + FRAME_OVERHEAD) * 8;
  const lr = (frameBits / LINK_RATE_BITS_PER_SEC) * 1000;
  const rtt = record.sender.minRttMs ?? (fallbackRttMs > 0 ? fallbackRttMs : null);
  const active = analysis.activeMs;
  const datagrams = record.link.data + record.link.ack;
  const utilization = active > 0 ? (analysis.delivered * lr) / active : 0;
  return {
    analysis,
    result: {
      protocol: record.protocol,
      sent: record.sentAtMs.length,
      receivers: 1,
      expected: analysis.expected,
      delivered: analysis.delivered,
      lost: analysis.lost,
      duplicated: analysis.duplicated,
      outOfOrder: analysis.outOfOrder,
      lossPct: analysis.expected > 0 ? roundTo((100 * analysis.lost) / analysis.expected, 2) : 0,
      latencyMs: analysis.latencyMs,
      setupMs: null,
      setupMaxMs: null,
      handshakeMs: null,
      setupRetries: 0,
      goodputBytesPerSec: Math.round(analysis.goodputBytesPerSec),
      wireBytesPerMessage: analysis.delivered > 0 ? Math.round((record.link.bytes + datagrams * FRAME_OVERHEAD) / analysis.delivered) : 0,
      wireBytesEstimated: true,
      serverErrors: 0,
      retransmissions: record.sender.retransmissions,
      timeouts: record.sender.timeouts,
      duplicateAcks: record.sender.duplicateAcks,
      duplicatesDiscarded: record.receiver.duplicatesDiscarded,
      outOfOrderDiscarded: record.receiver.outOfOrderDiscarded,
      retransmissionsPerDelivered: analysis.delivered > 0 ? roundTo(record.sender.retransmissions / analysis.delivered, 4) : null,
      window: record.config.window,
      seqBits: record.config.seqBits,
      unsafeWindow: record.config.unsafeWindow,
      rtoFinalMs: roundTo(record.rtoFinalMs, 3),
      srttMs: record.srttMs === undefined ? null : roundTo(record.srttMs, 3),
      rttMs: rtt === null ? null : roundTo(rtt, 3),
      dataPackets: record.link.data,
      ackPackets: record.link.ack,
      dataLost: record.link.dataLost,
      ackLost: record.link.ackLost,
      transmissionMs: roundTo(lr, 6),
      utilization: roundTo(utilization, 6),
      utilizationTheory: rtt === null ? null : roundTo(Math.min(1, (record.config.window * lr) / (rtt + lr)), 6),
      messagesPerRtt: rtt === null || active <= 0 ? null : roundTo((analysis.delivered * rtt) / active, 3),
    },
  };
}

/** The --json part for the ARQ protocols: settings, then one object per protocol. */
export interface ArqReport {
  settings: {
    direction: ArqSettings['direction'];
    rate: number | 'max';
    rtoMs: number | null;
    drops: { data: number[]; ack: number[] };
    linkRateBitsPerSec: number;
    /** The impairment in force (kernel-nftables mode cannot delay). */
    impairment: Impairment;
    /** Flags asked for that this mode could not apply ("delayMs", ...). */
    unavailable: string[];
    mode: 'relay' | 'kernel-netem' | 'kernel-nftables';
  };
}

/** The ARQ table: one column per protocol. */
export function formatArqTable(results: ArqProtocolResult[], report: ArqReport): string {
  const names = results.map((r) => r.protocol.toUpperCase() + (r.unsafeWindow ? ' (unsafe)' : ''));
  const rows: Array<[string, (r: ArqProtocolResult) => string]> = [
    ['window / seq bits', (r) => `${r.window} / ${r.seqBits}`],
    ['delivered / expected', (r) => `${r.delivered} / ${r.expected}`],
    ['lost', (r) => String(r.lost)],
    ['duplicated (to the app)', (r) => String(r.duplicated)],
    ['out of order (to the app)', (r) => String(r.outOfOrder)],
    ['latency p50', (r) => formatMs(r.latencyMs.p50)],
    ['latency p99', (r) => formatMs(r.latencyMs.p99)],
    ['goodput', (r) => formatRate(r.goodputBytesPerSec)],
    ['data packets / lost', (r) => `${r.dataPackets} / ${r.dataLost}`],
    ['ACKs / lost', (r) => `${r.ackPackets} / ${r.ackLost}`],
    ['retransmissions', (r) => String(r.retransmissions)],
    ['  per delivered message', (r) => (r.retransmissionsPerDelivered === null ? '—' : r.retransmissionsPerDelivered.toFixed(3))],
    ['timeouts', (r) => String(r.timeouts)],
    ['duplicate ACKs', (r) => String(r.duplicateAcks)],
    ['duplicates discarded', (r) => String(r.duplicatesDiscarded)],
    ['RTT (min) / SRTT', (r) => `${formatMs(r.rttMs)} / ${formatMs(r.srttMs)}`],
    ['final RTO', (r) => formatMs(r.rtoFinalMs)],
    ['messages per RTT', (r) => (r.messagesPerRtt === null ? '—' : r.messagesPerRtt.toFixed(2))],
    ['utilisation', (r) => `${(100 * r.utilization).toFixed(3)}%`],
    ['  formula N·(L/R)/(RTT+L/R)', (r) => (r.utilizationTheory === null ? '—' : `${(100 * r.utilizationTheory).toFixed(3)}%`)],
  ];
  const cells = rows.map(([label, f]) => [label, ...results.map(f)]);
  const widths = [Math.max(...cells.map((c) => (c[0] as string).length)), ...names.map((n, i) => Math.max(n.length, ...cells.map((c) => (c[i + 1] as string).length)))];
  const line = (c: string[]): string => `  ${c.map((x, i) => (i === 0 ? x.padEnd(widths[0] as number) : x.padStart(widths[i] as number))).join('   ')}`;
  const s = report.settings;
  const drops = [...s.drops.data.map((k) => `data:${k}`), ...s.drops.ack.map((k) => `ack:${k}`)];
  return [
    `ARQ over UDP (${s.mode} mode): impairing ${s.direction === 'both' ? 'DATA and ACKs' : 'DATA only'}, rate ${s.rate === 'max' ? 'max (the window is the limit)' : `${s.rate}/s`}, ` +
      `RTO ${s.rtoMs === null ? 'RFC 6298' : `fixed ${s.rtoMs} ms`}${drops.length > 0 ? `, dropping ${drops.join(',')}` : ''}; R = ${s.linkRateBitsPerSec / 1e6} Mbit/s (nominal)`,
    '',
    line(['', ...names]),
    line(widths.map((w) => '─'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}
