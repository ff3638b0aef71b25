import { once } from 'node:events';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../../src/protocol/ws-frames.js';
import { within } from './within.js';

/** A frame of any type, read loosely (tests look at fields by name). */
export type AnyFrame = ServerFrame & Record<string, unknown>;

/**
 * A WebSocket test client (the `ws` library's own): sends JSON frames and hands out the frames
 * it receives, in order. `next()` and `waitFor()` wait, bounded, for what has not come yet.
 */
export class WsClient {
  readonly ws: WebSocket;
  readonly frames: AnyFrame[] = [];
  #read = 0;
  #waiters: Array<() => void> = [];
  closed = false;
  closeCode: number | undefined;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? ({ type: 'binary' } as unknown as AnyFrame) : (JSON.parse(data.toString('utf8')) as AnyFrame));
      this.#wake();
    });
    ws.on('error', () => {});
    ws.on('close', (code: number) => {
      this.closed = true;
      this.closeCode = code;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async until(what: string, check: () => boolean, ms = 3000): Promise<void> {
    const wait = new Promise<void>((resolve, reject) => {
      const test = (): void => {
        if (check()) resolve();
        else if (this.closed) reject(new Error(`closed (${this.closeCode}) while waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}`));
        else this.#waiters.push(test);
      };
      test();
    });
    await within(wait, ms, `${what} (frames so far: ${JSON.stringify(this.frames.slice(-5))})`);
  }

  async next(ms = 3000): Promise<AnyFrame> {
    await this.until('the next frame', () => this.frames.length > this.#read, ms);
    return this.frames[this.#read++] as AnyFrame;
  }

  /** Skips frames until one matches (a type, or a predicate); returns it. */
  async waitFor(match: string | ((f: AnyFrame) => boolean), ms = 3000): Promise<AnyFrame> {
    const ok = typeof match === 'string' ? (f: AnyFrame) => f.type === match : match;
    await this.until(`a frame matching ${String(match)}`, () => this.frames.slice(this.#read).some(ok), ms);
    for (;;) {
      const f = this.frames[this.#read++] as AnyFrame;
      if (ok(f)) return f;
    }
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  line(text: string): void {
    this.send({ type: 'line', text });
  }

  /** Resolves once the connection has closed (by either side), with its close code. */
  async closedByServer(ms = 3000): Promise<number | undefined> {
    await this.until('the connection to close', () => this.closed, ms).catch((err: unknown) => {
      if (!this.closed) throw err;
    });
    return this.closeCode;
  }
}

/** Opens ws://127.0.0.1:port/ws; resolves after the hello frame. Closed after the test. */
export async function connectWs(t: TestContext, port: number, options: WebSocket.ClientOptions = {}, path = '/ws'): Promise<WsClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, ...options });
  t.after(() => ws.terminate());
  const client = new WsClient(ws);
  await within(once(ws, 'open'), 3000, `a WebSocket to port ${port}`);
  const hello = await client.next();
  if (hello.type !== 'hello') throw new Error(`expected hello first, got ${JSON.stringify(hello)}`);
  return client;
}

/** Connects and joins as `name`; resolves after the welcome (and the history that follows it). */
export async function wsJoinAs(t: TestContext, port: number, name: string, extra: Record<string, unknown> = {}): Promise<WsClient> {
  const client = await connectWs(t, port);
  client.send({ type: 'join', v: 1, name, ...extra });
  const welcome = await client.next();
  if (welcome.type !== 'welcome') throw new Error(`${name} was not welcomed: ${JSON.stringify(welcome)}`);
  await client.waitFor('history');
  return client;
}
