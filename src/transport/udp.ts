import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isOneLine, lineEncoder } from '../encode/line.js';
import { type ChatEvent, isReply, type Refusal, refusal } from '../hub/events.js';
import type { Hub } from '../hub/hub.js';
import type { Lang, LeaveReason, MessageKey } from '../hub/messages.js';
import { normalizeName } from '../hub/names.js';
import type { Peer } from '../hub/peer.js';
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from '../hub/rate-limit.js';
import { AddressTokens, parseTokenLine, TOKEN_PREFIX } from '../protocol/address-token.js';
import { ARQ_HEADER_BYTES, looksLikeArq } from '../protocol/arq/header.js';
import { ARQ_SESSION_DEFAULTS, ArqSession, type ArqSessionEnd, type ArqSessionOptions, checkArqSessionOptions, opensArqSession } from '../protocol/arq-session.js';
import { splitDatagram, UDP_MAX_DATAGRAM_BYTES } from '../protocol/datagram.js';
import { sanitize } from '../protocol/sanitize.js';
import { realTimers, type Timer, type Timers } from '../util/clock.js';
import { forbiddenSource, isLoopback, LocalAddresses } from '../util/source-address.js';
import { formatHostPort, normalizeAddress } from './stream-peer.js';
import type { Transport, TransportFactory, TransportStats } from './transport.js';

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
  /**
   * How often silent users (and unnamed registrations) are looked for: one periodic sweep on
   * `timers` for the whole transport, not a timer per source (see `sweep`).
   */
  sweepIntervalMs: number;
  /** Messages per source; over it the excess is dropped (UDP has no backpressure). */
  rateLimit: RateLimit | undefined;
  /** At most one "you are dropping" warning per user per this many ms. */
  warnIntervalMs: number;
  /**
   * Replies to sources that are not registered users (a bad name, a datagram from a stranger)
   * are limited per remote IP (a few at once, then one every few seconds) and to
   * `strangerRepliesPerSec` in all, on top of the anti-amplification limit.
   */
  strangerReplyLimit: RateLimit;
  strangerRepliesPerSec: number;
  /**
   * Loopback sources count as validated: only this machine can send from 127.0.0.0/8 or ::1
   * (the kernel drops such packets from outside), and forging them takes a local root.
   */
  trustLoopback: boolean;
  /**
   * The room's traffic to an unvalidated user (others' messages and notices; replies are bound
   * by the 3x rule instead), in bytes per second and burst: enough for a lively classroom, not
   * enough to make a forged registration a fire hose.
   */
  unvalidatedRoomBytes: RateLimit;
  /** A source found echoing the server's own lines back is ignored for this long. */
  echoQuarantineMs: number;
  /**
   * Reliable UDP (`charla client --udp --fiable`): a source whose first datagram is an ARQ DATA
   * packet (Selective Repeat, number 0, these sequence bits) is served with Selective Repeat both
   * ways, with these bounds; `maxRetries` unacknowledged retransmissions of one packet remove it.
   */
  arq: ArqSessionOptions;
  /** Send failures and the anti-amplification notes go here (once per peer). */
  logError: ((line: string) => void) | undefined;
  /** The clock of the rate limits and silence, and the timer of the sweep (the server's, shared). */
  timers: Timers;
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
  trustLoopback: true,
  unvalidatedRoomBytes: { ratePerSec: 4096, burst: 16_384 },
  echoQuarantineMs: 10 * 60_000,
  arq: ARQ_SESSION_DEFAULTS,
  logError: undefined,
  timers: realTimers,
};

/**
 * The anti-amplification limit (QUIC's, RFC 9000 §8): to an address not yet validated the
 * server sends at most this many times the bytes it received from it.
 */
export const AMPLIFICATION_FACTOR = 3;

/**
 * The last distinct lines sent to unvalidated addresses, remembered to recognise them when they
 * come back (a loop through other servers). Transport-wide: a line sent to one address may come
 * back from another, after going round.
 */
const ECHO_MEMORY = 32;

/** Send errors that say nothing about the peer (a full buffer): the datagram is lost, the peer stays. */
const TRANSIENT_SEND_ERRORS = new Set(['ENOBUFS', 'EAGAIN', 'EWOULDBLOCK', 'EINTR', 'EMSGSIZE']);

/** A UDP user: one remote address and port. */
export class UdpPeer implements Peer {
  readonly id: string;
  readonly transport = 'udp' as const;
  /** The address for limits and logs: IPv4-mapped IPv6 shown as plain IPv4. */
  readonly address: string;
  /** The address exactly as the socket reported it: replies go there (a udp6 socket needs ::ffff:). */
  readonly replyAddress: string;
  readonly port: number;
  readonly key: string;
  /** The UDP transport's `maxLineBytes`, but never past `UDP_MAX_DATAGRAM_BYTES` (see Peer). */
  readonly maxLineBytes: number;
  /** The language of this peer's lines (the server's `--lang`). */
  readonly lang: Lang;
  lastHeardMs: number;
  readonly bucket: TokenBucket | undefined;
  /** Datagrams dropped by the rate limit over this peer's life (for logs and tests). */
  dropped = 0;
  lastWarnMs = -Infinity;
  /** The address echoed a token (or is loopback): nothing it is sent is bounded by the 3x rule. */
  validated: boolean;
  /** Payload bytes received from this address (counted while unvalidated). */
  bytesIn = 0;
  /** Reply bytes sent while unvalidated. */
  repliesOut = 0;
  /** Bytes not sent because the address was not validated. */
  withheld = 0;
  /** The room's bytes while unvalidated. */
  roomBudget: TokenBucket | undefined;
  /** Told once in the log that replies are withheld / that a send failed. */
  withheldLogged = false;
  sendFailed = false;
  /**
   * The ARQ session of a reliable peer (undefined: the seed's plain UDP). Everything it is sent
   * goes through it, and every datagram it sends comes in through it.
   */
  arq: ArqSession | undefined;
  /** The parameters of the leave reason (`no_ack`'s retries), for the room's notice. */
  leaveArgs: Readonly<Record<string, number>> | undefined;
  /** The one callback of every send to this peer (no closure per datagram). */
  readonly onSent: (err: Error | null) => void;
  #transport: UdpTransportImpl;
  #closed = false;

  constructor(
    transport: UdpTransportImpl,
    replyAddress: string,
    port: number,
    now: number,
    bucket: TokenBucket | undefined,
    validated: boolean,
    maxLineBytes: number,
    lang: Lang,
    reliable = false,
  ) {
    this.#transport = transport;
    this.lang = lang;
    // A reliable peer's datagrams carry the ARQ header in front of the line.
    this.maxLineBytes = Math.min(maxLineBytes, UDP_MAX_DATAGRAM_BYTES - (reliable ? ARQ_HEADER_BYTES : 0));
    this.replyAddress = replyAddress;
    this.address = normalizeAddress(replyAddress);
    this.port = port;
    this.key = formatHostPort(replyAddress, port);
    this.id = `udp ${formatHostPort(this.address, port)}`;
    this.lastHeardMs = now;
    this.bucket = bucket;
    this.validated = validated;
    this.onSent = (err) => {
      if (err !== null && err !== undefined) transport.sendFailed(this, err);
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get provisional(): boolean {
    return !this.validated;
  }

  get reliable(): boolean {
    return this.arq !== undefined;
  }

  /** Renders `event` as datagrams (one per line, no newline) through the shared line encoder. */
  deliver(event: ChatEvent): void {
    if (this.#closed) return;
    if (event.kind === 'message') {
      this.#transport.sendTo(this, lineEncoder.line(event, this.lang), true); // the hot path
      return;
    }
    const room = !isReply(event);
    if (isOneLine(event)) {
      this.#transport.sendTo(this, lineEncoder.line(event, this.lang), room);
      return;
    }
    for (const line of lineEncoder.lines(event, this.lang, this.maxLineBytes)) this.#transport.sendTo(this, line, room);
  }

  /** Sends one line of the transport's own (a token), as a reply to this peer. */
  sendLine(line: string): void {
    if (this.#closed) return;
    this.#transport.sendTo(this, line, false);
  }

  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.forget(this, reason);
  }

  /** The address proved it receives: from now on it is an ordinary user. */
  validate(): void {
    this.validated = true;
    this.roomBudget = undefined;
  }
}

/**
 * True when `text` ends with `: LINE` for a LINE in `sent` (and has something before it): what
 * another chat server sends back when it has been made to take our address for a user's, with
 * its own name for us in front (`eco: ana: hola`), however many servers the line went through
 * (`c: b: ana: hola`). A person would have to type a whole line they were just sent, after some
 * other text and a colon.
 */
export function isEcho(text: string, sent: readonly (string | undefined)[] | undefined): boolean {
  if (sent === undefined) return false;
  for (const line of sent) {
    if (line === undefined || text.length < line.length + 3 || !text.endsWith(line)) continue;
    const at = text.length - line.length;
    if (text.charCodeAt(at - 1) === 0x20 && text.charCodeAt(at - 2) === 0x3a) return true;
  }
  return false;
}

/** What the UDP transport counts, for tests and the README's figures. */
export interface UdpStats extends TransportStats, UdpCounters {
  /** Packets sent again to reliable (`--fiable`) users for want of an ACK, over the transport's life. */
  arqRetransmissions: number;
}

/** The UDP transport's own counters (over its life). */
export interface UdpCounters {
  /** Reply and room bytes withheld from unvalidated addresses. */
  withheldBytes: number;
  /** Datagrams dropped unanswered for their source (own address, port 0, broadcast, an echo). */
  refusedSources: number;
  /** Addresses that echoed a valid token. */
  validations: number;
}

/** A bound UDP transport. */
export interface UdpTransport extends Transport {
  readonly kind: 'udp';
  readonly socket: dgram.Socket;
  readonly peers: ReadonlyMap<string, UdpPeer>;
  readonly stats: Readonly<UdpStats>;
  /** Removes users silent for longer than `silenceMs` as of `nowMs` (called by a timer). */
  sweep(nowMs: number): void;
  /**
   * A datagram socket has nothing to accept: this stops the sweep, and the hub, told to shut
   * down next, turns away any new source. Resolves at once.
   */
  stopAccepting(): Promise<void>;
  /** Lets queued goodbyes leave, then closes the socket (`graceMs` is not needed: nothing waits for an ack). */
  close(graceMs?: number): Promise<void>;
}

/** How a server starts its UDP port (`--udp-port`). */
export const udpFactory: TransportFactory<UdpOptions> = {
  kind: 'udp',
  label: 'UDP',
  portFlag: '--udp-port',
  listen: (hub, setup, options) =>
    listenUdp(hub, {
      host: setup.host,
      port: setup.port,
      timers: setup.timers,
      trustLoopback: setup.trustLoopback,
      ...options,
      ...(setup.bench ? { rateLimit: undefined } : {}),
    }),
};

/** Most remote IPs (or sources) remembered by the stranger tables before they start afresh. */
const STRANGER_TABLE_MAX = 4096;

class UdpTransportImpl implements UdpTransport {
  readonly kind = 'udp' as const;
  readonly socket: dgram.Socket;
  readonly peers = new Map<string, UdpPeer>();
  readonly #counters: UdpCounters = { withheldBytes: 0, refusedSources: 0, validations: 0 };
  readonly #hub: Hub;
  readonly #opts: UdpOptions;
  readonly #logError: (line: string) => void;
  readonly #tokens = new AddressTokens();
  readonly #local = new LocalAddresses();
  readonly #strangerReplies = new Map<string, TokenBucket>();
  readonly #strangerBucket: TokenBucket;
  /** A ring of the last lines sent to unvalidated addresses (see ECHO_MEMORY). */
  readonly #sent: string[] = [];
  #sentNext = 0;
  /** Sources found echoing: ignored until the time given. */
  readonly #quarantine = new Map<string, number>();
  #ownPort = 0;
  #strangerFailureLoggedAt = -Infinity;
  #sweepTimer: Timer | undefined;
  #lastLine = '';
  #lastData = Buffer.alloc(0);
  /** Retransmissions of the reliable users already gone (the live ones' are read from their sessions). */
  #pastRetransmissions = 0;

  constructor(hub: Hub, socket: dgram.Socket, opts: UdpOptions) {
    this.#hub = hub;
    this.socket = socket;
    this.#opts = opts;
    this.#logError = opts.logError ?? ((line) => hub.options.log(line));
    this.#strangerBucket = new TokenBucket(opts.strangerRepliesPerSec, opts.strangerRepliesPerSec, opts.timers.now);
  }

  get address(): AddressInfo {
    return this.socket.address();
  }

  get stats(): UdpStats {
    let arqRetransmissions = this.#pastRetransmissions;
    for (const peer of this.peers.values()) if (peer.arq !== undefined) arqRetransmissions += peer.arq.stats.retransmissions;
    return { peers: this.peers.size, ...this.#counters, arqRetransmissions };
  }

  start(): void {
    this.#ownPort = this.socket.address().port;
    this.socket.on('message', (msg, rinfo) => {
      try {
        this.#onMessage(msg, rinfo);
      } catch (err) {
        // A bug while serving one source costs that source its session, never the process.
        this.#logError(this.#hub.t('log_peer_error', { peer: `udp ${rinfo.address}:${rinfo.port}`, error: String(err) }));
        this.peers.get(formatHostPort(rinfo.address, rinfo.port))?.close('error');
      }
    });
    // Errors of an unconnected socket are reported per send (see sendFailed), never here.
    this.socket.on('error', () => {});
    this.#sweepTimer = this.#opts.timers.set(this.#opts.sweepIntervalMs, onSweepTimer, this).unref();
  }

  /** The sweep's timer: the next sweep is due an interval from now, then this one runs. */
  onSweepTimer(): void {
    this.#sweepTimer?.refresh();
    this.sweep(this.#opts.timers.now());
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = this.#opts.timers.now();
    const key = formatHostPort(rinfo.address, rinfo.port);
    let peer = this.peers.get(key);
    if (peer === undefined && this.#refusedSource(rinfo, key, now)) return;
    if (peer !== undefined) {
      peer.lastHeardMs = now; // only what a user sends keeps it alive
      if (!peer.validated) peer.bytesIn += msg.length;
    }
    if (msg.length === 0) return; // a keep-alive (charla's UDP client sends one now and then)
    // 0xFE never starts UTF-8 text: the ARQ header of a reliable client (README "Reliable UDP").
    if (looksLikeArq(msg)) {
      this.#onArq(msg, rinfo, key, peer, now);
      return;
    }
    if (msg.length > this.#opts.maxLineBytes) {
      const tooLong = refusal('line_too_long', { max: this.#opts.maxLineBytes });
      if (peer !== undefined) peer.deliver(tooLong);
      else this.#replyToStranger(rinfo, key, this.#render(tooLong), msg.length, undefined);
      return;
    }
    const lines = splitDatagram(msg);
    // Address validation's control lines lead a datagram (README "Wire protocol").
    let first = 0;
    let validated = false;
    for (; first < lines.length; first++) {
      const control = parseTokenLine(lines[first] as string);
      if (control === undefined) break;
      if (control.kind === 'request') {
        this.#sendToken(peer, rinfo, key, msg.length, now);
      } else if (this.#tokens.check(control.token, rinfo.address, rinfo.port, now)) {
        validated = true;
        if (peer !== undefined && !peer.validated) {
          peer.validate();
          this.#counters.validations++;
        }
      }
    }
    if (first === lines.length) return;
    if (peer === undefined) {
      if (isEcho(lines[first] as string, this.#sent)) {
        this.#quarantineSource(key, `udp ${formatHostPort(normalizeAddress(rinfo.address), rinfo.port)}`, now);
        return;
      }
      peer = this.#admit(lines[first] as string, rinfo, key, now, msg.length, validated, false);
      if (peer === undefined) return;
    }
    this.#input(peer, lines, first, now);
  }

  /** A user's lines from `first` on, to the hub: an echo ends the user, the rate limit drops. */
  #input(peer: UdpPeer, lines: readonly string[], first: number, now: number): void {
    for (let i = first; i < lines.length; i++) {
      if (peer.closed) break;
      const line = lines[i] as string;
      if (!peer.validated && isEcho(line, this.#sent)) {
        this.#quarantineSource(peer.key, peer.id, now);
        peer.close('echo');
        return;
      }
      if (peer.bucket !== undefined && !peer.bucket.take()) {
        this.#dropped(peer, now);
        continue;
      }
      this.#hub.input(peer, line);
    }
  }

  /**
   * An ARQ datagram. A reliable user's goes to its session (which ACKs it and hands the payloads
   * on, in order, to `#onArqPayload`). From an unknown address, only Selective Repeat DATA
   * number 0 can open a session, and only if its payload would admit a plain datagram (a valid,
   * free name, or a password attempt, after an optional token echo): anything else leaves no
   * state and gets no ACK, so forged sources cost nothing, as with plain UDP. A plain user's ARQ
   * datagram is ignored.
   */
  #onArq(msg: Buffer, rinfo: dgram.RemoteInfo, key: string, peer: UdpPeer | undefined, now: number): void {
    if (peer !== undefined) {
      peer.arq?.onDatagram(msg);
      return;
    }
    if (!opensArqSession(msg, this.#opts.arq)) return; // a stray: an old session's packet, another protocol
    const payload = msg.subarray(ARQ_HEADER_BYTES);
    if (payload.length > this.#opts.maxLineBytes) {
      this.#replyToStranger(rinfo, key, this.#render(refusal('line_too_long', { max: this.#opts.maxLineBytes })), msg.length, undefined);
      return;
    }
    const lines = splitDatagram(payload);
    let first = 0;
    let validated = false;
    for (; first < lines.length; first++) {
      const control = parseTokenLine(lines[first] as string);
      if (control === undefined) break;
      if (control.kind === 'echo' && this.#tokens.check(control.token, rinfo.address, rinfo.port, now)) validated = true;
    }
    if (first === lines.length) return;
    if (isEcho(lines[first] as string, this.#sent)) {
      this.#quarantineSource(key, `udp ${formatHostPort(normalizeAddress(rinfo.address), rinfo.port)}`, now);
      return;
    }
    const admitted = this.#admit(lines[first] as string, rinfo, key, now, msg.length, validated, true);
    // Now the session takes the packet: it ACKs it and delivers the payload (the name) to the hub.
    admitted?.arq?.onDatagram(msg);
  }

  /** The next payload of a reliable user, in order: the lines of one plain datagram. */
  #onArqPayload(peer: UdpPeer, payload: Uint8Array): void {
    if (peer.closed || payload.length === 0) return;
    if (payload.length > this.#opts.maxLineBytes) {
      peer.deliver(refusal('line_too_long', { max: this.#opts.maxLineBytes }));
      return;
    }
    const now = this.#opts.timers.now();
    const lines = splitDatagram(payload);
    let first = 0;
    for (; first < lines.length; first++) {
      const control = parseTokenLine(lines[first] as string);
      if (control === undefined) break;
      if (control.kind === 'request') peer.sendLine(`${TOKEN_PREFIX}${this.#tokens.make(peer.replyAddress, peer.port, now)}`);
      else if (!peer.validated && this.#tokens.check(control.token, peer.replyAddress, peer.port, now)) {
        peer.validate();
        this.#counters.validations++;
      }
    }
    this.#input(peer, lines, first, now);
  }

  /** A reliable user's datagram to the wire: while unvalidated, every one counts for the 3x limit. */
  transmitArq(peer: UdpPeer, datagram: Uint8Array): void {
    // Retransmissions and ACKs too: withheld, a packet is lost, and the session resends or gives up.
    if (!peer.validated && !this.#withinBudget(peer, datagram.length, false)) return;
    this.socket.send(datagram, peer.port, peer.replyAddress, peer.onSent);
  }

  /** A reliable user's session ended by itself: nothing acknowledged (gave up), or too much queued. */
  arqEnded(peer: UdpPeer, why: ArqSessionEnd): void {
    if (peer.closed) return;
    if (why === 'overflow') {
      peer.close('slow');
      return;
    }
    const retries = this.#opts.arq.maxRetries;
    peer.leaveArgs = { retries };
    this.#logError(this.#hub.t('log_udp_gave_up', { peer: peer.id, retries }));
    peer.close('no_ack');
  }

  #attachArq(peer: UdpPeer): void {
    peer.arq = new ArqSession(this.#opts.arq, this.#opts.timers, {
      transmit: (d) => this.transmitArq(peer, d),
      deliver: (p) => this.#onArqPayload(peer, p),
      end: (why) => this.arqEnded(peer, why),
    });
  }

  /**
   * A source that can never be a user, or that is being ignored: its datagram gets no answer
   * and leaves no state. The server's own address and port (it would talk to itself), port 0,
   * broadcast, multicast and unspecified addresses, and sources caught echoing.
   */
  #refusedSource(rinfo: dgram.RemoteInfo, key: string, now: number): boolean {
    const address = normalizeAddress(rinfo.address);
    const refused =
      forbiddenSource(address, rinfo.port) !== undefined ||
      (rinfo.port === this.#ownPort && this.#local.isOwn(address, now)) ||
      this.#local.isSubnetBroadcast(address, now) ||
      this.#quarantined(key, now);
    if (refused) this.#counters.refusedSources++;
    return refused;
  }

  #quarantined(key: string, now: number): boolean {
    const until = this.#quarantine.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#quarantine.delete(key);
    return false;
  }

  #quarantineSource(key: string, id: string, now: number): void {
    if (this.#quarantine.size >= STRANGER_TABLE_MAX) this.#quarantine.clear();
    this.#quarantine.set(key, now + this.#opts.echoQuarantineMs);
    this.#counters.refusedSources++;
    this.#logError(this.#hub.t('log_udp_echo', { peer: id, minutes: Math.round(this.#opts.echoQuarantineMs / 60_000) }));
  }

  /** Notes a line sent to an unvalidated address (once, however many receive it in a row). */
  #remember(line: string): void {
    const last = this.#sent[(this.#sentNext + ECHO_MEMORY - 1) % ECHO_MEMORY];
    if (last === line) return;
    this.#sent[this.#sentNext] = line;
    this.#sentNext = (this.#sentNext + 1) % ECHO_MEMORY;
  }

  #trusted(address: string): boolean {
    return this.#opts.trustLoopback && isLoopback(normalizeAddress(address));
  }

  /**
   * A datagram from an address with no session. It becomes a session only if it is a valid,
   * free name (or a password attempt when the server has one); anything else gets at most a
   * rate-limited error reply, within the anti-amplification limit, and leaves no state behind,
   * so forged sources cost nothing to keep. A command from a stranger is never executed: it is
   * just a name that is not valid.
   */
  #admit(firstLine: string, rinfo: dgram.RemoteInfo, key: string, now: number, bytes: number, validated: boolean, reliable: boolean): UdpPeer | undefined {
    const first = sanitize(firstLine).trim();
    const hub = this.#hub;
    const passwordAttempt = hub.options.password !== undefined && first.startsWith('/');
    if (!passwordAttempt) {
      const error: Refusal | undefined = hub.options.password !== undefined ? refusal('password_required') : hub.nameError(normalizeName(first));
      if (error !== undefined) {
        this.#replyToStranger(rinfo, key, this.#render(error), bytes, hub.options.password !== undefined ? 'password_required_short' : 'name_refused_short');
        return undefined;
      }
    }
    const rate = this.#opts.rateLimit;
    const trusted = validated || this.#trusted(rinfo.address);
    const bucket = rate && new TokenBucket(rate.ratePerSec, rate.burst, this.#opts.timers.now);
    const peer = new UdpPeer(this, rinfo.address, rinfo.port, now, bucket, trusted, this.#opts.maxLineBytes, hub.options.lang, reliable);
    if (reliable) this.#attachArq(peer);
    if (validated) this.#counters.validations++;
    if (!trusted) {
      peer.bytesIn = bytes;
      const room = this.#opts.unvalidatedRoomBytes;
      peer.roomBudget = new TokenBucket(room.ratePerSec, room.burst, this.#opts.timers.now);
    }
    this.peers.set(peer.key, peer);
    if (hub.logging) {
      hub.options.log(hub.t('log_connected', { peer: peer.id }));
      if (reliable) hub.options.log(hub.t('log_udp_reliable', { peer: peer.id, window: this.#opts.arq.window, retries: this.#opts.arq.maxRetries }));
    }
    return hub.connect(peer) ? peer : undefined;
  }

  /** Answers a token request: to a validated user at once, to anyone else within the 3x limit. */
  #sendToken(peer: UdpPeer | undefined, rinfo: dgram.RemoteInfo, key: string, bytes: number, now: number): void {
    const line = `${TOKEN_PREFIX}${this.#tokens.make(rinfo.address, rinfo.port, now)}`;
    if (peer === undefined) this.#replyToStranger(rinfo, key, line, bytes, undefined);
    else peer.sendLine(line);
  }

  /** A refusal as the one line a stranger gets (the server's language). */
  #render(event: Refusal): string {
    return lineEncoder.lines(event, this.#hub.options.lang, UDP_MAX_DATAGRAM_BYTES).join(' ');
  }

  /**
   * A reply to a source with no session: at most three times the datagram it answers (or a
   * short form of the refusal when the full one is larger), at most a few per IP and 50 a second
   * in all. Loopback (when trusted) is only rate limited.
   */
  #replyToStranger(rinfo: dgram.RemoteInfo, key: string, line: string, bytes: number, short: MessageKey | undefined): void {
    let data = Buffer.from(line, 'utf8');
    let sent = line;
    if (!this.#trusted(rinfo.address) && data.length > AMPLIFICATION_FACTOR * bytes) {
      this.#counters.withheldBytes += data.length;
      if (short === undefined) return;
      sent = this.#hub.t(short);
      data = Buffer.from(sent, 'utf8');
      if (data.length > AMPLIFICATION_FACTOR * bytes) return;
    }
    const ip = normalizeAddress(rinfo.address);
    let bucket = this.#strangerReplies.get(ip);
    if (bucket === undefined) {
      if (this.#strangerReplies.size >= STRANGER_TABLE_MAX) this.#strangerReplies.clear();
      const { ratePerSec, burst } = this.#opts.strangerReplyLimit;
      bucket = new TokenBucket(ratePerSec, burst, this.#opts.timers.now);
      this.#strangerReplies.set(ip, bucket);
    }
    if (!bucket.take() || !this.#strangerBucket.take()) return;
    if (!this.#trusted(rinfo.address)) this.#remember(sent);
    this.socket.send(data, rinfo.port, rinfo.address, (err) => {
      if (err !== null && err !== undefined) this.#strangerSendFailed(key, err);
    });
  }

  #dropped(peer: UdpPeer, now: number): void {
    peer.dropped++;
    if (now - peer.lastWarnMs < this.#opts.warnIntervalMs) return;
    peer.lastWarnMs = now;
    peer.deliver(refusal('rate_dropped'));
  }

  sendTo(peer: UdpPeer, line: string, room: boolean): void {
    if (line !== this.#lastLine) {
      // One encoding per broadcast, not per receiver (the hub hands everyone the same string).
      this.#lastLine = line;
      this.#lastData = Buffer.from(line, 'utf8');
    }
    const data = this.#lastData;
    if (peer.arq !== undefined) {
      this.#sendReliable(peer, peer.arq, data, line);
      return;
    }
    if (!peer.validated && !this.#withinBudget(peer, data.length, room)) return;
    if (this.#hub.session(peer)?.name === undefined) {
      // Not a user yet (password given, name pending, or being refused): the per-IP reply limit too.
      if (!this.#strangerBucket.take()) return;
    }
    if (!peer.validated) this.#remember(line);
    // Datagram boundaries frame the message: no newline.
    this.socket.send(data, peer.port, peer.replyAddress, peer.onSent);
  }

  /**
   * To a reliable user: queued in its session (which copies the bytes into a DATA packet, and
   * resends it until acknowledged). The 3x limit is applied per datagram on the wire instead
   * (`transmitArq`): a retransmission costs as much as the first copy. A full queue ends the
   * session, and the user leaves as too slow.
   */
  #sendReliable(peer: UdpPeer, arq: ArqSession, data: Buffer, line: string): void {
    if (this.#hub.session(peer)?.name === undefined && !this.#strangerBucket.take()) return;
    if (!peer.validated) this.#remember(line);
    arq.send(data);
  }

  /** The anti-amplification limit for replies, and the byte rate for the room's traffic. */
  #withinBudget(peer: UdpPeer, bytes: number, room: boolean): boolean {
    const ok = room ? (peer.roomBudget?.take(bytes) ?? true) : peer.repliesOut + bytes <= AMPLIFICATION_FACTOR * peer.bytesIn;
    if (ok) {
      if (!room) peer.repliesOut += bytes;
      return true;
    }
    peer.withheld += bytes;
    this.#counters.withheldBytes += bytes;
    if (!peer.withheldLogged) {
      peer.withheldLogged = true;
      if (this.#hub.logging) this.#hub.options.log(this.#hub.t('log_udp_withheld', { peer: peer.id }));
    }
    return false;
  }

  /** A send to a user failed: said once, and the user is removed unless the failure was transient. */
  sendFailed(peer: UdpPeer, err: Error & { code?: string }): void {
    if (!peer.sendFailed) {
      peer.sendFailed = true;
      this.#logError(this.#hub.t('log_udp_send_failed', { peer: peer.id, error: err.code ?? err.message }));
    }
    if (!TRANSIENT_SEND_ERRORS.has(err.code ?? '')) peer.close('unreachable');
  }

  #strangerSendFailed(key: string, err: Error & { code?: string }): void {
    const now = this.#opts.timers.now();
    if (now - this.#strangerFailureLoggedAt < 10_000) return;
    this.#strangerFailureLoggedAt = now;
    this.#logError(this.#hub.t('log_udp_send_failed', { peer: `udp ${key}`, error: err.code ?? err.message }));
  }

  forget(peer: UdpPeer, reason: LeaveReason): void {
    const served = this.peers.get(peer.key) === peer;
    if (served) this.peers.delete(peer.key);
    const arq = peer.arq;
    if (arq !== undefined) {
      arq.close(); // what was sent once (a goodbye) is not resent: nobody would ACK it
      if (served) this.#pastRetransmissions += arq.stats.retransmissions;
      if (this.#hub.logging) {
        const s = arq.stats;
        this.#hub.options.log(this.#hub.t('log_udp_arq_stats', { peer: peer.id, sent: s.sent, retransmissions: s.retransmissions, delivered: s.delivered, duplicates: s.duplicatesDiscarded }));
      }
    }
    // Never back into the hub synchronously (see Peer.close).
    queueMicrotask(() => this.#hub.leave(peer, reason, peer.leaveArgs));
  }

  /**
   * One pass over every source, every `sweepIntervalMs`: a user's last datagram is only noted
   * (`lastHeardMs`), so receiving costs nothing more, and thousands of users cost one timer, where
   * a timer per source would cost each one a Timeout object and a refresh on every datagram. A
   * timeout is late by up to one interval (a second in 30 minutes, by default).
   */
  sweep(nowMs: number): void {
    for (const peer of this.peers.values()) {
      const named = this.#hub.session(peer)?.name !== undefined;
      const limit = named ? this.#opts.silenceMs : this.#opts.registrationTimeoutMs;
      if (limit > 0 && nowMs - peer.lastHeardMs > limit) {
        // Told, so that a client that was only asleep knows its next datagram starts afresh.
        if (named) peer.deliver(refusal('idle_timeout', { seconds: Math.round(limit / 1000) }));
        peer.close('timeout');
      }
    }
  }

  stopAccepting(): Promise<void> {
    this.#opts.timers.clear(this.#sweepTimer);
    return Promise.resolve();
  }

  async close(_graceMs?: number): Promise<void> {
    this.#opts.timers.clear(this.#sweepTimer);
    for (const peer of this.peers.values()) peer.arq?.close(); // no retransmission timer outlives the socket
    // Let queued goodbyes leave before the socket closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

function onSweepTimer(transport: UdpTransportImpl): void {
  transport.onSweepTimer();
}

/** Binds the UDP transport for `hub`. */
export async function listenUdp(hub: Hub, options: Partial<UdpOptions> = {}): Promise<UdpTransport> {
  const opts: UdpOptions = { ...UDP_DEFAULTS, ...options };
  checkArqSessionOptions(opts.arq);
  const type = opts.host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, reuseAddr: false });
  const transport = new UdpTransportImpl(hub, socket, opts);
  socket.bind({ address: opts.host, port: opts.port, exclusive: true });
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => Promise.reject(err))]);
  transport.start();
  return transport;
}
