import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/**
 * A raw TCP test client: writes bytes, and hands out received lines one at a time.
 * `next()` resolves with the next line (waiting, bounded, if none is there yet).
 */
export class LineClient {
  readonly socket: net.Socket;
  readonly lines: string[] = [];
  #buffer = '';
  #read = 0;
  #waiters: Array<() => void> = [];
  closed = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.#buffer.slice(0, nl));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when a condition over the received lines holds (re-checked on every arrival). */
  async until(what: string, check: () => boolean, ms = 3000): Promise<void> {
    const wait = new Promise<void>((resolve, reject) => {
      const test = (): void => {
        if (check()) resolve();
        else if (this.closed) reject(new Error(`connection closed while waiting for ${what}; lines: ${JSON.stringify(this.lines)}`));
        else this.#waiters.push(test);
      };
      test();
    });
    await within(wait, ms, `${what} (lines so far: ${JSON.stringify(this.lines.slice(-5))})`);
  }

  /** The next unread line. */
  async next(ms = 3000): Promise<string> {
    await this.until('the next line', () => this.lines.length > this.#read, ms);
    return this.lines[this.#read++] as string;
  }

  /** Skips lines until one satisfies `match`; returns it. */
  async waitFor(match: string | RegExp, ms = 3000): Promise<string> {
    const ok = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    await this.until(`a line matching ${String(match)}`, () => this.lines.slice(this.#read).some(ok), ms);
    while (true) {
      const line = this.lines[this.#read++] as string;
      if (ok(line)) return line;
    }
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Resolves when the server closes the connection. */
  async closedByServer(ms = 3000): Promise<void> {
    await this.until('the server to close the connection', () => this.closed, ms).catch((err: unknown) => {
      if (!this.closed) throw err;
    });
  }
}

/** Connects to 127.0.0.1:port; the socket is destroyed after the test. */
export async function connectLine(t: TestContext, port: number): Promise<LineClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 3000, `connecting to port ${port}`);
  return new LineClient(socket);
}

/** Connects and registers `name`; resolves after the welcome line. */
export async function joinAs(t: TestContext, port: number, name: string): Promise<LineClient> {
  const client = await connectLine(t, port);
  client.write(`${name}\n`);
  const welcome = await client.next();
  if (!welcome.startsWith('***')) throw new Error(`${name} was not welcomed: ${welcome}`);
  return client;
}
