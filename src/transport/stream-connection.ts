import type net from 'node:net';
import { refusal } from '../hub/events.js';
import type { Hub } from '../hub/hub.js';
import { TokenBucket } from '../hub/rate-limit.js';
import { looksLikeHttp } from '../protocol/http-sniff.js';
import type { DecodeEvent } from '../protocol/line-decoder.js';
import type { Timer } from '../util/clock.js';
import { StreamPeer } from './stream-peer.js';
import type { TcpOptions, WebPointer } from './tcp.js';
import { webUrl } from './web-url.js';

/**
 * What every connection of one listener shares: its hub, its options and its live peers. One
 * object per listener, so each connection holds one reference to it instead of three.
 *
 * A class, not an object literal: V8 gave the literal's `hub` and `peers` fields the type of
 * the warm-up's objects, then widened it when the real listener made its own, which threw away
 * the code the warm-up had compiled for `input` and `take` (`--trace-generalization`,
 * `--trace-deopt`), and the first users' traffic paid for compiling it again.
 */
export class StreamContext {
  readonly hub: Hub;
  readonly opts: TcpOptions;
  readonly peers: Set<StreamPeer>;

  constructor(hub: Hub, opts: TcpOptions, peers: Set<StreamPeer>) {
    this.hub = hub;
    this.opts = opts;
    this.peers = peers;
  }
}

/**
 * The input side of one TCP or TLS connection: bytes -> lines -> `hub.input` (paced by the rate
 * limit), its timers, and the socket's end -> `hub.leave` exactly once.
 *
 * Input over the rate waits, bounded: at most `maxPacedBytes` of it as decoded lines, the rest as
 * the undecoded bytes of the chunk in hand, and meanwhile the socket is not read, so the sender's
 * TCP window holds whatever else it sends.
 *
 * One object per connection and no closures: the socket's listeners and the timers' callbacks
 * are module functions that find the connection on the socket (as `ws` does) or are handed it
 * as their argument, which keeps an idle user's footprint small when there are thousands of
 * them. Every timer is set on `opts.timers`, the server's shared clock, so tests move them all.
 */
export class StreamConnection {
  readonly ctx: StreamContext;
  readonly peer: StreamPeer;
  readonly bucket: TokenBucket | undefined;
  /** 'unknown' until the client shows whether it ends messages with LF ('lines') or not ('bare'). */
  mode: 'unknown' | 'lines' | 'bare';
  bareTimer: Timer | undefined;
  registrationTimer: Timer | undefined;
  idleTimer: Timer | undefined;
  paceTimer: Timer | undefined;
  /** Lines decoded but held back by the rate limit (reading is paused meanwhile). */
  backlog: string[] | undefined;
  /** What `backlog` holds, counted as `maxPacedBytes` counts it. */
  backlogBytes = 0;
  /**
   * Bytes read while the backlog was full, not decoded yet (the rest of a chunk, off the heap);
   * `pace()` decodes them as the backlog drains, and the socket is not read until it has.
   */
  rest: Buffer | undefined;
  throttledSince = 0;
  /** When the user was last told they are being slowed (never: undefined, not -Infinity, which would cost every connection a boxed number). */
  warnedAt: number | undefined = undefined;
  sniffed = false;
  /** The client sent its FIN: once the backlog is delivered, we end our side. */
  inputEnded = false;
  error: Error | undefined;

  /**
   * `peer` is the connection's StreamPeer, for a protocol with its own (IRC's renders events
   * with its encoder); by default a line-protocol one.
   */
  constructor(ctx: StreamContext, socket: net.Socket, kind: 'tcp' | 'tls', peer?: StreamPeer) {
    const { hub, opts } = ctx;
    this.ctx = ctx;
    this.peer = peer ?? new StreamPeer(socket, kind, opts.maxQueuedBytes, opts.maxLineBytes, hub.options.lang);
    this.bucket = opts.rateLimit === undefined ? undefined : new TokenBucket(opts.rateLimit.ratePerSec, opts.rateLimit.burst, opts.timers.now);
    this.mode = opts.bareIdleMs > 0 ? 'unknown' : 'lines';
  }

  get hub(): Hub {
    return this.ctx.hub;
  }

  get opts(): TcpOptions {
    return this.ctx.opts;
  }

  get peers(): Set<StreamPeer> {
    return this.ctx.peers;
  }

  /** Wires the socket to this connection and registers it with the hub. */
  start(): void {
    const { socket } = this.peer;
    (socket as ConnectionSocket)[kConnection] = this;
    socket.on('data', socketOnData);
    socket.on('error', socketOnError);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    this.peers.add(this.peer);
    if (this.hub.logging) this.hub.options.log(this.hub.t('log_connected', { peer: this.peer.id }));
    if (!this.hub.connect(this.peer)) return;
    const { timers, registrationTimeoutMs, idleTimeoutMs } = this.opts;
    if (registrationTimeoutMs > 0) this.registrationTimer = timers.set(registrationTimeoutMs, onRegistrationTimeout, this);
    if (idleTimeoutMs > 0) this.idleTimer = timers.set(idleTimeoutMs, onIdleTimeout, this);
  }

  /** A bug while serving this peer costs this peer its connection, never the process. */
  fail(err: unknown): void {
    this.opts.onPeerError(this.peer, err);
    this.peer.close('error');
  }

  onData(chunk: Buffer): void {
    if (this.rest !== undefined) {
      // Reading is paused while undecoded bytes wait; a chunk that comes anyway waits behind them.
      this.rest = Buffer.concat([this.rest, chunk]);
      return;
    }
    if (this.mode === 'unknown' && chunk.includes(0x0a)) {
      this.mode = 'lines';
      this.opts.timers.clear(this.bareTimer); // a name sent in pieces is still a line client's name
    }
    if (this.bucket === undefined) this.take(this.peer.decoder.push(chunk)); // no rate limit: nothing is held back
    else this.feed(chunk);
    this.schedulePace();
    this.armBareTimer();
    this.idleTimer?.refresh();
  }

  onEnd(): void {
    // The client finished sending. A bare last message still counts (seed client), and lines
    // held back by the rate limit are still delivered (pace() closes when they are; it takes
    // the last bare message itself when undecoded bytes are still waiting before it).
    this.inputEnded = true;
    probeReset(this.peer.socket);
    if (this.rest === undefined) this.take(this.peer.decoder.end());
    this.schedulePace();
    if (this.backlog === undefined && !this.peer.closed) this.peer.close('disconnected');
  }

  /** A client that sends bare messages (no LF) has its bytes so far taken after a pause. */
  armBareTimer(): void {
    if (this.mode !== 'lines' && this.peer.decoder.pendingBytes > 0) {
      const { timers } = this.opts;
      timers.clear(this.bareTimer);
      this.bareTimer = timers.set(this.opts.bareIdleMs, onBareTimer, this);
    }
  }

  onClose(): void {
    const { timers } = this.opts;
    timers.clear(this.bareTimer);
    timers.clear(this.registrationTimer);
    timers.clear(this.idleTimer);
    timers.clear(this.paceTimer);
    this.backlog = undefined;
    this.rest = undefined;
    this.peers.delete(this.peer);
    this.peer.markClosed();
    // A connection that ended with an error was lost, even if we had already taken its end for
    // a clean close: libuv reports data followed by a reset as the data and a plain end, and the
    // reset only shows when we next write (see probeReset).
    const closed = this.peer.closeReason;
    const reason = this.error !== undefined && (closed === undefined || closed === 'disconnected') ? 'connection_lost' : (closed ?? 'disconnected');
    this.hub.leave(this.peer, reason);
  }

  /**
   * Decodes `buf` a line at a time, into delivery while the rate allows and then into the
   * backlog, and stops once the backlog holds `maxPacedBytes`: the rest stays bytes, in `rest`.
   * (Decoding a whole 64 KB chunk of short lines at once would hold tens of thousands of strings.)
   */
  feed(buf: Buffer): void {
    const { peer } = this;
    const { decoder } = peer;
    const max = Math.max(1, this.opts.maxPacedBytes); // at least one line fits, or nothing would move
    const events: DecodeEvent[] = [];
    let start = 0;
    while (start < buf.length) {
      if (this.backlogBytes >= max) {
        this.rest = buf.subarray(start);
        return;
      }
      start = decoder.step(buf, start, events);
      if (events.length > 0) {
        this.take(events);
        events.length = 0;
        if (peer.closed) return;
      }
    }
  }

  /** Delivers each line now if the rate allows and nothing is held back; else holds it back. */
  take(events: DecodeEvent[]): void {
    const { peer, bucket } = this;
    for (const event of events) {
      if (peer.closed) return;
      if (event.kind === 'too_long') {
        peer.deliver(refusal('line_too_long', { max: event.limit })); // dropped, never buffered whole
      } else if (this.backlog === undefined && (bucket === undefined || bucket.take())) {
        this.deliver(event.text);
      } else {
        (this.backlog ??= []).push(event.text);
        this.backlogBytes += event.text.length + PACED_LINE_OVERHEAD;
      }
    }
  }

  /** Starts pacing when lines were held back and no pace timer is due yet. */
  schedulePace(): void {
    if (this.backlog !== undefined && this.paceTimer === undefined && !this.peer.closed) this.pace();
  }

  deliver(text: string): void {
    const { hub, peer } = this;
    if (!this.sniffed) {
      this.sniffed = true;
      if (looksLikeHttp(text)) {
        answerHttp(hub, peer.socket, this.opts.web);
        peer.markClosed();
        return;
      }
    }
    this.input(text);
    if (this.registrationTimer !== undefined && hub.session(peer)?.name !== undefined) {
      this.opts.timers.clear(this.registrationTimer);
      this.registrationTimer = undefined;
    }
  }

  /** One line in, past framing and pacing: the line protocol's go to the hub as they are. A protocol with commands of its own (IRC) overrides it. */
  input(text: string): void {
    this.hub.input(this.peer, text);
  }

  /**
   * Delivers what the rate allows, decoding more of `rest` whenever the backlog runs dry; what is
   * left waits with reading paused. Runs again at the next token, or when the flood kick is due,
   * whichever comes first: at a rate of one line a minute, a flood is still kicked on time.
   */
  pace(): void {
    const { peer, bucket, opts } = this;
    this.paceTimer = undefined;
    const backlog = (this.backlog ??= []);
    let decodedRest = false;
    for (;;) {
      while (backlog.length > 0 && !peer.closed && (bucket === undefined || bucket.take())) {
        const text = backlog.shift() as string;
        this.backlogBytes -= text.length + PACED_LINE_OVERHEAD;
        this.deliver(text);
      }
      if (peer.closed) return;
      if (backlog.length > 0 || this.rest === undefined) break;
      const rest = this.rest;
      this.rest = undefined;
      decodedRest = true;
      this.feed(rest); // into the backlog (it is defined): delivered by the next round
      if (this.rest === undefined && this.inputEnded) this.take(peer.decoder.end());
    }
    if (backlog.length === 0) {
      // Caught up (nothing is left in `rest` either).
      this.backlog = undefined;
      this.throttledSince = 0;
      if (this.inputEnded) {
        peer.close('disconnected');
        return;
      }
      peer.socket.resume();
      if (decodedRest) this.armBareTimer();
      return;
    }
    const now = opts.timers.now();
    if (this.throttledSince === 0) {
      this.throttledSince = now;
      peer.socket.pause();
      if (this.warnedAt === undefined || now - this.warnedAt >= SLOWED_WARNING_INTERVAL_MS) {
        this.warnedAt = now;
        peer.deliver(refusal('rate_slowed'));
      }
    } else if (now - this.throttledSince > opts.floodKickMs) {
      peer.deliver(refusal('flood_kicked'));
      peer.close('flood');
      return;
    }
    const untilToken = bucket?.msUntilToken() ?? 1;
    const untilKick = this.throttledSince + opts.floodKickMs - now + 1;
    this.paceTimer = opts.timers.set(Math.max(1, Math.min(untilToken, untilKick)), onPaceTimer, this);
  }
}

/**
 * What one line held back for pacing counts, besides its length, against `maxPacedBytes`: about
 * what a short string and its backlog slot cost the heap, so a burst of empty lines is bounded too.
 */
export const PACED_LINE_OVERHEAD = 32;

/** A user held back again soon after a warning is not warned again for this long. */
const SLOWED_WARNING_INTERVAL_MS = 30_000;

const kConnection = Symbol('charla.connection');
type ConnectionSocket = net.Socket & { [kConnection]: StreamConnection };

function socketOnData(this: net.Socket, chunk: Buffer): void {
  const conn = (this as ConnectionSocket)[kConnection];
  try {
    conn.onData(chunk);
  } catch (err) {
    conn.fail(err);
  }
}

function socketOnError(this: net.Socket, err: Error): void {
  (this as ConnectionSocket)[kConnection].error = err; // 'close' follows and reports it
}

const NOTHING = Buffer.alloc(0);

/**
 * Makes a reset that came right behind the client's last bytes show. libuv reads those bytes
 * and, seeing the socket hung up, reports a plain end without reading on, so the ECONNRESET
 * waiting in the kernel is never read: the room would hear "connection closed" for a connection
 * that was lost. A write of no bytes is a send() the kernel fails with that pending error (an
 * 'error' event, then 'close' with it), and after a real FIN it puts nothing on the wire.
 * Plain TCP only: on TLS an empty write may be an empty record.
 */
function probeReset(socket: net.Socket): void {
  if (!socket.writable || 'encrypted' in socket) return; // our side ended already (/quitar): nothing more may be written
  socket.write(NOTHING);
}

function socketOnEnd(this: net.Socket): void {
  const conn = (this as ConnectionSocket)[kConnection];
  try {
    conn.onEnd();
  } catch (err) {
    conn.fail(err);
  }
}

function socketOnClose(this: net.Socket): void {
  (this as ConnectionSocket)[kConnection].onClose();
}

function onBareTimer(conn: StreamConnection): void {
  try {
    conn.mode = 'bare';
    conn.take(conn.peer.decoder.flush());
    conn.schedulePace();
  } catch (err) {
    conn.fail(err);
  }
}

function onPaceTimer(conn: StreamConnection): void {
  try {
    conn.pace();
  } catch (err) {
    conn.fail(err);
  }
}

function onRegistrationTimeout(conn: StreamConnection): void {
  const { hub, peer, opts } = conn;
  conn.registrationTimer = undefined;
  if (hub.session(peer)?.name !== undefined) return;
  peer.deliver(refusal('registration_timeout', { seconds: Math.round(opts.registrationTimeoutMs / 1000) }));
  peer.close('timeout');
}

function onIdleTimeout(conn: StreamConnection): void {
  const { hub, peer, opts } = conn;
  peer.deliver(refusal('idle_timeout', { seconds: Math.round(opts.idleTimeoutMs / 1000) }));
  peer.close('timeout');
}

/** A browser pointed at the chat port: a short plain HTTP answer, then close. Never a user. */
function answerHttp(hub: Hub, socket: net.Socket, web: WebPointer | undefined): void {
  const host = socket.localAddress ?? 'localhost';
  const port = socket.localPort ?? 0;
  const body =
    web?.port === undefined
      ? `${hub.t('http_not_chat', { host, port })}\n`
      : `${hub.t('http_not_chat_web', { url: webUrl(web.secure, host, web.port), host, port })}\n`;
  socket.end(
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
