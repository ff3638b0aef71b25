import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cdfChart, latencyScale, seqTicks, timelineChart } from '../../../src/lab/charts.js';
import { NO_IMPAIRMENT } from '../../../src/lab/impairment.js';
import { renderProgress } from '../../../src/lab/progress.js';
import { renderReport } from '../../../src/lab/report.js';
import { type CompareResult, estimateWireBytes, measuredWireBytes, type ProtocolResult } from '../../../src/lab/result.js';
import { type Arrival, analyzeRun } from '../../../src/lab/stats.js';
import { captureRows, formatTable } from '../../../src/lab/table.js';

/** A TCP run where message 3 waited for a retransmission, and a UDP run that lost it. */
export function sampleAnalyses(): Parameters<typeof renderReport>[1] {
  const sent = [0, 10, 20, 30, 40];
  const tcp: Arrival[] = [1, 2, 3, 4, 5].map((seq) => ({ seq, receiver: 0, atMs: seq >= 3 && seq <= 4 ? 230 : sent[seq - 1]! + 0.5 }));
  const udp: Arrival[] = [1, 2, 5, 4, 4].map((seq) => ({ seq, receiver: 0, atMs: sent[seq - 1]! + 0.4 }));
  return {
    tcp: analyzeRun({ sentAtMs: sent, receivers: 1, arrivals: tcp, messageBytes: 64 }),
    udp: analyzeRun({ sentAtMs: sent, receivers: 1, arrivals: udp, messageBytes: 64 }),
  };
}

function protocol(over: Partial<ProtocolResult>): ProtocolResult {
  return {
    sent: 5,
    receivers: 1,
    expected: 5,
    delivered: 5,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    lossPct: 0,
    latencyMs: { p50: 0.5, p95: 230, p99: 230, max: 230 },
    setupMs: 1.2,
    setupMaxMs: 2,
    handshakeMs: 0.3,
    setupRetries: 0,
    goodputBytesPerSec: 1400,
    wireBytesPerMessage: 207,
    wireBytesEstimated: true,
    serverErrors: 0,
    ...over,
  };
}

export function sampleResult(): CompareResult {
  return {
    mode: 'kernel-nftables',
    impairment: { ...NO_IMPAIRMENT, lossPct: 10, direction: 'server-to-clients', seed: null, requested: { ...NO_IMPAIRMENT, lossPct: 10, delayMs: 100 }, unavailable: ['delayMs'] },
    tcp: protocol({}),
    udp: protocol({ delivered: 3, lost: 2, lossPct: 40, duplicated: 1, outOfOrder: 1, handshakeMs: null, wireBytesPerMessage: 118, wireBytesEstimated: false }),
    run: { runId: 'ab12', server: 'own', messages: 5, receivers: 1, sizeBytes: 64, ratePerSec: 5, startedAt: '2026-01-02T03:04:05.000Z', durationMs: 3000 },
    notes: ['a note <with> "markup"'],
    capture: null,
  };
}

test('lab/report - wire bytes are estimated from the header sizes', () => {
  // One uplink of 64 bytes and one downlink of 64 + "name: " (10 + 2) bytes.
  assert.equal(estimateWireBytes('udp', 64, 1, 10, { mtu: 1500 }), Math.round((14 + 20 + 8 + 64 + (14 + 20 + 8 + 76)) / 2));
  assert.equal(estimateWireBytes('tcp', 64, 1, 10, { mtu: 1500 }), Math.round((65 + 132 + 77 + 132) / 2));
  // A datagram over the MTU is fragmented: one more Ethernet + IPv4 header per fragment.
  assert.equal(estimateWireBytes('udp', 3000, 1, 0, { mtu: 1500 }) - estimateWireBytes('udp', 3000, 1, 0, { mtu: 65536 }), 2 * 34);
  assert.equal(measuredWireBytes(4000, 10, 3), 100);
  assert.equal(measuredWireBytes(0, 10, 3), undefined);
});

test('lab/report - the terminal table puts TCP and UDP side by side and marks estimates', () => {
  const text = formatTable(sampleResult());
  assert.match(text, /mode: kernel-nftables; impairment \(server -> clients\): loss 10%/);
  assert.match(text, /delivered \/ expected +5 \/ 5 +3 \/ 5/);
  assert.match(text, /lost +0 \(0\.0%\) +2 \(40\.0%\)/);
  assert.match(text, /of which handshake +0\.30 ms +none/);
  assert.match(text, /wire bytes \/ message +~207 \(est\.\) +118/);
  assert.match(text, /note: a note/);
});

test('lab/report - latency axes: log over wide ranges, linear over narrow ones', () => {
  const wide = latencyScale([0.3, 250]);
  assert.equal(wide.log, true);
  assert.equal(wide.min, 0.1);
  assert.equal(wide.max, 1000);
  assert.ok(wide.ticks.includes(1) && wide.ticks.includes(100));
  assert.ok(Math.abs(wide.at(1) - 1 / 4) < 1e-9);
  const narrow = latencyScale([40, 75]);
  assert.equal(narrow.log, false);
  assert.ok(narrow.max >= 75);
  assert.equal(narrow.at(0), 0);
  assert.deepEqual(seqTicks(100), [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
});

test('lab/report - charts draw one CDF line per protocol and mark every lost and late message', () => {
  const a = sampleAnalyses();
  const cdf = cdfChart(a);
  assert.match(cdf, /data-series="tcp" data-points="5"/);
  assert.match(cdf, /data-series="udp" data-points="4"/);
  assert.match(cdf, /UDP: 80\.0% delivered/);
  const timeline = timelineChart(a);
  assert.match(timeline, /data-chart="timeline-tcp"/);
  assert.match(timeline, /data-chart="timeline-udp"/);
  const count = (proto: string, kind: string): number =>
    Number(new RegExp(`data-chart="timeline-${proto}".*?data-kind="${kind}" data-count="(\\d+)"`, 's').exec(timeline)?.[1]);
  assert.equal(count('udp', 'lost'), 1);
  assert.equal(count('udp', 'late'), 1, 'message 4 came after 5');
  assert.equal(count('udp', 'duplicated'), 1);
  assert.equal(count('tcp', 'lost'), 0);
  assert.equal(count('tcp', 'late'), 0);
});

test('lab/report - the page is self-contained and escapes what it shows', () => {
  const html = renderReport(sampleResult(), sampleAnalyses());
  assert.doesNotMatch(html, /<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no script, stylesheet or URL to fetch');
  assert.match(html, /a note &lt;with&gt; &quot;markup&quot;/);
  assert.match(html, /@media print/);
  assert.match(html, /asked for but unavailable in this mode<\/td><td>delayMs/);
});

test('lab/report - the progress line counts what was sent and delivered', () => {
  const line = renderProgress(
    [
      { proto: 'tcp', phase: 'sending', sent: 50, delivered: 150, expected: 300 },
      { proto: 'udp', phase: 'settling', sent: 100, delivered: 280, expected: 300 },
    ],
    100,
    10,
  );
  assert.equal(line, '[#####-----]  50%  TCP sent 50/100 delivered 150/300 · UDP sent 100/100 delivered 280/300 (waiting for late ones)');
});

test('lab/report - the packet view sets the machinery of TCP against the lack of it in UDP', () => {
  const rows = captureRows({
    tool: 'tcpdump',
    file: '/tmp/x.pcap',
    iface: 'lab0',
    where: 'the link',
    summary: {
      packets: 20,
      otherPackets: 0,
      tcp: {
        packets: 14,
        frameBytes: 1500,
        connections: 2,
        handshakes: 2,
        handshakeMs: { median: 0.05, max: 1000.2 },
        synRetransmissions: 1,
        dataSegments: 6,
        pureAcks: 5,
        retransmissions: 1,
        fins: 4,
        rsts: 0,
      },
      udp: { datagrams: 6, frameBytes: 700, payloadBytes: 400 },
    },
  });
  const row = (label: string): [string, string, string] | undefined => rows.find((r) => r[0] === label);
  assert.deepEqual(row('connection set-up')?.slice(1), ['2 of 2 three-way handshakes (SYN, SYN-ACK, ACK), median 0.05 ms, 1 SYN sent again', 'none: the first datagram is already data']);
  assert.deepEqual(row('sent again by the protocol')?.slice(1), ['1 segments (retransmitted or duplicated)', 'never']);
  assert.deepEqual(row('bytes on the wire')?.slice(1), ['1.5 kB', '700 B']);
});
