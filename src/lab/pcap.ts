/**
 * A small pcap reader and the packet view's summary: what Wireshark would show of a run, counted
 * instead of listed. Pure (bytes in, numbers out), so it is tested on packets built by hand.
 *
 * Reads classic pcap files (as tcpdump -w and tshark -F pcap write them), either byte order,
 * micro- or nanosecond timestamps; link types Ethernet, Linux cooked (v1, v2), BSD loopback and
 * raw IP; IPv4 only (the lab runs on 127.0.0.1 or its own 10.200.0.0/30). Anything else is
 * counted as `otherPackets`.
 */

/** One decoded IPv4 TCP or UDP packet. */
export interface Packet {
  timeMs: number;
  /** Bytes on the wire as captured (the frame's original length). */
  frameBytes: number;
  proto: 'tcp' | 'udp';
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payloadBytes: number;
  /** TCP only. */
  seq: number;
  ack: number;
  flags: number;
}

/** TCP header flags. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Packets of a pcap file, plus how many could not be decoded as IPv4 TCP/UDP. */
export function parsePcap(data: Uint8Array): { packets: Packet[]; otherPackets: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 24) throw new Error('not a pcap file: too short');
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nano = magic === 0xa1b23c4d;
  } else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = buf.readUInt32BE(0) === 0xa1b23c4d;
  } else {
    throw new Error('not a classic pcap file (pcapng? write it with tcpdump -w, or tshark -F pcap)');
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const packets: Packet[] = [];
  let otherPackets = 0;
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const inclLen = u32(off + 8);
    const origLen = u32(off + 12);
    off += 16;
    if (off + inclLen > buf.length) break; // a capture cut short: the last record is partial
    const frame = buf.subarray(off, off + inclLen);
    off += inclLen;
    const timeMs = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    const ipStart = ipOffset(frame, linkType);
    const packet = ipStart === undefined ? undefined : decodeIpv4(frame.subarray(ipStart), timeMs, origLen);
    if (packet === undefined) otherPackets++;
    else packets.push(packet);
  }
  return { packets, otherPackets };
}

/** Where the IPv4 header starts in a frame of `linkType`, or undefined if it is not IPv4. */
function ipOffset(frame: Buffer, linkType: number): number | undefined {
  switch (linkType) {
    case 1: {
      // Ethernet (Linux loopback captures as Ethernet with zero addresses), with VLAN tags
      let o = 12;
      while (o + 2 <= frame.length && (frame.readUInt16BE(o) === 0x8100 || frame.readUInt16BE(o) === 0x88a8)) o += 4;
      return o + 2 <= frame.length && frame.readUInt16BE(o) === 0x0800 ? o + 2 : undefined;
    }
    case 113: // Linux cooked v1: protocol at 14
      return frame.length >= 16 && frame.readUInt16BE(14) === 0x0800 ? 16 : undefined;
    case 276: // Linux cooked v2: protocol at 0
      return frame.length >= 20 && frame.readUInt16BE(0) === 0x0800 ? 20 : undefined;
    case 0: // BSD loopback: address family, host order
      return frame.length >= 4 && (frame.readUInt32LE(0) === 2 || frame.readUInt32BE(0) === 2) ? 4 : undefined;
    case 101: // raw IP
    case 228: // raw IPv4
      return 0;
    default:
      return undefined;
  }
}

function decodeIpv4(ip: Buffer, timeMs: number, frameBytes: number): Packet | undefined {
  if (ip.length < 20 || ip[0] === undefined || ip[0] >> 4 !== 4) return undefined;
  const ihl = (ip[0] & 0x0f) * 4;
  const totalLength = ip.readUInt16BE(2);
  const fragOffset = ip.readUInt16BE(6) & 0x1fff;
  const protocol = ip[9];
  if (fragOffset !== 0 || ip.length < ihl + 8) return undefined; // later fragments carry no ports
  const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
  const l4 = ip.subarray(ihl);
  const l4Length = Math.max(0, totalLength - ihl);
  if (protocol === 6 && l4.length >= 20) {
    const dataOffset = ((l4[12] as number) >> 4) * 4;
    return {
      timeMs,
      frameBytes,
      proto: 'tcp',
      src,
      srcPort: l4.readUInt16BE(0),
      dst,
      dstPort: l4.readUInt16BE(2),
      payloadBytes: Math.max(0, l4Length - dataOffset),
      seq: l4.readUInt32BE(4),
      ack: l4.readUInt32BE(8),
      flags: l4[13] as number,
    };
  }
  if (protocol === 17) {
    return { timeMs, frameBytes, proto: 'udp', src, srcPort: l4.readUInt16BE(0), dst, dstPort: l4.readUInt16BE(2), payloadBytes: Math.max(0, l4.readUInt16BE(4) - 8), seq: 0, ack: 0, flags: 0 };
  }
  return undefined;
}

/** The packet view of a run, per protocol. */
export interface CaptureSummary {
  packets: number;
  otherPackets: number;
  tcp: {
    packets: number;
    frameBytes: number;
    connections: number;
    /** Connections whose SYN, SYN-ACK and ACK were all seen. */
    handshakes: number;
    /** From the client's first SYN to its ACK of the SYN-ACK. */
    handshakeMs: { median: number | null; max: number | null };
    synRetransmissions: number;
    dataSegments: number;
    pureAcks: number;
    /** Data segments carrying bytes already sent (retransmitted, or duplicated on the way). */
    retransmissions: number;
    fins: number;
    rsts: number;
  };
  udp: { datagrams: number; frameBytes: number; payloadBytes: number };
}

/**
 * Summarises the packets to and from the server's `tcpPort` and `udpPort` (the clients' side is
 * whichever end is not the server). TCP sequence numbers are compared per direction relative to
 * the first one seen, modulo 2^32.
 */
export function summarizePackets(packets: readonly Packet[], ports: { tcp: number | undefined; udp: number | undefined }, otherPackets = 0): CaptureSummary {
  const summary: CaptureSummary = {
    packets: packets.length + otherPackets,
    otherPackets,
    tcp: {
      packets: 0,
      frameBytes: 0,
      connections: 0,
      handshakes: 0,
      handshakeMs: { median: null, max: null },
      synRetransmissions: 0,
      dataSegments: 0,
      pureAcks: 0,
      retransmissions: 0,
      fins: 0,
      rsts: 0,
    },
    udp: { datagrams: 0, frameBytes: 0, payloadBytes: 0 },
  };
  interface Conn {
    synMs?: number;
    synAckSeq?: number;
    handshakeMs?: number;
  }
  const conns = new Map<string, Conn>();
  /** Per direction: first sequence number seen and the highest end reached, relative to it. */
  const flows = new Map<string, { base: number; highest: number }>();
  const handshakes: number[] = [];
  for (const p of packets) {
    if (p.proto === 'udp') {
      if (p.srcPort !== ports.udp && p.dstPort !== ports.udp) continue;
      summary.udp.datagrams++;
      summary.udp.frameBytes += p.frameBytes;
      summary.udp.payloadBytes += p.payloadBytes;
      continue;
    }
    if (p.srcPort !== ports.tcp && p.dstPort !== ports.tcp) continue;
    const t = summary.tcp;
    t.packets++;
    t.frameBytes += p.frameBytes;
    const fromClient = p.dstPort === ports.tcp;
    const key = fromClient ? `${p.src}:${p.srcPort}` : `${p.dst}:${p.dstPort}`;
    let conn = conns.get(key);
    if (conn === undefined) {
      conn = {};
      conns.set(key, conn);
    }
    const syn = (p.flags & TCP_SYN) !== 0;
    const ack = (p.flags & TCP_ACK) !== 0;
    if (syn && !ack && fromClient) {
      if (conn.synMs === undefined) conn.synMs = p.timeMs;
      else t.synRetransmissions++;
    } else if (syn && ack && !fromClient) {
      conn.synAckSeq = p.seq;
    } else if (fromClient && ack && conn.handshakeMs === undefined && conn.synMs !== undefined && conn.synAckSeq !== undefined && p.ack === ((conn.synAckSeq + 1) >>> 0)) {
      conn.handshakeMs = p.timeMs - conn.synMs;
      handshakes.push(conn.handshakeMs);
    }
    if ((p.flags & TCP_FIN) !== 0) t.fins++;
    if ((p.flags & TCP_RST) !== 0) t.rsts++;
    const flowKey = `${p.src}:${p.srcPort}>${p.dst}:${p.dstPort}`;
    if (syn) {
      flows.set(flowKey, { base: (p.seq + 1) >>> 0, highest: 0 });
      continue;
    }
    if (p.payloadBytes > 0) {
      t.dataSegments++;
      let flow = flows.get(flowKey);
      if (flow === undefined) {
        flow = { base: p.seq, highest: 0 };
        flows.set(flowKey, flow);
      }
      const start = (p.seq - flow.base) >>> 0;
      if (start < flow.highest) t.retransmissions++;
      flow.highest = Math.max(flow.highest, start + p.payloadBytes);
    } else if (ack && (p.flags & (TCP_FIN | TCP_RST)) === 0) {
      t.pureAcks++;
    }
  }
  summary.tcp.connections = [...conns.values()].filter((c) => c.synMs !== undefined).length;
  summary.tcp.handshakes = handshakes.length;
  handshakes.sort((a, b) => a - b);
  if (handshakes.length > 0) {
    summary.tcp.handshakeMs = {
      median: round3(handshakes[Math.ceil(handshakes.length / 2) - 1] as number),
      max: round3(handshakes[handshakes.length - 1] as number),
    };
  }
  return summary;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
