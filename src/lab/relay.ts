/**
 * The user-space impairment relay, for runs without root: clients talk to the relay on loopback,
 * the relay talks to the server, and what the server sends back is impaired on its way to the
 * clients (the same direction kernel mode impairs).
 *
 * - UDP: each datagram from the server is lost, duplicated, delayed, jittered or reordered by
 *   `planDatagram`, exactly as the parameters say.
 * - TCP: only delay and jitter can be applied. The relay holds each chunk of the byte stream
 *   back and never reorders it. It cannot lose a TCP segment: by the time the bytes reach a user
 *   program the kernel has already made them reliable, so no retransmission ever happens here.
 *   That is what kernel mode is for.
 *
 * Bounded: at most `maxSessions` UDP sources (a new one past that takes the place of the longest
 * silent) and `maxSessions` TCP connections, and a TCP connection whose held-back bytes pass
 * `maxHeldBytes` stops reading from the server until they drain.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Holds } from './hold.js';
import { type Impairment, planDatagram, seededRandom, streamDueMs } from './impairment.js';

/** What the relay is told. */
export interface RelayOptions {
  /** Where the relay listens (loopback) and where the server is. */
  listenHost: string;
  serverHost: string;
  serverTcpPort: number | undefined;
  serverUdpPort: number | undefined;
  impairment: Impairment;
  /**
   * What the UDP impairment hits: `down`, only what the server sends (the direction kernel mode
   * impairs in `charla compare`), or `both`, the clients' datagrams too (what `charla link` does
   * by default: an ARQ's ACKs are lost as well). TCP gets its delay on the way down only.
   */
  direction: RelayDirection;
  /** Ports the relay listens on; 0 = any free one (read back from the Relay). */
  listenTcpPort: number;
  listenUdpPort: number;
  /** Seed of the random choices: the same seed and traffic give the same losses. */
  seed: number;
  maxSessions: number;
  maxHeldBytes: number;
}

/** What the relay's UDP impairment hits. */
export type RelayDirection = 'down' | 'both';

/** Defaults of `startRelay`: loopback only, and bounds. */
export const RELAY_DEFAULTS = { listenHost: '127.0.0.1', direction: 'down', listenTcpPort: 0, listenUdpPort: 0, maxSessions: 256, maxHeldBytes: 4 * 1024 * 1024 } as const;

/** What the relay did, for the report. */
export interface RelayCounters {
  udpFromServer: number;
  udpDropped: number;
  udpDuplicated: number;
  udpDelivered: number;
  /** Datagrams from the clients, and those of them lost (only with direction `both`). */
  udpFromClients: number;
  udpUpDropped: number;
  tcpChunksHeld: number;
}

/** A running relay. */
export interface Relay {
  readonly tcpPort: number | undefined;
  readonly udpPort: number | undefined;
  readonly counters: RelayCounters;
  /** Changes the impairment from now on (datagrams already held keep their delay). */
  setImpairment(impairment: Impairment): void;
  close(): Promise<void>;
}

/** Starts the relay; resolves when it listens. */
export async function startRelay(options: Partial<RelayOptions> & Pick<RelayOptions, 'serverHost' | 'impairment' | 'seed'>): Promise<Relay> {
  const opts: RelayOptions = { serverTcpPort: undefined, serverUdpPort: undefined, ...RELAY_DEFAULTS, ...options };
  const counters: RelayCounters = { udpFromServer: 0, udpDropped: 0, udpDuplicated: 0, udpDelivered: 0, udpFromClients: 0, udpUpDropped: 0, tcpChunksHeld: 0 };
  const closers: Array<() => Promise<void>> = [];
  let tcpPort: number | undefined;
  let udpPort: number | undefined;
  try {
    if (opts.serverUdpPort !== undefined) {
      const udp = await relayUdp(opts, opts.serverUdpPort, counters);
      closers.push(udp.close);
      udpPort = udp.port;
    }
    if (opts.serverTcpPort !== undefined) {
      const tcp = await relayTcp(opts, opts.serverTcpPort, counters);
      closers.push(tcp.close);
      tcpPort = tcp.port;
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  return {
    tcpPort,
    udpPort,
    counters,
    setImpairment(impairment) {
      opts.impairment = impairment;
    },
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}

/** One client source's socket toward the server. */
interface Upstream {
  socket: dgram.Socket;
  ready: Promise<void>;
  /** Closed to make room for a newer source. */
  gone: boolean;
}

interface Listening {
  port: number;
  close(): Promise<void>;
}

/** UDP: one upstream socket per client source, so the server sees each client as its own user. */
async function relayUdp(opts: RelayOptions, serverPort: number, counters: RelayCounters): Promise<Listening> {
  const random = seededRandom(opts.seed);
  const upRandom = seededRandom(opts.seed ^ 0x2545f491);
  const front = dgram.createSocket(net.isIPv6(opts.listenHost) ? 'udp6' : 'udp4');
  front.on('error', () => {});
  front.bind(opts.listenUdpPort, opts.listenHost);
  await Promise.race([once(front, 'listening'), once(front, 'error').then(([e]) => Promise.reject(e))]);
  const upstreams = new Map<string, Upstream>();
  const holds = new Holds();
  let closed = false;

  /** Runs `deliver` after each of the planned delays (none: lost). */
  const schedule = (delays: number[], deliver: () => void): void => {
    for (const ms of delays) holds.after(ms, deliver);
  };
  const toClient = (msg: Buffer, port: number, address: string): void => {
    counters.udpFromServer++;
    const delays = planDatagram(opts.impairment, random);
    if (delays.length === 0) counters.udpDropped++;
    if (delays.length > 1) counters.udpDuplicated += delays.length - 1;
    schedule(delays, () => {
      if (closed) return;
      counters.udpDelivered++;
      front.send(msg, port, address, () => {});
    });
  };

  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let up = upstreams.get(key);
    if (up !== undefined) {
      // Kept in order of last use, so that the longest silent source is the first in the map.
      upstreams.delete(key);
      upstreams.set(key, up);
    } else {
      // Bounded: past maxSessions sources, a new one takes the place of the longest silent (a
      // class whose clients restart all afternoon keeps getting through; a flood of sources
      // only churns the relay's own sockets).
      if (upstreams.size >= opts.maxSessions) {
        const [oldestKey, oldest] = upstreams.entries().next().value as [string, Upstream];
        upstreams.delete(oldestKey);
        oldest.gone = true;
        oldest.socket.close();
      }
      const socket = dgram.createSocket(net.isIPv6(opts.serverHost) ? 'udp6' : 'udp4');
      socket.on('error', () => {});
      socket.on('message', (reply) => toClient(reply, rinfo.port, rinfo.address));
      const ready = new Promise<void>((resolve) => socket.connect(serverPort, opts.serverHost, () => resolve()));
      up = { socket, ready, gone: false };
      upstreams.set(key, up);
    }
    const upstream = up;
    counters.udpFromClients++;
    const send = (): void => {
      void upstream.ready.then(() => {
        if (!closed && !upstream.gone) upstream.socket.send(msg, () => {});
      });
    };
    // Direction `down`: the uplink is clean, each datagram sent as soon as the upstream socket is
    // connected, in order. `both`: the clients' datagrams are impaired as the server's are.
    if (opts.direction === 'down') return send();
    const delays = planDatagram(opts.impairment, upRandom);
    if (delays.length === 0) counters.udpUpDropped++;
    schedule(delays, send);
  });

  return {
    port: (front.address() as AddressInfo).port,
    async close() {
      closed = true;
      holds.close();
      await Promise.all([front, ...[...upstreams.values()].map((u) => u.socket)].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      upstreams.clear();
    },
  };
}

/**
 * TCP: the client's bytes go straight to the server; the server's bytes are held back by delay
 * ± jitter, in order, then written to the client.
 */
async function relayTcp(opts: RelayOptions, serverPort: number, counters: RelayCounters): Promise<Listening> {
  const random = seededRandom(opts.seed ^ 0x5bd1e995);
  const connections = new Set<net.Socket>();
  const closers = new Set<() => void>();
  const server = net.createServer((client) => {
    if (connections.size >= opts.maxSessions * 2) {
      client.destroy();
      return;
    }
    closers.add(pipeDelayed(client, opts, serverPort, random, counters, connections, closers));
  });
  server.on('error', () => {});
  server.listen(opts.listenTcpPort, opts.listenHost);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of closers) c();
      for (const s of connections) s.destroy();
      await stopped;
    },
  };
}

/** One relayed TCP connection; returns a function that tears it down. */
function pipeDelayed(
  client: net.Socket,
  opts: RelayOptions,
  serverPort: number,
  random: () => number,
  counters: RelayCounters,
  connections: Set<net.Socket>,
  closers: Set<() => void>,
): () => void {
  client.setNoDelay(true);
  const upstream = net.connect({ host: opts.serverHost, port: serverPort, noDelay: true });
  connections.add(client);
  connections.add(upstream);
  const held: Array<{ dueMs: number; data: Buffer }> = [];
  let heldBytes = 0;
  let lastDueMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let upstreamEnded = false;

  const teardown = (): void => {
    clearTimeout(timer);
    client.destroy();
    upstream.destroy();
  };
  const release = (): void => {
    timer = undefined;
    const t = performance.now();
    while (held.length > 0 && (held[0] as { dueMs: number }).dueMs <= t) {
      const { data } = held.shift() as { data: Buffer };
      heldBytes -= data.length;
      client.write(data);
    }
    if (heldBytes <= opts.maxHeldBytes / 2 && upstream.isPaused()) upstream.resume();
    if (held.length > 0) timer = setTimeout(release, Math.max(0, (held[0] as { dueMs: number }).dueMs - performance.now()));
    else if (upstreamEnded) client.end();
  };

  client.pipe(upstream);
  upstream.on('data', (data: Buffer) => {
    const t = performance.now();
    lastDueMs = streamDueMs(opts.impairment, t, lastDueMs, random);
    counters.tcpChunksHeld++;
    held.push({ dueMs: lastDueMs, data });
    heldBytes += data.length;
    if (heldBytes > opts.maxHeldBytes) upstream.pause();
    if (timer === undefined) timer = setTimeout(release, Math.max(0, lastDueMs - t));
  });
  upstream.on('end', () => {
    upstreamEnded = true;
    if (held.length === 0 && timer === undefined) client.end();
  });
  client.on('error', teardown);
  upstream.on('error', teardown);
  client.on('close', () => {
    clearTimeout(timer);
    connections.delete(client);
    closers.delete(teardown);
    upstream.end();
  });
  upstream.on('close', () => connections.delete(upstream));
  return teardown;
}
