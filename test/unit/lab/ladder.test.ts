import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ladderSvg, pairStamps, tcpLadder } from '../../../src/lab/ladder.js';
import { type Packet, TCP_ACK, TCP_FIN, TCP_SYN } from '../../../src/lab/pcap.js';

test('ladder - a burst of equal ACKs pairs in order; the copy sent a timeout earlier is the lost one', () => {
  const acks = pairStamps(
    [{ atMs: 0, number: 1 }, { atMs: 0.1, number: 1 }, { atMs: 0.2, number: 1 }],
    [{ atMs: 0.3, number: 1 }, { atMs: 0.4, number: 1 }, { atMs: 0.5, number: 1 }],
    5,
  );
  assert.deepEqual(acks.map((p) => p.arrivedMs), [0.3, 0.4, 0.5]);
  const data = pairStamps([{ atMs: 0, number: 0 }, { atMs: 100, number: 0, retransmission: true }], [{ atMs: 100.2, number: 0 }], 5);
  assert.deepEqual(data.map((p) => p.arrivedMs), [null, 100.2]);
});

function seg(timeMs: number, fromClient: boolean, flags: number, seq: number, ack: number, payloadBytes = 0): Packet {
  const [a, b] = fromClient ? [['10.0.0.2', 40000], ['10.0.0.1', 5000]] : [['10.0.0.1', 5000], ['10.0.0.2', 40000]];
  return { timeMs, frameBytes: 66 + payloadBytes, proto: 'tcp', src: a[0] as string, srcPort: a[1] as number, dst: b[0] as string, dstPort: b[1] as number, payloadBytes, seq, ack, flags };
}

test('ladder - TCP from a capture: handshake, data, ACKs, a retransmission and FIN, labelled, with relative numbers', () => {
  const packets = [
    seg(0, true, TCP_SYN, 1000, 0),
    seg(1, false, TCP_SYN | TCP_ACK, 5000, 1001),
    seg(2, true, TCP_ACK, 1001, 5001),
    seg(3, true, TCP_ACK, 1001, 5001, 10),
    seg(203, true, TCP_ACK, 1001, 5001, 10),
    seg(204, false, TCP_ACK, 5001, 1011),
    seg(300, true, TCP_FIN | TCP_ACK, 1011, 5001),
    seg(301, false, TCP_FIN | TCP_ACK, 5001, 1012),
  ];
  const l = tcpLadder(packets, 5000);
  assert.ok(l !== undefined);
  assert.deepEqual(
    l.arrows.map((a) => `${a.from === 'left' ? '→' : '←'} ${a.label}`),
    ['→ SYN', '← SYN-ACK', '→ ACK ack=1', '→ seq=1 len=10', '→ retransmission seq=1 len=10', '← ACK ack=11', '→ FIN seq=11', '← FIN seq=1'],
  );
  const svg = ladderSvg(l);
  assert.equal(svg.match(/<g class="arrow"/g)?.length, 8);
  assert.equal(svg.match(/class="cross"/g), null, 'a capture cannot tell a loss after it: no crosses');
  assert.equal(svg.match(/stroke-dasharray/g)?.length, 1, 'the retransmission is dashed');
});
