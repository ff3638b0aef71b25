import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Hub } from '../hub/hub.js';
import { DEFAULT_RATE_LIMIT, type RateLimit } from '../hub/rate-limit.js';
import { realTimers, type Timers } from '../util/clock.js';
import { closed } from '../util/closed.js';
import { StreamConnection, StreamContext } from './stream-connection.js';
import { formatHostPort, normalizeAddress, type StreamPeer } from './stream-peer.js';
import type { Transport, TransportFactory, TransportStats } from './transport.js';

/** Limits and timings of the TCP transport. */
export interface TcpOptions {
  host: string;
  port: number;
  /** Longest line accepted, in bytes (without the LF). Longer lines are refused and discarded. */
  maxLineBytes: number;
  /**
   * Bytes with no LF are taken as a message after this many ms of silence, for clients that send
   * bare messages (the seed's Python client). Once a connection has sent an LF it is a line client
   * and the pause no longer applies. 0 disables it.
   */
  bareIdleMs: number;
  /** Most bytes queued for one peer (ours plus the socket's buffer) before it is cut off as slow. */
  maxQueuedBytes: number;
  /** A connection that sends no valid name within this many ms is closed; 0 = never. */
  registrationTimeoutMs: number;
  /** A named user silent for this many ms is disconnected; 0 = never. */
  idleTimeoutMs: number;
  /** TCP keep-alive probe delay; 0 disables keep-alive. */
  keepAliveMs: number;
  /**
   * Messages per user: over the rate, reading from that socket pauses (the input is delayed, not
   * dropped, as Ergo's "fakelag" does). `undefined` = no limit.
   */
  rateLimit: RateLimit | undefined;
  /** A user held back by the rate limit for this long without a break is disconnected as a flood. */
  floodKickMs: number;
  /**
   * Most input held back by the rate limit per connection, as decoded lines waiting their turn:
   * each counts its length plus `PACED_LINE_OVERHEAD` (about what a short string costs the heap),
   * so short lines cannot pile up either. Past it the rest of what was read stays undecoded bytes
   * and the socket is not read, so the sender's own TCP window holds back the rest (as InspIRCd's
   * recvq and Ergo's read queue bound what they keep).
   */
  maxPacedBytes: number;
  /** TLS certificate and key (PEM); when set, the port speaks TLS. */
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  /**
   * The clock and timers of the registration and idle timeouts, the bare-message pause, the rate
   * limiter's pacing and the flood kick (the server's, shared with its other transports).
   */
  timers: Timers;
  /**
   * Where this server's browser port is, once it listens (the server fills it in): a browser
   * pointed at this port is told that URL. Undefined, or no port: there is none.
   */
  web: WebPointer | undefined;
  /** Called with the error when something unexpected happens with one peer (the peer is closed). */
  onPeerError: (peer: StreamPeer, error: unknown) => void;
  /** Called with accept() errors (EMFILE: out of file descriptors); the server keeps going. */
  onAcceptError: (error: Error) => void;
}

export const TCP_DEFAULTS: TcpOptions = {
  host: '0.0.0.0',
  port: 5000, // seed
  maxLineBytes: 4096,
  bareIdleMs: 40,
  maxQueuedBytes: 1024 * 1024,
  registrationTimeoutMs: 60_000,
  idleTimeoutMs: 0,
  keepAliveMs: 60_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  floodKickMs: 20_000,
  maxPacedBytes: 8 * 1024,
  tls: undefined,
  timers: realTimers,
  web: undefined,
  onPeerError: () => {},
  onAcceptError: () => {},
};

/** The browser port of the server, for the answer to a browser pointed at a chat port. */
export interface WebPointer {
  port: number | undefined;
  secure: boolean;
}

/** What the TCP transport counts. */
export interface TcpStats extends TransportStats {
  /** TLS sockets still in their handshake (not peers yet); 0 without TLS. */
  handshakes: number;
}

/** A listening TCP (or TLS) transport. */
export interface TcpTransport extends Transport {
  readonly kind: 'tcp';
  readonly server: net.Server;
  readonly secure: boolean;
  /** Live peers (named or not). */
  readonly peers: ReadonlySet<StreamPeer>;
  readonly stats: TcpStats;
  /** Stops accepting; existing connections are the hub's to close. Resolves once they have all closed. */
  stopAccepting(): Promise<void>;
  /** Resolves when every connection has closed, or destroys the rest after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** How a server starts its TCP port (`--tcp-port`). */
export const tcpFactory: TransportFactory<TcpOptions> = {
  kind: 'tcp',
  label: 'TCP',
  portFlag: '--tcp-port',
  listen: (hub, setup, options) =>
    listenTcp(hub, { host: setup.host, port: setup.port, timers: setup.timers, ...options, ...(setup.bench ? { rateLimit: undefined } : {}) }),
};

/** Starts the TCP transport for `hub` and resolves once it is listening. */
export async function listenTcp(hub: Hub, options: Partial<TcpOptions> = {}): Promise<TcpTransport> {
  const opts: TcpOptions = { ...TCP_DEFAULTS, ...options };
  const peers = new Set<StreamPeer>();
  // allowHalfOpen: after a client's FIN we still deliver what it sent (lines held back by the
  // rate limit included) and only then end our side.
  const socketOptions = { noDelay: true, allowHalfOpen: true, keepAlive: opts.keepAliveMs > 0, keepAliveInitialDelay: opts.keepAliveMs };
  // With TLS, sockets still in their handshake are not peers yet: they are counted against their
  // address from accept on, and a shutdown ends them too. Without TLS every accepted socket is a
  // peer from the start, and hub.connect counts it (and refuses it, saying why) right at accept.
  const handshakes = new Handshakes(hub);
  const ctx = new StreamContext(hub, opts, peers);
  const server =
    opts.tls === undefined
      ? net.createServer(socketOptions, (socket) => new StreamConnection(ctx, socket, 'tcp').start())
      : tls.createServer(
          { ...socketOptions, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
          (socket) => {
            handshakes.handOver(socket); // before hub.connect counts it as a peer
            new StreamConnection(ctx, socket, 'tls').start();
          },
        );
  if (opts.tls !== undefined) server.on('connection', (socket: net.Socket) => handshakes.accept(socket));
  // A failed TLS handshake (a plain-TCP client, a scanner) costs only that socket.
  server.on('tlsClientError', (_err: Error, socket: net.Socket) => socket.destroy());
  server.listen({ host: opts.host, port: opts.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  // After listening, the only 'error' is a failed accept(): EMFILE/ENFILE when descriptors run
  // out. libuv keeps the listener alive; existing users are unaffected; new connections wait.
  server.on('error', (err) => opts.onAcceptError(err));
  const address = server.address() as AddressInfo;
  return {
    kind: 'tcp',
    server,
    address,
    secure: opts.tls !== undefined,
    peers,
    get stats(): TcpStats {
      return { peers: peers.size, handshakes: handshakes.sockets.size };
    },
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    close: (graceMs) => closeAll([...handshakes.sockets.keys(), ...[...peers].map((p) => p.socket)], graceMs),
  };
}

/**
 * Resolves when every socket has closed: users close once their goodbye is flushed; the rest
 * (a TLS handshake in progress, a client that never reads) are destroyed when `graceMs` ends.
 * Shutdown, not a user timeout: real time, so that a test's fake clock never holds a close.
 */
export async function closeAll(sockets: readonly net.Socket[], graceMs: number): Promise<void> {
  const done = sockets.map(closed);
  const timer = setTimeout(() => {
    for (const s of sockets) s.destroy();
  }, graceMs);
  await Promise.all(done);
  clearTimeout(timer);
}

/** A TLS client has this long to finish its handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * TLS sockets from accept until their handshake is done. Not peers yet, but each holds a socket
 * and a TLS session for up to `TLS_HANDSHAKE_TIMEOUT_MS`, so each counts against its address's
 * `maxConnectionsPerAddress` from accept on, together with the hub's connections from there (as
 * Ergo's ip-limits do): past the cap a socket is destroyed at once, before it costs a handshake.
 * Nothing can be said to it: no TLS is up yet to say it in.
 *
 * A socket's count is given back exactly once: handed over when its handshake is done (the hub
 * then counts the peer it becomes), or when it closes before that.
 */
export class Handshakes {
  readonly #hub: Hub;
  /** The sockets in their handshake, each with its address and the key of its connection. */
  readonly sockets = new Map<net.Socket, { address: string; key: string }>();
  /** By connection key: how a finished handshake's TLS socket finds the socket it wraps. */
  readonly #byKey = new Map<string, net.Socket>();
  readonly #perAddress = new Map<string, number>();

  constructor(hub: Hub) {
    this.#hub = hub;
  }

  /** A socket just accepted (before its handshake): counts it, or destroys it when over the cap. */
  accept(socket: net.Socket): void {
    const remote = socket.remoteAddress;
    if (remote === undefined) {
      socket.destroy(); // reset before we saw it: nothing left to serve
      return;
    }
    const hub = this.#hub;
    const address = normalizeAddress(remote);
    const { maxConnectionsPerAddress: max, isExemptAddress } = hub.options;
    const pending = this.#perAddress.get(address) ?? 0;
    if (max > 0 && pending + hub.connectionsFrom(address) >= max && !isExemptAddress(address)) {
      socket.destroy();
      if (hub.logging) {
        const peer = `tls ${formatHostPort(address, socket.remotePort ?? 0)}`;
        hub.options.log(hub.t('log_dropped', { peer, reason: hub.t('reason_kicked') }));
      }
      return;
    }
    const key = connectionKey(socket);
    this.#perAddress.set(address, pending + 1);
    this.sockets.set(socket, { address, key });
    this.#byKey.set(key, socket);
    socket.once('close', () => this.#release(socket));
  }

  /**
   * `secure`'s handshake is done: its count goes to the hub with the peer it becomes. (Should its
   * address be unreadable by now, it was reset: its socket gives the count back as it closes.)
   */
  handOver(secure: tls.TLSSocket): void {
    const socket = this.#byKey.get(connectionKey(secure));
    if (socket !== undefined) this.#release(socket);
  }

  #release(socket: net.Socket): void {
    const entry = this.sockets.get(socket);
    if (entry === undefined) return; // handed over already
    this.sockets.delete(socket);
    this.#byKey.delete(entry.key);
    const left = (this.#perAddress.get(entry.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(entry.address, left);
    else this.#perAddress.delete(entry.address);
  }
}

/** Both ends of a connection: unique among the live connections of one listener. */
function connectionKey(socket: net.Socket): string {
  return `${socket.remoteAddress} ${socket.remotePort} ${socket.localAddress} ${socket.localPort}`;
}
