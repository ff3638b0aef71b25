/**
 * The one object `charla compare --json` prints (documented in the README's lab section), built from the
 * clients' records. Scripts rely on its shape: fields are added, never renamed or removed.
 */
import type { ProtocolRecord } from './clients.js';
import type { Impairment } from './impairment.js';
import type { LabMode } from './options.js';
import type { CaptureSummary } from './pcap.js';
import { analyzeRun, type LatencySummary, median, type RunAnalysis, roundTo } from './stats.js';

/** One protocol's numbers ("P" in the issue). */
export interface ProtocolResult {
  /** Messages the sender sent. */
  sent: number;
  receivers: number;
  /** sent × receivers: one per (message, receiver) pair. */
  expected: number;
  delivered: number;
  /** expected - delivered: pairs that never arrived before the run ended. */
  lost: number;
  /** Copies beyond the first. */
  duplicated: number;
  /** First arrivals that came after a higher-numbered message (RFC 4737). */
  outOfOrder: number;
  /** 100 × lost / expected. */
  lossPct: number;
  latencyMs: LatencySummary;
  /** Median over the clients of: first packet -> the server's welcome (TCP: handshake + name). */
  setupMs: number | null;
  setupMaxMs: number | null;
  /** TCP: median three-way handshake (connect() to established). UDP: null, it has none. */
  handshakeMs: number | null;
  /** UDP names sent again because the name or the welcome was lost. */
  setupRetries: number;
  /** Unique message bytes delivered (all receivers) per second, first send to last arrival. */
  goodputBytesPerSec: number;
  /** Bytes on the wire per message per hop, headers (Ethernet, IPv4, TCP/UDP) and ACKs included. */
  wireBytesPerMessage: number;
  /** True when `wireBytesPerMessage` is computed from header sizes, false when counted in a capture. */
  wireBytesEstimated: boolean;
  /** "Error: ..." lines the server sent the sender (refused or rate-limited messages). */
  serverErrors: number;
}

/** The impairment as applied, and what of the request could not be. */
export interface ImpairmentReport extends Impairment {
  /** Which packets are impaired: always what the server sends to the clients. */
  direction: 'server-to-clients';
  /** The relay's seed (null in other modes: the kernel's randomness is not seeded). */
  seed: number | null;
  /** What was asked for. */
  requested: Impairment;
  /** Parameters asked for that this mode could not apply ("delayMs", ...). */
  unavailable: string[];
}

/** What was run: enough to repeat it. */
export interface RunInfo {
  runId: string;
  /** "own" (the lab's servers) or the server measured, "host:tcpPort/udpPort". */
  server: string;
  messages: number;
  receivers: number;
  sizeBytes: number;
  ratePerSec: number;
  startedAt: string;
  durationMs: number;
}

/** The packet view of a run with --capture. */
export interface CaptureReport {
  tool: string;
  file: string;
  iface: string;
  where: string;
  summary: CaptureSummary;
}

/** The --json object. */
export interface CompareResult {
  mode: LabMode;
  impairment: ImpairmentReport;
  tcp: ProtocolResult;
  udp: ProtocolResult;
  run: RunInfo;
  /** What this mode cannot show, and anything else worth a sentence. */
  notes: string[];
  capture: CaptureReport | null;
}

/** Link facts the wire estimate needs. */
export interface LinkFacts {
  /** 1500 on the veth link of kernel mode, 65536 on loopback. */
  mtu: number;
}

const ETH = 14;
const IPV4 = 20;
const UDP = 8;
/** 20 bytes of header and 12 of the timestamp option Linux puts on every segment. */
const TCP = 32;

/**
 * Estimated bytes on the wire for one message on one hop, averaged over the sender's uplink and
 * the R downlinks (which carry "NAME: " in front). TCP adds its newline, one segment per MSS and,
 * at these rates, one pure ACK per segment; UDP adds one IPv4 fragment per MTU.
 */
export function estimateWireBytes(proto: 'tcp' | 'udp', sizeBytes: number, receivers: number, nameBytes: number, link: LinkFacts): number {
  const lines = [sizeBytes, ...Array.from({ length: receivers }, () => sizeBytes + nameBytes + 2)];
  let total = 0;
  for (const line of lines) {
    if (proto === 'udp') {
      const datagram = UDP + line;
      const fragments = Math.max(1, Math.ceil(datagram / (link.mtu - IPV4)));
      total += datagram + fragments * (ETH + IPV4);
    } else {
      const bytes = line + 1;
      const mss = link.mtu - IPV4 - TCP;
      const segments = Math.max(1, Math.ceil(bytes / mss));
      total += bytes + segments * (ETH + IPV4 + TCP) * 2; // each data segment and its ACK
    }
  }
  return Math.round(total / lines.length);
}

/** Builds one protocol's result from its record and analysis. */
export function protocolResult(
  record: ProtocolRecord,
  analysis: RunAnalysis,
  wire: { bytesPerMessage: number; estimated: boolean },
): ProtocolResult {
  const setup = median(record.setupMs);
  const handshake = median(record.handshakeMs);
  return {
    sent: record.sentAtMs.length,
    receivers: record.receivers,
    expected: analysis.expected,
    delivered: analysis.delivered,
    lost: analysis.lost,
    duplicated: analysis.duplicated,
    outOfOrder: analysis.outOfOrder,
    lossPct: analysis.expected > 0 ? roundTo((100 * analysis.lost) / analysis.expected, 2) : 0,
    latencyMs: analysis.latencyMs,
    setupMs: setup === null ? null : roundTo(setup, 3),
    setupMaxMs: record.setupMs.length > 0 ? roundTo(Math.max(...record.setupMs), 3) : null,
    handshakeMs: record.proto === 'tcp' && handshake !== null ? roundTo(handshake, 3) : null,
    setupRetries: record.setupRetries,
    goodputBytesPerSec: Math.round(analysis.goodputBytesPerSec),
    wireBytesPerMessage: wire.bytesPerMessage,
    wireBytesEstimated: wire.estimated,
    serverErrors: record.serverErrors.length,
  };
}

/** Analyses a record (a thin wrapper, so callers need not know the record's layout). */
export function analyzeRecord(record: ProtocolRecord): RunAnalysis {
  return analyzeRun({ sentAtMs: record.sentAtMs, receivers: record.receivers, arrivals: record.arrivals, messageBytes: record.messageBytes });
}

/** Bytes per message per hop counted in a capture: every frame of the protocol / (sent × (1 + R)). */
export function measuredWireBytes(frameBytes: number, sent: number, receivers: number): number | undefined {
  const copies = sent * (1 + receivers);
  return copies > 0 && frameBytes > 0 ? Math.round(frameBytes / copies) : undefined;
}
