import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Hub } from '../hub/hub.js';
import type { LeaveReason } from '../hub/messages.js';
import type { Peer } from '../hub/peer.js';
import { splitDatagram } from '../protocol/datagram.js';
import { formatHostPort, normalizeAddress } from './stream-peer.js';

/** Limits and timings of the UDP transport. */
export interface UdpOptions {
  host: string;
  port: number;
  /** Longest datagram accepted, in bytes. Longer ones get an error reply and are dropped. */
  maxLineBytes: number;
  /**
   * A named UDP user silent for this long is removed with a leave notice. UDP has no connection
   * to lose, so silence is the only sign that a user is gone. The seed's UDP client sends no
   * keep-alive, hence a generous default; `charla client --udp` keeps itself alive.
   */
  silenceMs: number;
  /** An address that sent something but no valid name is forgotten after this long. */
  registrationTimeoutMs: number;
  /** How often silent users are looked for. */
  sweepIntervalMs: number;
}

export const UDP_DEFAULTS: UdpOptions = {
  host: '0.0.0.0',
  port: 5001, // seed
  maxLineBytes: 4096,
  silenceMs: 30 * 60_000,
  registrationTimeoutMs: 60_000,
  sweepIntervalMs: 1000,
};

/** A UDP user: one remote address and port. */
export class UdpPeer implements Peer {
  readonly id: string;
  readonly transport = 'udp' as const;
  readonly address: string;
  readonly port: number;
  readonly key: string;
  lastHeardMs: number;
  #transport: UdpTransportImpl;
  #closed = false;

  constructor(transport: UdpTransportImpl, address: string, port: number, key: string, now: number) {
    this.#transport = transport;
    this.address = address;
    this.port = port;
    this.key = key;
    this.id = `udp ${formatHostPort(address, port)}`;
    this.lastHeardMs = now;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(line: string): void {
    if (this.#closed) return;
    this.#transport.sendTo(this, line);
  }

  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.forget(this, reason);
  }
}

/** A bound UDP transport. */
export interface UdpTransport {
  readonly socket: dgram.Socket;
  readonly address: AddressInfo;
  readonly peers: ReadonlyMap<string, UdpPeer>;
  /** Removes users silent for longer than `silenceMs` as of `nowMs` (called by a timer). */
  sweep(nowMs: number): void;
  close(): Promise<void>;
}

class UdpTransportImpl implements UdpTransport {
  readonly socket: dgram.Socket;
  readonly peers = new Map<string, UdpPeer>();
  readonly #hub: Hub;
  readonly #opts: UdpOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastLine = '';
  #lastData = Buffer.alloc(0);

  constructor(hub: Hub, socket: dgram.Socket, opts: UdpOptions, now: () => number) {
    this.#hub = hub;
    this.socket = socket;
    this.#opts = opts;
    this.#now = now;
  }

  get address(): AddressInfo {
    return this.socket.address();
  }

  start(): void {
    this.socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    // ICMP errors on an unconnected socket (a client that went away) are not ours to die of.
    this.socket.on('error', () => {});
    this.#timer = setInterval(() => this.sweep(this.#now()), this.#opts.sweepIntervalMs);
    this.#timer.unref();
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const address = normalizeAddress(rinfo.address);
    const key = formatHostPort(address, rinfo.port);
    const now = this.#now();
    let peer = this.peers.get(key);
    if (msg.length === 0) {
      // Keep-alive (charla's UDP client sends an empty datagram now and then).
      if (peer !== undefined) peer.lastHeardMs = now;
      return;
    }
    if (peer === undefined) {
      peer = new UdpPeer(this, address, rinfo.port, key, now);
      this.peers.set(key, peer);
      this.#hub.options.log(this.#hub.t('log_connected', { peer: peer.id }));
      if (!this.#hub.connect(peer)) return;
    }
    peer.lastHeardMs = now;
    if (msg.length > this.#opts.maxLineBytes) {
      peer.send(this.#hub.t('line_too_long', { max: this.#opts.maxLineBytes }));
      return;
    }
    for (const line of splitDatagram(msg)) {
      if (peer.closed) break;
      this.#hub.input(peer, line);
    }
  }

  sendTo(peer: UdpPeer, line: string): void {
    if (line !== this.#lastLine) {
      // One encoding per broadcast, not per receiver (the hub hands everyone the same string).
      this.#lastLine = line;
      this.#lastData = Buffer.from(line, 'utf8');
    }
    // Datagram boundaries frame the message: no newline. Errors (a vanished client's ICMP
    // unreachable) are ignored: UDP promises nothing, and silence will remove the user.
    this.socket.send(this.#lastData, peer.port, peer.address, () => {});
  }

  forget(peer: UdpPeer, reason: LeaveReason): void {
    if (this.peers.get(peer.key) === peer) this.peers.delete(peer.key);
    // Never back into the hub synchronously (see Peer.close).
    queueMicrotask(() => this.#hub.leave(peer, reason));
  }

  sweep(nowMs: number): void {
    for (const peer of this.peers.values()) {
      const named = this.#hub.session(peer)?.name !== undefined;
      const limit = named ? this.#opts.silenceMs : this.#opts.registrationTimeoutMs;
      if (limit > 0 && nowMs - peer.lastHeardMs > limit) peer.close('timeout');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    // Let queued goodbyes leave before the socket closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** Binds the UDP transport for `hub`. `now` is injectable so silence can be tested without waiting. */
export async function listenUdp(hub: Hub, options: Partial<UdpOptions> = {}, now: () => number = Date.now): Promise<UdpTransport> {
  const opts: UdpOptions = { ...UDP_DEFAULTS, ...options };
  const type = opts.host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, reuseAddr: false });
  const transport = new UdpTransportImpl(hub, socket, opts, now);
  socket.bind({ address: opts.host, port: opts.port, exclusive: true });
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => Promise.reject(err))]);
  transport.start();
  return transport;
}
