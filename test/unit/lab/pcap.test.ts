import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePcap, summarizePackets, TCP_ACK, TCP_FIN, TCP_SYN } from '../../../src/lab/pcap.js';

const SERVER = [10, 200, 0, 1];
const CLIENT = [10, 200, 0, 2];
const TCP_PORT = 40000;
const UDP_PORT = 40001;

interface Frame {
  timeMs: number;
  bytes: Buffer;
}

function ipv4(src: number[], dst: number[], protocol: number, l4: Buffer): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip[8] = 64;
  ip[9] = protocol;
  Buffer.from(src).copy(ip, 12);
  Buffer.from(dst).copy(ip, 16);
  return Buffer.concat([ip, l4]);
}

function ethernet(ip: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip]);
}

function tcp(fromClient: boolean, clientPort: number, seq: number, ack: number, flags: number, payload = 0): Buffer {
  const h = Buffer.alloc(20 + payload);
  h.writeUInt16BE(fromClient ? clientPort : TCP_PORT, 0);
  h.writeUInt16BE(fromClient ? TCP_PORT : clientPort, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  return ethernet(ipv4(fromClient ? CLIENT : SERVER, fromClient ? SERVER : CLIENT, 6, h));
}

function udp(fromClient: boolean, clientPort: number, payload: number): Buffer {
  const h = Buffer.alloc(8 + payload);
  h.writeUInt16BE(fromClient ? clientPort : UDP_PORT, 0);
  h.writeUInt16BE(fromClient ? UDP_PORT : clientPort, 2);
  h.writeUInt16BE(8 + payload, 4);
  return ethernet(ipv4(fromClient ? CLIENT : SERVER, fromClient ? SERVER : CLIENT, 17, h));
}

/** A pcap file (little-endian, microseconds, Ethernet) of `frames`. */
function pcap(frames: Frame[], linkType = 1): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const records = frames.map(({ timeMs, bytes }) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(timeMs / 1000), 0);
    r.writeUInt32LE(Math.round((timeMs % 1000) * 1000), 4);
    r.writeUInt32LE(bytes.length, 8);
    r.writeUInt32LE(bytes.length, 12);
    return Buffer.concat([r, bytes]);
  });
  return Buffer.concat([header, ...records]);
}

/**
 * One TCP connection: handshake (SYN 1000 -> SYN-ACK 5000), three 50-byte server segments of which
 * the second is sent again, the client's pure ACKs, a FIN each way; plus 3 UDP datagrams.
 */
function sampleRun(): Frame[] {
  const c = 51000;
  const t = (ms: number, bytes: Buffer): Frame => ({ timeMs: 1_700_000_000_000 + ms, bytes });
  return [
    t(0, tcp(true, c, 1000, 0, TCP_SYN)),
    t(1, tcp(false, c, 5000, 1001, TCP_SYN | TCP_ACK)),
    t(2.5, tcp(true, c, 1001, 5001, TCP_ACK)),
    t(10, tcp(false, c, 5001, 1001, TCP_ACK, 50)),
    t(11, tcp(true, c, 1001, 5051, TCP_ACK)),
    t(20, tcp(false, c, 5051, 1001, TCP_ACK, 50)),
    t(30, tcp(false, c, 5101, 1001, TCP_ACK, 50)),
    t(31, tcp(true, c, 1001, 5051, TCP_ACK)), // a duplicate ACK: 5051..5101 went missing
    t(230, tcp(false, c, 5051, 1001, TCP_ACK, 50)), // the retransmission
    t(231, tcp(true, c, 1001, 5151, TCP_ACK)),
    t(300, tcp(true, c, 1001, 5151, TCP_FIN | TCP_ACK)),
    t(301, tcp(false, c, 5151, 1002, TCP_FIN | TCP_ACK)),
    t(302, tcp(true, c, 1002, 5152, TCP_ACK)),
    t(5, udp(true, 52000, 10)),
    t(6, udp(false, 52000, 70)),
    t(7, udp(false, 52001, 70)),
  ];
}

test('lab/pcap - the packet view of one TCP connection and some UDP datagrams', () => {
  const { packets, otherPackets } = parsePcap(pcap(sampleRun()));
  assert.equal(packets.length, 16);
  assert.equal(otherPackets, 0);
  const s = summarizePackets(packets, { tcp: TCP_PORT, udp: UDP_PORT });
  assert.equal(s.tcp.connections, 1);
  assert.equal(s.tcp.handshakes, 1);
  assert.deepEqual(s.tcp.handshakeMs, { median: 2.5, max: 2.5 });
  assert.equal(s.tcp.synRetransmissions, 0);
  assert.equal(s.tcp.dataSegments, 4);
  assert.equal(s.tcp.retransmissions, 1);
  assert.equal(s.tcp.pureAcks, 5, 'the handshake ACK, three ACKs of data and the last ACK of the FIN');
  assert.equal(s.tcp.fins, 2);
  assert.equal(s.tcp.rsts, 0);
  assert.equal(s.udp.datagrams, 3);
  assert.equal(s.udp.payloadBytes, 150);
  assert.equal(s.udp.frameBytes, 3 * (14 + 20 + 8) + 150);
});

test('lab/pcap - a SYN sent again counts as a SYN retransmission and the handshake time includes it', () => {
  const c = 51111;
  const frames: Frame[] = [
    { timeMs: 0, bytes: tcp(true, c, 7, 0, TCP_SYN) },
    { timeMs: 1000, bytes: tcp(true, c, 7, 0, TCP_SYN) },
    { timeMs: 1001, bytes: tcp(false, c, 900, 8, TCP_SYN | TCP_ACK) },
    { timeMs: 1002, bytes: tcp(true, c, 8, 901, TCP_ACK) },
  ];
  const s = summarizePackets(parsePcap(pcap(frames)).packets, { tcp: TCP_PORT, udp: UDP_PORT });
  assert.equal(s.tcp.synRetransmissions, 1);
  assert.deepEqual(s.tcp.handshakeMs, { median: 1002, max: 1002 });
});

test('lab/pcap - packets of other ports are left out, other link payloads counted apart', () => {
  const arp = Buffer.alloc(42);
  arp.writeUInt16BE(0x0806, 12);
  const strangerUdp = udp(true, 53000, 5);
  strangerUdp.writeUInt16BE(9999, 14 + 20 + 2); // to another port
  const { packets, otherPackets } = parsePcap(pcap([{ timeMs: 0, bytes: arp }, { timeMs: 1, bytes: strangerUdp }]));
  assert.equal(otherPackets, 1);
  const s = summarizePackets(packets, { tcp: TCP_PORT, udp: UDP_PORT }, otherPackets);
  assert.equal(s.udp.datagrams, 0);
  assert.equal(s.packets, 2);
});

test('lab/pcap - big-endian files, nanosecond stamps and Linux cooked captures read the same', () => {
  const frames = sampleRun();
  const le = summarizePackets(parsePcap(pcap(frames)).packets, { tcp: TCP_PORT, udp: UDP_PORT });
  // Re-encode as big-endian, nanoseconds, Linux cooked v1 (16-byte header, protocol at 14).
  const header = Buffer.alloc(24);
  header.writeUInt32BE(0xa1b23c4d, 0);
  header.writeUInt32BE(113, 20);
  const records = frames.map(({ timeMs, bytes }) => {
    const sll = Buffer.alloc(16);
    sll.writeUInt16BE(0x0800, 14);
    const body = Buffer.concat([sll, bytes.subarray(14)]);
    const r = Buffer.alloc(16);
    r.writeUInt32BE(Math.floor(timeMs / 1000), 0);
    r.writeUInt32BE(Math.round((timeMs % 1000) * 1e6), 4);
    r.writeUInt32BE(body.length, 8);
    r.writeUInt32BE(body.length, 12);
    return Buffer.concat([r, body]);
  });
  const parsed = parsePcap(Buffer.concat([header, ...records]));
  const be = summarizePackets(parsed.packets, { tcp: TCP_PORT, udp: UDP_PORT });
  assert.deepEqual({ ...be.tcp, frameBytes: 0 }, { ...le.tcp, frameBytes: 0 });
  assert.equal(be.udp.datagrams, le.udp.datagrams);
});

test('lab/pcap - a capture cut short loses only its last record; other formats are refused', () => {
  const whole = pcap(sampleRun());
  assert.equal(parsePcap(whole.subarray(0, whole.length - 5)).packets.length, 15);
  assert.throws(() => parsePcap(Buffer.from('0a0d0d0a00000000000000000000000000000000000000000000', 'hex')), /pcapng/);
  assert.throws(() => parsePcap(Buffer.alloc(4)), /too short/);
});
