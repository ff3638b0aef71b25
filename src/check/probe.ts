/**
 * The checker's clients. Each reads what the server sends as one stream of text (UTF-8 decoded
 * across chunks, colours stripped), so a server is judged on what it says, not on how its
 * output happens to be cut or decorated. Every wait is bounded and ends early when the scenario
 * is aborted (its deadline, or the run's).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { AnsiStripper } from './escape.js';

/** Where a server listens. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Most text a probe keeps; older text is dropped (positions stay absolute). */
const KEEP_CHARS = 16 * 1024 * 1024;

/** What every probe shares: the received text, marks into it, and bounded waits on it. */
export abstract class Inbox {
  readonly label: string;
  #text = '';
  #dropped = 0;
  /** Bytes received. */
  bytesIn = 0;
  /** Bytes sent. */
  bytesOut = 0;
  /** Received a LF / a CR LF. */
  sawLf = false;
  sawCrLf = false;
  closed = false;
  /** How it closed: the server's FIN, a reset, or our own doing. */
  closedBy: 'server' | 'reset' | 'us' | undefined;
  lastDataAt = 0;
  #waiters = new Set<() => void>();
  protected readonly signal: AbortSignal;

  constructor(label: string, signal: AbortSignal) {
    this.label = label;
    this.signal = signal;
  }

  protected received(text: string): void {
    if (text.includes('\n')) this.sawLf = true;
    if (text.includes('\r\n')) this.sawCrLf = true;
    this.#text += text;
    if (this.#text.length > KEEP_CHARS) {
      const cut = this.#text.length - KEEP_CHARS / 2;
      this.#text = this.#text.slice(cut);
      this.#dropped += cut;
    }
    this.lastDataAt = performance.now();
    this.wake();
  }

  protected wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** The position of the end of what was received so far. */
  mark(): number {
    return this.#dropped + this.#text.length;
  }

  /** Everything received from `mark` on (or from the oldest text kept). */
  since(mark = 0): string {
    return this.#text.slice(Math.max(0, mark - this.#dropped));
  }

  /** Where `needle` is, at or after `mark`; -1 when it is not there (yet). */
  find(needle: string, mark = 0): number {
    const i = this.#text.indexOf(needle, Math.max(0, mark - this.#dropped));
    return i === -1 ? -1 : i + this.#dropped;
  }

  /** The text from absolute position `from` to `to`. */
  slice(from: number, to?: number): string {
    return this.#text.slice(Math.max(0, from - this.#dropped), to === undefined ? undefined : Math.max(0, to - this.#dropped));
  }

  /**
   * Resolves true as soon as `ok()` holds (checked now and on every chunk), false after `ms`,
   * when the connection closes with `ok()` still false, or when the scenario is aborted.
   */
  until(ok: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        this.signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const check = (): void => {
        if (ok()) done(true);
        else if (this.closed || this.signal.aborted) done(false);
      };
      const onAbort = (): void => done(false);
      timer = setTimeout(() => done(ok()), ms);
      this.signal.addEventListener('abort', onAbort);
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits until `needle` has arrived after `mark`: true, or false after `ms`. */
  waitFor(needle: string, mark: number, ms: number): Promise<boolean> {
    return this.until(() => this.find(needle, mark) !== -1, ms);
  }

  /**
   * Waits until `needle` has arrived after `mark` while the connection keeps receiving: false
   * once nothing at all has arrived for `idleMs` (the server is stuck), or after `maxMs` in all.
   * For a needle queued behind a flood of other text (a megabyte relayed in pieces), which a
   * slow machine delivers late but steadily.
   */
  async waitForFlowing(needle: string, mark: number, idleMs: number, maxMs: number): Promise<boolean> {
    const end = performance.now() + maxMs;
    for (let round = 0; round < 10_000; round++) {
      const left = end - performance.now();
      if (left <= 0) break;
      if (await this.waitFor(needle, mark, Math.min(idleMs, left))) return true;
      if (this.closed || this.signal.aborted || performance.now() - this.lastDataAt >= idleMs) break;
    }
    return this.find(needle, mark) !== -1;
  }

  /**
   * Waits until nothing has arrived for `quietMs` (greetings, prompts, notices still coming),
   * at most `maxMs` in all.
   */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    for (let round = 0; round < 100 && !this.signal.aborted; round++) {
      const idle = performance.now() - Math.max(this.lastDataAt, start);
      const left = maxMs - (performance.now() - start);
      if (idle >= quietMs || left <= 0) return;
      await sleep(Math.min(quietMs - idle, left), this.signal);
    }
  }

  /** Waits until the connection is closed: true, or false after `ms`. */
  waitClosed(ms: number): Promise<boolean> {
    return this.until(() => this.closed, ms);
  }

  abstract destroy(): void;
}

/** A TCP client of the server under test. */
export class TcpProbe extends Inbox {
  readonly socket: net.Socket;
  readonly #decoder = new StringDecoder('utf8');
  readonly #ansi = new AnsiStripper();
  readonly pauseMs: number;
  /** Errors from the socket (a reset shows here). */
  error: string | undefined;

  private constructor(label: string, socket: net.Socket, pauseMs: number, signal: AbortSignal) {
    super(label, signal);
    this.socket = socket;
    this.pauseMs = pauseMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.received(this.#ansi.push(this.#decoder.write(chunk)));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error = err.code ?? err.message;
      if (err.code === 'ECONNRESET' && this.closedBy === undefined) this.closedBy = 'reset';
    });
    socket.on('end', () => {
      if (this.closedBy === undefined) this.closedBy = 'server';
    });
    socket.on('close', () => {
      this.received(this.#ansi.push(this.#decoder.end()) + this.#ansi.flush());
      this.closed = true;
      this.wake();
    });
  }

  /** Connects (at most `ms`); rejects with the socket's error code. */
  static connect(label: string, target: Endpoint, pauseMs: number, signal: AbortSignal, ms = 3000): Promise<TcpProbe> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.host, port: target.port });
      const timer = setTimeout(() => fail(new Error('ETIMEDOUT')), ms);
      const onAbort = (): void => fail(new Error('aborted'));
      const fail = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(new Error(err.code ?? err.message));
      };
      signal.addEventListener('abort', onAbort);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('error', fail);
        resolve(new TcpProbe(label, socket, pauseMs, signal));
      });
    });
  }

  /** Writes bytes and resolves once the kernel has them (or the socket is gone). */
  write(data: string | Uint8Array): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.bytesOut += bytes.length;
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Sends as the seed's client does: the text alone, no newline, then a pause. */
  async sendBare(text: string): Promise<void> {
    await this.write(text);
    await sleep(this.pauseMs, this.signal);
  }

  /** Sends as netcat (`\n`) or telnet (`\r\n`) does: one line, in one write. */
  async sendLine(text: string, eol = '\n'): Promise<void> {
    await this.write(text + eol);
  }

  /** Stops reading: what the server sends piles up in the kernel's buffers, then in the server. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Half-closes (a FIN), as a client that exits without /quitar. */
  finish(): void {
    this.closedBy ??= 'us';
    this.socket.end();
  }

  /** Closes with a RST, as a client that crashed. */
  reset(): void {
    this.closedBy ??= 'us';
    this.socket.resetAndDestroy();
  }

  destroy(): void {
    this.closedBy ??= 'us';
    this.socket.destroy();
  }
}

/** A UDP client of the server under test: each datagram sent is one message. */
export class UdpProbe extends Inbox {
  readonly socket: dgram.Socket;
  readonly #target: Endpoint;
  readonly pauseMs: number;
  datagramsIn = 0;

  private constructor(label: string, socket: dgram.Socket, target: Endpoint, pauseMs: number, signal: AbortSignal) {
    super(label, signal);
    this.socket = socket;
    this.#target = target;
    this.pauseMs = pauseMs;
    socket.on('message', (msg: Buffer) => {
      this.bytesIn += msg.length;
      this.datagramsIn += 1;
      // Datagrams have their own edges: each one is shown as its own line.
      const text = new AnsiStripper().push(msg.toString('utf8'));
      this.received(text.endsWith('\n') ? text : `${text}\n`);
    });
    socket.on('error', () => {}); // ICMP port unreachable: nobody there; the waits say so
  }

  static async open(label: string, target: Endpoint, pauseMs: number, signal: AbortSignal): Promise<UdpProbe> {
    const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpProbe(label, socket, target, pauseMs, signal);
  }

  /** Sends one datagram, then pauses as the seed's client would between two messages. */
  async sendBare(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    this.bytesOut += bytes.length;
    await new Promise<void>((resolve) => this.socket.send(bytes, this.#target.port, this.#target.host, () => resolve()));
    await sleep(this.pauseMs, this.signal);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = 'us';
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** A pause that ends early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
