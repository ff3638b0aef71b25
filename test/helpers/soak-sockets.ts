import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './within.js';

/**
 * The soak test's clients: a TCP line socket and a UDP datagram socket with the same inbox, so a
 * scenario waits for "the next line matching X" the same way on both. Unlike `LineClient` they
 * take no `TestContext` (the soak driver also runs from scripts/soak.mjs) and they can run
 * without keeping what they receive: a member checks each line as it comes and keeps only
 * counters, so a long soak does not measure its own memory.
 */

/** Received lines (TCP) or datagrams (UDP), with bounded waits over them. */
export class Inbox {
  /** Every line received, when `keep` is set (short-lived churners); empty otherwise. */
  readonly lines: string[] = [];
  /** Called with each line as it arrives, before any waiter is woken. */
  onLine: ((line: string) => void) | undefined;
  closed = false;
  readonly #keep: boolean;
  #read = 0;
  #waiters = new Set<() => void>();

  constructor(keep: boolean) {
    this.#keep = keep;
  }

  protected receive(line: string): void {
    this.onLine?.(line);
    if (this.#keep) this.lines.push(line);
  }

  protected wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  protected ended(): void {
    this.closed = true;
    this.wake();
  }

  /**
   * Resolves when `check()` holds (re-checked on every arrival), rejects after `ms` or when the
   * socket closes first (unless `closeOk`).
   */
  async until(what: string, check: () => boolean, ms: number, closeOk = false): Promise<void> {
    let waiter: (() => void) | undefined;
    const wait = new Promise<void>((resolve, reject) => {
      waiter = () => {
        if (check()) resolve();
        else if (this.closed && !closeOk) reject(new Error(`closed while waiting for ${what}`));
        else return;
        this.#waiters.delete(waiter as () => void);
      };
      this.#waiters.add(waiter);
      waiter();
    });
    try {
      await within(wait, ms, what);
    } catch (err) {
      // The lines as they are when the wait gave up, not when it began.
      throw new Error(`${(err as Error).message} (last lines: ${JSON.stringify(this.lines.slice(-4).map(short))})`, { cause: err });
    } finally {
      this.#waiters.delete(waiter as () => void);
    }
  }

  /** Skips kept lines until one matches; returns it. */
  async waitFor(match: string | RegExp, ms: number, what = `a line matching ${String(match)}`): Promise<string> {
    const ok = (line: string): boolean => (typeof match === 'string' ? line === match : match.test(line));
    let found: string | undefined;
    await this.until(what, () => {
      while (found === undefined && this.#read < this.lines.length) {
        const line = this.lines[this.#read++] as string;
        if (ok(line)) found = line;
      }
      return found !== undefined;
    }, ms);
    return found as string;
  }

  /** Resolves once the socket is closed (by either side). */
  async closedWithin(ms: number, what: string): Promise<void> {
    await this.until(what, () => this.closed, ms, true);
  }
}

function short(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** A TCP client speaking lines (LF) to the chat server on 127.0.0.1. */
export class SoakTcp extends Inbox {
  readonly socket: net.Socket;
  /** Resolves when the socket has closed; never rejects. */
  readonly closing: Promise<void>;
  #rest = '';

  private constructor(socket: net.Socket, keep: boolean) {
    super(keep);
    this.socket = socket;
    socket.setEncoding('utf8'); // a character split across chunks is decoded whole
    socket.on('data', (chunk: string) => {
      const text = this.#rest + chunk;
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        this.receive(text.slice(start, nl));
        start = nl + 1;
      }
      this.#rest = text.slice(start);
      this.wake();
    });
    socket.on('error', () => {}); // a reset is an expected outcome here; 'close' follows
    this.closing = once(socket, 'close').then(() => this.ended());
  }

  /** Connects; rejects (bounded) when the server does not accept. */
  static async connect(port: number, options: { keep: boolean; ms: number }): Promise<SoakTcp> {
    const socket = net.connect({ host: '127.0.0.1', port });
    const client = new SoakTcp(socket, options.keep);
    try {
      await within(
        Promise.race([once(socket, 'connect'), client.closing.then(() => Promise.reject(new Error('closed before connecting')))]),
        options.ms,
        `a TCP connection to port ${port}`,
      );
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return client;
  }

  /** Writes `line` and its LF. */
  sendLine(line: string): void {
    this.write(`${line}\n`);
  }

  /** Writes raw bytes (garbage, half lines, HTTP). */
  write(data: string | Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  /** Destroys the socket (a FIN, or nothing if already closed) and waits for 'close'. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closing;
  }
}

/** A UDP client on 127.0.0.1: one datagram per message, both ways. */
export class SoakUdp extends Inbox {
  readonly socket: dgram.Socket;
  readonly serverPort: number;
  #keepAlive: NodeJS.Timeout | undefined;
  #sentSinceTick = false;

  private constructor(socket: dgram.Socket, serverPort: number, keep: boolean) {
    super(keep);
    this.socket = socket;
    this.serverPort = serverPort;
    socket.on('message', (msg) => {
      this.receive(msg.toString('utf8'));
      this.wake();
    });
    socket.on('error', () => {});
  }

  /**
   * Binds a socket to talk to the server's UDP port. `recvBufferBytes` is raised for members,
   * which may get hundreds of datagrams in one server turn (the kernel caps it at rmem_max).
   */
  static async open(serverPort: number, options: { keep: boolean; ms: number; recvBufferBytes?: number }): Promise<SoakUdp> {
    const socket = dgram.createSocket({ type: 'udp4', ...(options.recvBufferBytes ? { recvBufferSize: options.recvBufferBytes } : {}) });
    socket.bind(0, '127.0.0.1');
    await within(once(socket, 'listening'), options.ms, 'a UDP socket to bind');
    return new SoakUdp(socket, serverPort, options.keep);
  }

  /** Sends one datagram (ignored once closed). */
  sendLine(line: string | Uint8Array): void {
    if (this.closed) return;
    this.#sentSinceTick = true;
    this.socket.send(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, this.serverPort, '127.0.0.1', () => {});
  }

  /**
   * Sends an empty datagram (charla's keep-alive: it costs no rate-limit token) when nothing was
   * sent for `ms`, so a quiet client is not taken for one that vanished.
   */
  keepAlive(ms: number): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = setInterval(() => {
      if (!this.#sentSinceTick) this.sendLine(new Uint8Array(0));
      this.#sentSinceTick = false;
    }, ms);
  }

  /** Closes the socket (with no goodbye: to the server this client just went silent). */
  async close(): Promise<void> {
    clearInterval(this.#keepAlive);
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.ended();
  }
}

/**
 * A client-side token bucket kept safely under the server's rate limit, so a well-behaved client
 * is never slowed (TCP) or dropped (UDP) even when the server handles its lines in a clump after
 * a stall. `take` waits (abortably) for a token: this is the client's pace, not synchronisation.
 */
export class Pacer {
  readonly ratePerSec: number;
  readonly burst: number;
  #tokens: number;
  #last = performance.now();

  constructor(ratePerSec: number, burst: number, spent = 0) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = burst - spent;
  }

  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSec) / 1000);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSec), undefined, { signal });
    }
  }
}

/** Waits `ms` unless `signal` aborts first (then rejects with an AbortError). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(Math.max(0, ms), undefined, { signal });
}
