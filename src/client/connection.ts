/**
 * The client's side of the wire, shared by the interactive and the pipe front ends: one
 * message-oriented connection over TCP, TLS or UDP. It frames what it sends, splits what it
 * receives into messages, and reports the server going away once. It knows nothing of names,
 * terminals or the catalogue.
 *
 * Framing (README "Wire protocol"):
 * - TCP/TLS: one UTF-8 line per message, "\n"-terminated, both ways.
 * - UDP: one datagram per message, no newline. An empty datagram is a keep-alive.
 * - `bare` (the seed's Python servers): messages go out with no newline, paced so that the
 *   seed's `recv(1024)` does not glue two into one; what comes in is shown chunk by chunk, since
 *   the seed sends no newlines either.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import tls from 'node:tls';
import { parseTokenLine, TOKEN_REQUEST } from '../protocol/address-token.js';
import { looksLikeArq } from '../protocol/arq/header.js';
import { ARQ_SESSION_DEFAULTS, ArqSession, type ArqSessionEnd, type ArqSessionOptions, type ArqSessionStats, isArqData } from '../protocol/arq-session.js';
import { realTimers } from '../util/clock.js';
import { splitDatagram } from '../protocol/datagram.js';
import { LineDecoder } from '../protocol/line-decoder.js';
import { classify } from './classify.js';

/** Where and how to connect. */
export interface ConnectOptions {
  transport: 'tcp' | 'udp';
  host: string;
  port: number;
  /** TCP only: speak TLS. `ca` trusts a (self-signed) certificate; `insecure` skips the check. */
  tls: { ca: Buffer | undefined; insecure: boolean } | undefined;
  /** The seed's servers: no newlines, paced sends, no keep-alives. */
  bare: boolean;
  /** UDP only: send an empty datagram after this long without sending anything; 0 = never. */
  keepaliveMs: number;
  /**
   * Bare TCP only: the pause after each message has been handed to the kernel before the next
   * one is written. The seed's server reads with `recv(1024)` in a loop; two messages that are
   * both waiting when it calls `recv` come out as one. A short gap gives its thread time to take
   * each message alone. On a LAN 50 ms is plenty; it is not a guarantee (nothing can be, against
   * a server that has no framing), only the seed's own client's behaviour made reliable.
   */
  bareGapMs: number;
  /** A TCP connect (or TLS handshake) that takes longer than this fails with ETIMEDOUT. */
  connectTimeoutMs: number;
  /**
   * UDP only (`--fiable`): speak Selective Repeat with the server (README "Reliable UDP"), so
   * every message arrives, once and in order, or the session ends saying the server stopped
   * acknowledging.
   */
  reliable: boolean;
  /** The reliable session's window, sequence bits, bounds and RTO (the server's defaults). */
  arq: ArqSessionOptions;
}

/** The defaults, merged under the caller's options once, in `openConnection`. */
export const CONNECT_DEFAULTS: ConnectOptions = {
  transport: 'tcp',
  host: '127.0.0.1',
  port: 5000, // seed
  tls: undefined,
  bare: false,
  keepaliveMs: 25_000,
  bareGapMs: 50,
  connectTimeoutMs: 10_000,
  reliable: false,
  arq: ARQ_SESSION_DEFAULTS,
};

/** The error a reliable session ends with when the server stops acknowledging. */
export const ERR_ARQ_NO_ACK = 'ERR_ARQ_NO_ACK';

/** Longest line read from the server; a longer one is dropped (a charla server never sends one). */
const MAX_INCOMING_LINE_BYTES = 1024 * 1024;

/** What a connection reports: a message, or the end (the server closed it, or is unreachable). */
export type ConnectionEvent =
  | { kind: 'message'; text: string }
  | { kind: 'gone'; error: (Error & { code?: string }) | undefined };

/** A connected client socket, message in and message out. */
export interface ClientConnection {
  /** "127.0.0.1:5000", for messages. */
  readonly target: string;
  readonly transport: 'tcp' | 'tls' | 'udp';
  readonly bare: boolean;
  /**
   * Sends one message (no newline in it). Returns false when output is backing up: wait for
   * `drained()` before sending more.
   */
  send(message: string): boolean;
  /** Resolves when everything sent so far has been handed to the kernel (or the socket ended). */
  drained(): Promise<void>;
  /** The next event, or undefined after `ms` (Infinity: no bound). Only before `listen`. */
  next(ms: number): Promise<ConnectionEvent | undefined>;
  /** From now on every event (queued ones first) goes to `listener`. */
  listen(listener: (event: ConnectionEvent) => void): void;
  /**
   * Resolves with the first later event matching `match`, or undefined after `ms` (Infinity: no
   * bound) or when the connection ends without one. After the end it resolves at once.
   */
  waitFor(match: (event: ConnectionEvent) => boolean, ms: number): Promise<ConnectionEvent | undefined>;
  /**
   * Stops reading, for a reader that cannot keep up (a slow stdout). No event reaches the
   * listener until `resume()`: those already read wait, in order. Over TCP/TLS the socket stops
   * being read, so the kernel's buffers fill and the server's writes back up (TCP's own
   * backpressure: a charla server then cuts us as a slow reader past its bound). Over UDP
   * nothing can slow the server down: datagrams that arrive meanwhile are dropped and counted,
   * as the kernel would drop them if we stopped reading (the server's shutdown notice is still
   * noticed). `next()` and `waitFor()` are not affected.
   */
  pause(): void;
  /**
   * Reads again: the events held are delivered first (unless the listener pauses again).
   * Returns how many messages were dropped while paused (UDP; always 0 over TCP/TLS).
   */
  resume(): number;
  /** Ends the connection from our side, at once; no more events. */
  close(): void;
  /** A reliable UDP connection's counters (retransmissions and so on); undefined for any other. */
  arqStats?(): ArqSessionStats | undefined;
}

/**
 * Event delivery shared by both transports (and test fakes): events queue until someone listens
 * (and while the listener is paused); `next` and `waitFor` watch them go by. Subclasses stop and
 * start their socket in `stopReading` / `startReading`.
 */
export class Inbox {
  #queue: ConnectionEvent[] = [];
  #listener: ((event: ConnectionEvent) => void) | undefined;
  /** A pending `next()`, which takes the next event instead of the queue. */
  #taker: ((event: ConnectionEvent) => void) | undefined;
  #watchers = new Set<(event: ConnectionEvent) => void>();
  #gone: Extract<ConnectionEvent, { kind: 'gone' }> | undefined;
  #paused = false;
  protected closedByUs = false;

  protected push(event: ConnectionEvent): void {
    if (this.#gone !== undefined || this.closedByUs) return;
    if (event.kind === 'gone') this.#gone = event;
    const taker = this.#taker;
    this.#taker = undefined;
    if (this.#listener !== undefined) {
      // Paused, or still handing out held events: this one waits its turn.
      if (this.#paused || this.#queue.length > 0) this.#queue.push(event);
      else this.#listener(event);
    } else if (taker !== undefined) taker(event);
    else this.#queue.push(event);
    for (const watcher of [...this.#watchers]) watcher(event);
  }

  /** True between `pause()` and `resume()`. */
  protected get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.stopReading();
  }

  resume(): number {
    if (!this.#paused) return 0;
    this.#paused = false;
    this.#deliverQueued();
    if (!this.#paused) this.startReading(); // the listener may have paused again
    return this.takeDropped();
  }

  /** The socket stops being read (nothing to do in a fake). */
  protected stopReading(): void {}

  protected startReading(): void {}

  /** How many messages were dropped since the last call (UDP). */
  protected takeDropped(): number {
    return 0;
  }

  /** Hands the held events to the listener, in order, until it pauses again or we close. */
  #deliverQueued(): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    while (!this.#paused && !this.closedByUs) {
      const event = this.#queue.shift();
      if (event === undefined) return;
      listener(event);
    }
  }

  next(ms: number): Promise<ConnectionEvent | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#gone !== undefined) return Promise.resolve(this.#gone);
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms)
        ? setTimeout(() => {
            this.#taker = undefined;
            resolve(undefined);
          }, ms)
        : undefined;
      this.#taker = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
    });
  }

  listen(listener: (event: ConnectionEvent) => void): void {
    this.#listener = listener;
    this.#deliverQueued();
  }

  waitFor(match: (event: ConnectionEvent) => boolean, ms: number): Promise<ConnectionEvent | undefined> {
    if (this.#gone !== undefined) return Promise.resolve(match(this.#gone) ? this.#gone : undefined);
    return new Promise((resolve) => {
      const done = (event: ConnectionEvent | undefined): void => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
        resolve(event);
      };
      const watcher = (event: ConnectionEvent): void => {
        if (match(event)) done(event);
        else if (event.kind === 'gone') done(undefined);
      };
      // ms = Infinity: no bound (setTimeout would take it as 1 ms).
      const timer = Number.isFinite(ms) ? setTimeout(() => done(undefined), ms) : undefined;
      this.#watchers.add(watcher);
    });
  }
}

/** "127.0.0.1:5000", "[::1]:5000". */
export function formatTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Connects. Rejects with the socket's error (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, a TLS error). */
export async function openConnection(options: Partial<ConnectOptions> = {}): Promise<ClientConnection> {
  const opts: ConnectOptions = { ...CONNECT_DEFAULTS, ...options };
  if (opts.transport === 'udp') return DatagramConnection.open(opts);
  return StreamConnection.open(opts);
}

class StreamConnection extends Inbox implements ClientConnection {
  readonly target: string;
  readonly transport: 'tcp' | 'tls';
  readonly bare: boolean;
  readonly #socket: net.Socket;
  readonly #gapMs: number;
  readonly #decoder = new LineDecoder(MAX_INCOMING_LINE_BYTES);
  readonly #text = new StringDecoder('utf8');
  #error: (Error & { code?: string }) | undefined;
  /** Bare mode's paced queue and whether a write or gap is in progress. */
  #pending: string[] = [];
  #pumping = false;
  #idle: Array<() => void> = [];

  private constructor(socket: net.Socket, opts: ConnectOptions) {
    super();
    this.#socket = socket;
    this.target = formatTarget(opts.host, opts.port);
    this.transport = opts.tls === undefined ? 'tcp' : 'tls';
    this.bare = opts.bare;
    this.#gapMs = opts.bareGapMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#error = err;
    });
    socket.on('end', () => this.#flushIncoming());
    socket.on('close', () => {
      this.#wakeIdle();
      this.push({ kind: 'gone', error: this.#error });
    });
  }

  static async open(opts: ConnectOptions): Promise<StreamConnection> {
    const socket =
      opts.tls === undefined
        ? net.connect({ host: opts.host, port: opts.port })
        : tls.connect({
            host: opts.host,
            port: opts.port,
            // SNI takes a host name, never an address.
            ...(net.isIP(opts.host) === 0 ? { servername: opts.host } : {}),
            ...(opts.tls.ca !== undefined ? { ca: opts.tls.ca } : {}),
            rejectUnauthorized: !opts.tls.insecure,
          });
    const ready = opts.tls === undefined ? 'connect' : 'secureConnect';
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => {
          clearTimeout(timer);
          reject(err);
        };
        const timer = setTimeout(() => fail(Object.assign(new Error(`connect ETIMEDOUT ${opts.host}:${opts.port}`), { code: 'ETIMEDOUT' })), opts.connectTimeoutMs);
        socket.once('error', fail);
        socket.once(ready, () => {
          clearTimeout(timer);
          socket.off('error', fail);
          resolve();
        });
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return new StreamConnection(socket, opts);
  }

  #onData(chunk: Buffer): void {
    if (this.bare) {
      // seed: no framing; each chunk is shown as it came (one line, or several if it holds "\n").
      this.#pushChunk(this.#text.write(chunk));
      return;
    }
    for (const event of this.#decoder.push(chunk)) {
      if (event.kind === 'line') this.push({ kind: 'message', text: event.text });
    }
  }

  #flushIncoming(): void {
    if (this.bare) this.#pushChunk(this.#text.end());
    else for (const event of this.#decoder.flush()) if (event.kind === 'line') this.push({ kind: 'message', text: event.text });
  }

  #pushChunk(text: string): void {
    for (const line of text.split('\n')) {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed !== '') this.push({ kind: 'message', text: trimmed });
    }
  }

  send(message: string): boolean {
    if (this.#socket.destroyed) return true;
    if (!this.bare) return this.#socket.write(`${message}\n`);
    this.#pending.push(message);
    if (!this.#pumping) this.#pump();
    return this.#pending.length < 64;
  }

  /** Bare mode: one message per write, each written only after the last reached the kernel plus a gap. */
  #pump(): void {
    const message = this.#pending.shift();
    if (message === undefined || this.#socket.destroyed) {
      this.#pumping = false;
      this.#pending = [];
      this.#wakeIdle();
      return;
    }
    this.#pumping = true;
    this.#socket.write(message, () => setTimeout(() => this.#pump(), this.#gapMs));
  }

  #wakeIdle(): void {
    for (const wake of this.#idle.splice(0)) wake();
  }

  protected override stopReading(): void {
    this.#socket.pause();
  }

  protected override startReading(): void {
    this.#socket.resume();
  }

  drained(): Promise<void> {
    if (this.#socket.destroyed) return Promise.resolve();
    if (this.bare) return this.#pumping ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.once('drain', done);
      this.#socket.once('close', done);
    });
  }

  close(): void {
    this.closedByUs = true;
    this.#pending = [];
    this.#socket.destroy();
    this.#wakeIdle();
  }
}

const KEEPALIVE = Buffer.alloc(0);
/** Token requests sent before giving up on address validation, and the wait between them. */
const VALIDATION_TRIES = 3;
const VALIDATION_RETRY_MS = 250;

class DatagramConnection extends Inbox implements ClientConnection {
  readonly target: string;
  readonly transport = 'udp' as const;
  readonly bare: boolean;
  readonly #socket: dgram.Socket;
  #keepalive: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #idle: Array<() => void> = [];
  #closed = false;
  /** Messages dropped while paused, since `resume()` last said how many. */
  #dropped = 0;
  /** While validating: ends the wait for the token. */
  #validating: (() => void) | undefined;
  /** The token line to echo first in the next datagram. */
  #echo: string | undefined;
  /** The token line echoed in the first datagram, to echo again if the session starts over. */
  #echoed: string | undefined;
  /** `--fiable`: the Selective Repeat session every message goes through (both ways). */
  #arq: ArqSession | undefined;
  readonly #arqOptions: ArqSessionOptions;
  /** The reliable session has heard from the server (an ACK or a DATA packet). */
  #established = false;

  private constructor(socket: dgram.Socket, opts: ConnectOptions) {
    super();
    this.#socket = socket;
    this.target = formatTarget(opts.host, opts.port);
    this.bare = opts.bare;
    this.#arqOptions = opts.arq;
    if (opts.reliable) this.#arq = this.#newSession();
    socket.on('message', (msg) => this.#onMessage(msg));
    // A connected UDP socket hears the ICMP "port unreachable" as ECONNREFUSED: nobody is
    // listening there any more. That, and any other socket error, ends the session.
    socket.on('error', (err) => this.#end(err));
    // seed: its UDP server would relay an empty datagram as a message, so bare mode never sends one.
    if (!opts.bare && opts.keepaliveMs > 0) {
      this.#keepalive = setInterval(() => this.#sendRaw(KEEPALIVE), opts.keepaliveMs);
    }
  }

  static async open(opts: ConnectOptions): Promise<DatagramConnection> {
    const socket = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // connect() fixes the peer: only its datagrams reach us, and ICMP errors are reported.
        socket.connect(opts.port, opts.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      throw err;
    }
    const conn = new DatagramConnection(socket, opts);
    if (!opts.bare) await conn.#validate();
    return conn;
  }

  /**
   * Proves to the server that this address receives (README "Wire protocol"): asks for a token
   * and keeps it to echo on the first line of the next datagram, the one with the name. Until an
   * address has done this, a charla server sends it at most three times what it received from it
   * (a welcome does not fit). A server that does not answer (an older one, or the request was
   * lost three times) is simply talked to without it.
   */
  async #validate(): Promise<void> {
    await new Promise<void>((resolve) => {
      let tries = 0;
      const ask = (): void => {
        if (this.#closed || tries++ === VALIDATION_TRIES) {
          finish();
          return;
        }
        this.#sendRaw(Buffer.from(TOKEN_REQUEST, 'utf8'));
        timer = setTimeout(ask, VALIDATION_RETRY_MS);
      };
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        this.#validating = undefined;
        resolve();
      };
      this.#validating = finish;
      ask();
    });
  }

  #newSession(): ArqSession {
    return new ArqSession(this.#arqOptions, realTimers, {
      transmit: (d) => this.#sendRaw(d),
      deliver: (p) => {
        this.#established = true;
        this.#onText(p);
      },
      end: (why) => this.#arqEnded(why),
      onIdle: () => this.#wakeIdle(),
    });
  }

  #arqEnded(why: ArqSessionEnd): void {
    const retries = this.#arqOptions.maxRetries;
    const message = why === 'no_ack' ? `no ACK from ${this.target}: ${retries} retransmissions unanswered` : `more than ${this.#arqOptions.maxQueue} messages waiting for ${this.target}`;
    this.#end(Object.assign(new Error(message), { code: why === 'no_ack' ? ERR_ARQ_NO_ACK : 'ERR_ARQ_OVERFLOW', retries }));
  }

  arqStats(): ArqSessionStats | undefined {
    return this.#arq?.stats;
  }

  #onMessage(msg: Buffer): void {
    if (this.#arq !== undefined && looksLikeArq(msg)) {
      // Paused: DATA is not taken (nor ACKed), so the server resends it later: the window is
      // our backpressure, and nothing is lost. ACKs still count.
      if (this.paused && isArqData(msg)) return;
      if (this.#arq.onDatagram(msg)) this.#established = true;
      return;
    }
    if (this.#validating !== undefined) {
      // Before the name, whatever comes answers the token request: the token, or a server that
      // does not know it and took the request for a bad name. Neither is shown.
      const first = splitDatagram(msg)[0] ?? '';
      const control = parseTokenLine(first);
      if (control?.kind === 'echo') this.#echo = first;
      this.#validating();
      return;
    }
    if (this.#arq !== undefined && !this.#established && this.#arq.inFlight > 0) {
      // A plain answer before any ACK: the server did not take our first packet (a refused name
      // is answered so, with no state kept). Start over at number 0, with the token again.
      this.#arq.close();
      this.#arq = this.#newSession();
      this.#echo ??= this.#echoed;
    }
    this.#onText(msg);
  }

  /** The messages of one datagram (or one reliable payload). */
  #onText(msg: Uint8Array): void {
    for (const text of splitDatagram(msg)) {
      if (text === '') continue;
      // UDP has no close: the server's shutdown notice is the end of the session.
      const closing = !this.bare && classify(text).key === 'server_closing';
      // Paused: no backpressure to apply, so what comes is dropped (all but the end).
      if (this.paused && !closing) {
        this.#dropped++;
        continue;
      }
      this.push({ kind: 'message', text });
      if (closing) this.#end(undefined);
    }
  }

  #end(error: (Error & { code?: string }) | undefined): void {
    if (this.#closed) return;
    this.push({ kind: 'gone', error });
    this.#shut(); // not close(): while paused, the events held (this end last) are still delivered
  }

  protected override takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  #sendRaw(data: Uint8Array): void {
    if (this.#closed) return;
    this.#inFlight++;
    this.#socket.send(data, (err) => {
      this.#inFlight--;
      // Too big for one datagram: that message is lost (UDP), the session is not.
      if (err !== null && err !== undefined && (err as { code?: string }).code !== 'EMSGSIZE') this.#end(err);
      if (this.#inFlight === 0 && (this.#arq === undefined || this.#arq.idle)) this.#wakeIdle();
    });
  }

  #wakeIdle(): void {
    for (const wake of this.#idle.splice(0)) wake();
  }

  send(message: string): boolean {
    // The token goes first in the first datagram after validation: the one with the name (or /pass).
    const echo = this.#echo;
    this.#echo = undefined;
    if (echo !== undefined) this.#echoed = echo;
    const data = Buffer.from(echo === undefined ? message : `${echo}\n${message}`, 'utf8');
    this.#keepalive?.refresh(); // the server heard from us: no keep-alive needed for a while
    if (this.#arq !== undefined) {
      if (this.#closed) return true;
      this.#arq.send(data); // a full queue ends the session (arqEnded)
      return this.#arq.queued < this.#arqOptions.window;
    }
    this.#sendRaw(data);
    return this.#inFlight < 64;
  }

  /** Plain: handed to the kernel. Reliable: acknowledged, every one. */
  drained(): Promise<void> {
    if (this.#closed || (this.#inFlight === 0 && (this.#arq === undefined || this.#arq.idle))) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.closedByUs = true;
    this.#shut();
  }

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.#arq?.close();
    this.#wakeIdle();
    this.#socket.close();
  }
}
