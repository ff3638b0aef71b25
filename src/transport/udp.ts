import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Hub } from '../hub/hub.js';
import type { LeaveReason } from '../hub/messages.js';
import { normalizeName } from '../hub/names.js';
import type { Peer } from '../hub/peer.js';
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from '../hub/rate-limit.js';
import { splitDatagram, UDP_MAX_DATAGRAM_BYTES } from '../protocol/datagram.js';
import { sanitize } from '../protocol/sanitize.js';
import { type Clock, monotonic } from '../util/clock.js';
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
  /** An address that gave the password but no valid name yet is forgotten after this long. */
  registrationTimeoutMs: number;
  /** How often silent users are looked for. */
  sweepIntervalMs: number;
  /** Messages per source; over it the excess is dropped (UDP has no backpressure). */
  rateLimit: RateLimit | undefined;
  /** At most one "you are dropping" warning per user per this many ms. */
  warnIntervalMs: number;
  /**
   * Replies to sources that are not registered users (a bad name, a datagram from a stranger)
   * are limited per remote IP (a few at once, then one every few seconds) and to
   * `strangerRepliesPerSec` in all, so a forged source address can never turn the server into
   * an amplifier, while a person retrying a taken name still gets each answer.
   */
  strangerReplyLimit: RateLimit;
  strangerRepliesPerSec: number;
  now: Clock;
}

export const UDP_DEFAULTS: UdpOptions = {
  host: '0.0.0.0',
  port: 5001, // seed
  maxLineBytes: 4096,
  silenceMs: 30 * 60_000,
  registrationTimeoutMs: 60_000,
  sweepIntervalMs: 1000,
  rateLimit: DEFAULT_RATE_LIMIT,
  warnIntervalMs: 5000,
  strangerReplyLimit: { ratePerSec: 0.5, burst: 4 },
  strangerRepliesPerSec: 50,
  now: monotonic,
};

/** A UDP user: one remote address and port. */
export class UdpPeer implements Peer {
  readonly id: string;
  readonly transport = 'udp' as const;
  readonly address: string;
  readonly port: number;
  readonly key: string;
  /** The UDP transport's `maxLineBytes`, but never past `UDP_MAX_DATAGRAM_BYTES` (see Peer). */
  readonly maxLineBytes: number;
  lastHeardMs: number;
  readonly bucket: TokenBucket | undefined;
  /** Datagrams dropped by the rate limit over this peer's life (for logs and tests). */
  dropped = 0;
  lastWarnMs = -Infinity;
  #transport: UdpTransportImpl;
  #closed = false;

  constructor(transport: UdpTransportImpl, address: string, port: number, now: number, bucket: TokenBucket | undefined, maxLineBytes: number) {
    this.#transport = transport;
    this.maxLineBytes = Math.min(maxLineBytes, UDP_MAX_DATAGRAM_BYTES);
    this.address = address;
    this.port = port;
    this.key = formatHostPort(address, port);
    this.id = `udp ${this.key}`;
    this.lastHeardMs = now;
    this.bucket = bucket;
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

/** Most remote IPs remembered by the stranger-reply limiter before it starts afresh. */
const STRANGER_TABLE_MAX = 4096;

class UdpTransportImpl implements UdpTransport {
  readonly socket: dgram.Socket;
  readonly peers = new Map<string, UdpPeer>();
  readonly #hub: Hub;
  readonly #opts: UdpOptions;
  readonly #strangerReplies = new Map<string, TokenBucket>();
  readonly #strangerBucket: TokenBucket;
  #timer: NodeJS.Timeout | undefined;
  #lastLine = '';
  #lastData = Buffer.alloc(0);

  constructor(hub: Hub, socket: dgram.Socket, opts: UdpOptions) {
    this.#hub = hub;
    this.socket = socket;
    this.#opts = opts;
    this.#strangerBucket = new TokenBucket(opts.strangerRepliesPerSec, opts.strangerRepliesPerSec, opts.now);
  }

  get address(): AddressInfo {
    return this.socket.address();
  }

  start(): void {
    this.socket.on('message', (msg, rinfo) => {
      try {
        this.#onMessage(msg, rinfo);
      } catch (err) {
        // A bug while serving one source costs that source its session, never the process.
        this.#hub.options.log(this.#hub.t('log_peer_error', { peer: `udp ${rinfo.address}:${rinfo.port}`, error: String(err) }));
        this.peers.get(formatHostPort(normalizeAddress(rinfo.address), rinfo.port))?.close('error');
      }
    });
    // ICMP errors on an unconnected socket (a client that went away) are not ours to die of.
    this.socket.on('error', () => {});
    this.#timer = setInterval(() => this.sweep(this.#opts.now()), this.#opts.sweepIntervalMs);
    this.#timer.unref();
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const address = normalizeAddress(rinfo.address);
    const now = this.#opts.now();
    let peer = this.peers.get(formatHostPort(address, rinfo.port));
    if (msg.length === 0) {
      // Keep-alive (charla's UDP client sends an empty datagram now and then).
      if (peer !== undefined) peer.lastHeardMs = now;
      return;
    }
    if (peer === undefined) {
      peer = this.#admit(msg, address, rinfo.port, now);
      if (peer === undefined) return;
    }
    peer.lastHeardMs = now;
    if (msg.length > this.#opts.maxLineBytes) {
      peer.send(this.#hub.t('line_too_long', { max: this.#opts.maxLineBytes }));
      return;
    }
    for (const line of splitDatagram(msg)) {
      if (peer.closed) break;
      if (peer.bucket !== undefined && !peer.bucket.take()) {
        this.#dropped(peer, now);
        continue;
      }
      this.#hub.input(peer, line);
    }
  }

  /**
   * A datagram from an address with no session. It becomes a session only if it is a valid,
   * free name (or a password attempt when the server has one); anything else gets at most a
   * rate-limited error reply and leaves no state behind, so forged sources cost nothing to keep.
   * A command from a stranger is never executed: it is just a name that is not valid.
   */
  #admit(msg: Buffer, address: string, port: number, now: number): UdpPeer | undefined {
    if (msg.length > this.#opts.maxLineBytes) {
      this.#replyToStranger(address, port, this.#hub.t('line_too_long', { max: this.#opts.maxLineBytes }));
      return undefined;
    }
    const first = sanitize(splitDatagram(msg)[0] ?? '').trim();
    const passwordAttempt = this.#hub.options.password !== undefined && first.startsWith('/');
    if (!passwordAttempt) {
      const error =
        this.#hub.options.password !== undefined ? this.#hub.t('password_required') : this.#hub.nameError(normalizeName(first));
      if (error !== undefined) {
        this.#replyToStranger(address, port, error);
        return undefined;
      }
    }
    const rate = this.#opts.rateLimit;
    const peer = new UdpPeer(this, address, port, now, rate && new TokenBucket(rate.ratePerSec, rate.burst, this.#opts.now), this.#opts.maxLineBytes);
    this.peers.set(peer.key, peer);
    if (this.#hub.logging) this.#hub.options.log(this.#hub.t('log_connected', { peer: peer.id }));
    return this.#hub.connect(peer) ? peer : undefined;
  }

  #replyToStranger(address: string, port: number, line: string): void {
    let bucket = this.#strangerReplies.get(address);
    if (bucket === undefined) {
      if (this.#strangerReplies.size >= STRANGER_TABLE_MAX) this.#strangerReplies.clear();
      const { ratePerSec, burst } = this.#opts.strangerReplyLimit;
      bucket = new TokenBucket(ratePerSec, burst, this.#opts.now);
      this.#strangerReplies.set(address, bucket);
    }
    if (!bucket.take() || !this.#strangerBucket.take()) return;
    this.socket.send(Buffer.from(line, 'utf8'), port, address, () => {});
  }

  #dropped(peer: UdpPeer, now: number): void {
    peer.dropped++;
    if (now - peer.lastWarnMs < this.#opts.warnIntervalMs) return;
    peer.lastWarnMs = now;
    this.sendTo(peer, this.#hub.t('rate_dropped'));
  }

  sendTo(peer: UdpPeer, line: string): void {
    if (this.#hub.session(peer)?.name === undefined) {
      // Not a user yet (password given, name pending, or being refused): stranger rules apply.
      this.#replyToStranger(peer.address, peer.port, line);
      return;
    }
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
      if (limit > 0 && nowMs - peer.lastHeardMs > limit) {
        // Told, so that a client that was only asleep knows its next datagram starts afresh.
        if (named) peer.send(this.#hub.t('idle_timeout', { seconds: Math.round(limit / 1000) }));
        peer.close('timeout');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    // Let queued goodbyes leave before the socket closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** Binds the UDP transport for `hub`. */
export async function listenUdp(hub: Hub, options: Partial<UdpOptions> = {}): Promise<UdpTransport> {
  const opts: UdpOptions = { ...UDP_DEFAULTS, ...options };
  const type = opts.host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, reuseAddr: false });
  const transport = new UdpTransportImpl(hub, socket, opts);
  socket.bind({ address: opts.host, port: opts.port, exclusive: true });
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => Promise.reject(err))]);
  transport.start();
  return transport;
}
