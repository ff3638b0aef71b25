/**
 * The terminal view of a result: TCP and UDP side by side, then the packet view and the notes.
 * Pure: a result in, text out.
 */
import { describeImpairment } from './impairment.js';
import type { CaptureReport, CompareResult, ProtocolResult } from './result.js';

/** "12.3 ms", "0.41 ms", "—". */
export function formatMs(v: number | null): string {
  if (v === null) return '—';
  if (v >= 100) return `${Math.round(v)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** "1.2 kB/s" (decimal units, as network speeds are given). */
export function formatRate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSec >= 1e3) return `${(bytesPerSec / 1e3).toFixed(1)} kB/s`;
  return `${Math.round(bytesPerSec)} B/s`;
}

function pct(n: number, of: number): string {
  return of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '—';
}

/** The rows of the side-by-side table: label, TCP, UDP. */
export function tableRows(r: CompareResult): Array<[string, string, string]> {
  const row = (label: string, f: (p: ProtocolResult) => string): [string, string, string] => [label, f(r.tcp), f(r.udp)];
  return [
    row('connection set-up (median)', (p) => formatMs(p.setupMs)),
    row('  of which handshake', (p) => (p.handshakeMs === null ? 'none' : formatMs(p.handshakeMs))),
    row('  slowest client', (p) => formatMs(p.setupMaxMs)),
    row('delivered / expected', (p) => `${p.delivered} / ${p.expected}`),
    row('lost', (p) => `${p.lost} (${pct(p.lost, p.expected)})`),
    row('duplicated', (p) => String(p.duplicated)),
    row('out of order', (p) => String(p.outOfOrder)),
    row('latency p50', (p) => formatMs(p.latencyMs.p50)),
    row('latency p95', (p) => formatMs(p.latencyMs.p95)),
    row('latency p99', (p) => formatMs(p.latencyMs.p99)),
    row('latency max', (p) => formatMs(p.latencyMs.max)),
    row('goodput', (p) => formatRate(p.goodputBytesPerSec)),
    row('wire bytes / message', (p) => `${p.wireBytesEstimated ? '~' : ''}${p.wireBytesPerMessage}${p.wireBytesEstimated ? ' (est.)' : ''}`),
  ];
}

/** The whole terminal report. */
export function formatTable(r: CompareResult): string {
  const rows = tableRows(r);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(3, ...rows.map((x) => x[1].length));
  const w2 = Math.max(3, ...rows.map((x) => x[2].length));
  const line = (a: string, b: string, c: string): string => `  ${a.padEnd(w0)}   ${b.padStart(w1)}   ${c.padStart(w2)}`;
  const { run } = r;
  const out: string[] = [
    `charla compare: ${run.messages} messages × ${run.receivers} receivers per protocol, ${run.sizeBytes} bytes, ${run.ratePerSec}/s`,
    `mode: ${r.mode}; impairment (server -> clients): ${describeImpairment(r.impairment)}${r.impairment.seed !== null ? ` (seed ${r.impairment.seed})` : ''}`,
    '',
    line('', 'TCP', 'UDP'),
    line('─'.repeat(w0), '─'.repeat(w1), '─'.repeat(w2)),
    ...rows.map(([a, b, c]) => line(a, b, c)),
  ];
  if (r.capture !== null) out.push('', ...formatCapture(r.capture));
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

/** The packet view as rows: what Wireshark would show of each protocol, counted. */
export function captureRows(c: CaptureReport): Array<[string, string, string]> {
  const { tcp, udp } = c.summary;
  const hs = tcp.handshakeMs;
  return [
    ['packets', String(tcp.packets), String(udp.datagrams)],
    ['bytes on the wire', formatBytes(tcp.frameBytes), formatBytes(udp.frameBytes)],
    [
      'connection set-up',
      `${tcp.handshakes} of ${tcp.connections} three-way handshakes (SYN, SYN-ACK, ACK), median ${formatMs(hs.median)}` +
        `${tcp.synRetransmissions > 0 ? `, ${tcp.synRetransmissions} SYN sent again` : ''}`,
      'none: the first datagram is already data',
    ],
    ['data', `${tcp.dataSegments} segments`, `${udp.datagrams} datagrams, one message each`],
    ['acknowledgements', `${tcp.pureAcks} pure ACKs`, 'none'],
    ['sent again by the protocol', `${tcp.retransmissions} segments (retransmitted or duplicated)`, 'never'],
    ['teardown', `${tcp.fins} FIN, ${tcp.rsts} RST`, 'none'],
  ];
}

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

/** The packet view, as lines. */
export function formatCapture(c: CaptureReport): string[] {
  const rows = captureRows(c);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `packets (${c.tool} on ${c.where}; open ${c.file} in Wireshark):`,
    ...rows.flatMap(([label, tcp, udp]) => [`  ${label.padEnd(w)}   TCP: ${tcp}`, `  ${''.padEnd(w)}   UDP: ${udp}`]),
  ];
}
