import dgram from 'node:dgram';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { TOKEN_REQUEST } from '../../src/protocol/address-token.js';
import { within } from './within.js';

/** A raw UDP test client bound to 127.0.0.1: one datagram per message, in and out. */
export class UdpClient {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly messages: string[] = [];
  #read = 0;
  #waiters: Array<() => void> = [];

  readonly host: string;

  constructor(socket: dgram.Socket, port: number, host = '127.0.0.1') {
    this.socket = socket;
    this.port = port;
    this.host = host;
    socket.on('message', (msg) => {
      this.messages.push(msg.toString('utf8'));
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    });
  }

  send(text: string | Uint8Array): void {
    this.socket.send(typeof text === 'string' ? Buffer.from(text) : text, this.port, this.host);
  }

  /**
   * Asks the server for an address-validation token and returns the line that echoes it, to be
   * put first in the next datagram (README "Wire protocol").
   */
  async token(ms = 3000): Promise<string> {
    this.send(TOKEN_REQUEST);
    return this.waitFor(/^\/token [A-Za-z0-9_-]{16}$/, ms);
  }

  async until(what: string, check: () => boolean, ms = 3000): Promise<void> {
    const wait = new Promise<void>((resolve) => {
      const test = (): void => (check() ? resolve() : void this.#waiters.push(test));
      test();
    });
    await within(wait, ms, `${what} (datagrams so far: ${JSON.stringify(this.messages.slice(-5))})`);
  }

  async next(ms = 3000): Promise<string> {
    await this.until('the next datagram', () => this.messages.length > this.#read, ms);
    return this.messages[this.#read++] as string;
  }

  async waitFor(match: string | RegExp, ms = 3000): Promise<string> {
    const ok = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    await this.until(`a datagram matching ${String(match)}`, () => this.messages.slice(this.#read).some(ok), ms);
    while (true) {
      const m = this.messages[this.#read++] as string;
      if (ok(m)) return m;
    }
  }
}

/** A UDP socket talking to the server's UDP port (at `host`, IPv4 or IPv6 loopback); closed after the test. */
export async function udpClient(t: TestContext, serverPort: number, host = '127.0.0.1'): Promise<UdpClient> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.bind(0, host);
  await within(once(socket, 'listening'), 3000, 'the UDP test socket to bind');
  t.after(() => socket.close());
  return new UdpClient(socket, serverPort, host);
}

/** Registers `name` over UDP; resolves after the welcome datagram. */
export async function udpJoinAs(t: TestContext, serverPort: number, name: string): Promise<UdpClient> {
  const client = await udpClient(t, serverPort);
  client.send(name);
  const welcome = await client.next();
  if (!welcome.startsWith('***')) throw new Error(`${name} was not welcomed over UDP: ${welcome}`);
  return client;
}

/**
 * The first datagram reaching `socket` that is not an address-validation token request (which
 * charla's client sends before its name, README "Wire protocol"); a fake server that does not
 * answer the request gets the name once the client stops asking.
 */
export async function firstMessage(socket: dgram.Socket, ms = 5000): Promise<[Buffer, dgram.RemoteInfo]> {
  const found = new Promise<[Buffer, dgram.RemoteInfo]>((resolve) => {
    const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
      if (msg.toString('utf8') === TOKEN_REQUEST) return;
      socket.off('message', onMessage);
      resolve([msg, rinfo]);
    };
    socket.on('message', onMessage);
  });
  return within(found, ms, 'a datagram other than a token request');
}
