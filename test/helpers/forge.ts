import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { PYTHON } from './seed-process.js';
import { within } from './within.js';

const SCRIPT = fileURLToPath(new URL('../../../test/helpers/forge-udp.py', import.meta.url));

/** Why the forging tests cannot run here, or false when they can (root and python3). */
export const FORGE_SKIP: string | false =
  process.getuid?.() !== 0 ? 'forging a source address needs a raw socket: run as root' : PYTHON === undefined ? 'python3 is not installed' : false;

/**
 * Sends UDP datagrams with any IPv4 source address and port through a raw socket (a python3
 * child: Node has no raw sockets). Every datagram stays on loopback.
 */
export class Forger {
  readonly #child: ChildProcessWithoutNullStreams;
  #out = '';
  #waiters: Array<() => void> = [];
  /** Payload bytes forged so far. */
  bytes = 0;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.#out += chunk;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async start(t: TestContext): Promise<Forger> {
    const child = spawn(PYTHON as string, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const forger = new Forger(child);
    await within(forger.#lines(1), 5000, `the raw-socket helper to start (stderr: ${stderr})`);
    return forger;
  }

  #count(): number {
    return this.#out.split('\n').length - 1;
  }

  #lines(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => (this.#count() >= n ? resolve() : void this.#waiters.push(check));
      check();
    });
  }

  /** Sends `payload` from `src`:`sport` to `dst`:`dport`; resolves once it is in the kernel. */
  async send(src: string, sport: number, dst: string, dport: number, payload: string | Buffer): Promise<void> {
    const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const before = this.#count();
    this.#child.stdin.write(`${JSON.stringify({ src, sport, dst, dport, data: data.toString('base64') })}\n`);
    this.bytes += data.length;
    await within(this.#lines(before + 1), 5000, 'the raw-socket helper to send');
  }
}

/** A UDP socket that only listens, at an address of its own on 127/8: the forger's victim. */
export class Victim {
  readonly socket: dgram.Socket;
  readonly address: string;
  port = 0;
  bytes = 0;
  readonly datagrams: string[] = [];

  private constructor(socket: dgram.Socket, address: string) {
    this.socket = socket;
    this.address = address;
    socket.on('message', (msg) => {
      this.bytes += msg.length;
      this.datagrams.push(msg.toString('utf8'));
    });
  }

  static async bind(t: TestContext, address: string): Promise<Victim> {
    const socket = dgram.createSocket('udp4');
    const victim = new Victim(socket, address);
    socket.bind(0, address);
    await within(once(socket, 'listening'), 3000, `a UDP socket on ${address}`);
    victim.port = socket.address().port;
    t.after(() => socket.close());
    return victim;
  }
}
