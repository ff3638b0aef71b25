import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { PYTHON } from './seed-process.js';
import { CLI } from './spawn-server.js';
import { within } from './within.js';

/**
 * Runs a command with stdout and stderr on a pseudo-terminal (raw mode: bytes as written) and
 * relays what the terminal shows to our stdout while "reading"; on "pause" it stops reading the
 * terminal, as a frozen window or Ctrl+S does, and on "resume" it reads again; on "close" it
 * closes the terminal (a window closed under a detached server: writes then fail with EIO). fd 3 reports
 * "pid N" at the start and "exit CODE" when the command ends. Stdin closing kills the command.
 */
const PTY_RELAY = String.raw`
import os, pty, select, subprocess, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
os.close(slave)
ctl = os.fdopen(3, 'w', buffering=1)
ctl.write('pid %d\n' % proc.pid)
reading, pending = True, b''
while True:
    ready, _, _ = select.select([0] + ([master] if reading else []), [], [], 0.05)
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if 0 in ready:
        chunk = os.read(0, 1024)
        if not chunk:
            proc.kill()
            proc.wait()
            sys.exit(1)
        pending += chunk
        while b'\n' in pending:
            cmd, pending = pending.split(b'\n', 1)
            if cmd == b'close':
                os.close(master)
            reading = cmd == b'resume' if cmd in (b'pause', b'resume', b'close') else reading
            ctl.write('%s\n' % cmd.decode())
    code = proc.poll()
    if code is not None:
        ctl.write('exit %d\n' % code)
        sys.exit(0)
`;

/** `charla server ...` on a terminal that the test can stop reading; see PTY_RELAY. */
export class PtyServer {
  readonly relay: ChildProcess;
  /** Lines the terminal has shown so far (read while not paused). */
  readonly lines: string[] = [];
  /** Lines from the relay's control channel: "pid N", "pause", "resume", "exit CODE". */
  readonly control: string[] = [];
  #waiters: Array<() => void> = [];

  constructor(relay: ChildProcess) {
    this.relay = relay;
    const split = (stream: Readable, into: string[]): void => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        into.push(...parts);
        this.#wake();
      });
    };
    split(relay.stdout as Readable, this.lines);
    split(relay.stdio[3] as Readable, this.control);
    relay.on('exit', () => this.#wake());
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `check` holds (re-checked on every line), failing after `ms`. */
  #until(what: string, check: () => boolean, ms: number): Promise<void> {
    const held = new Promise<void>((resolve, reject) => {
      const test = (): void => {
        if (check()) resolve();
        else if (this.relay.exitCode !== null) reject(new Error(`the pty relay exited before ${what}; terminal: ${JSON.stringify(this.lines.slice(-5))}`));
        else this.#waiters.push(test);
      };
      test();
    });
    return within(held, ms, `${what} (terminal so far: ${JSON.stringify(this.lines.slice(-3))})`);
  }

  /** Resolves with the first line of `from` that matches, past or future. */
  async #find(from: string[], what: string, match: RegExp, ms: number): Promise<string> {
    await this.#until(what, () => from.some((l) => match.test(l)), ms);
    return from.find((l) => match.test(l)) as string;
  }

  /** A line the terminal showed. */
  line(match: RegExp, ms = 5000): Promise<string> {
    return this.#find(this.lines, `a terminal line matching ${String(match)}`, match, ms);
  }

  /** The server's pid. */
  async pid(): Promise<number> {
    return Number((await this.#find(this.control, 'the pid', /^pid \d+$/, 5000)).slice(4));
  }

  /** The server's exit code, once it has exited. */
  async exitCode(ms: number): Promise<number> {
    return Number((await this.#find(this.control, 'the server to exit', /^exit -?\d+$/, ms)).slice(5));
  }

  /** Stops reading the terminal; resolves once the relay has taken the command. */
  pause(): Promise<void> {
    return this.#command('pause');
  }

  /** Closes the terminal for good; resolves once the relay has done it. */
  close(): Promise<void> {
    return this.#command('close');
  }

  async #command(cmd: string): Promise<void> {
    const seen = this.control.filter((l) => l === cmd).length;
    (this.relay.stdin as Writable).write(`${cmd}\n`);
    await this.#until(`the relay to ${cmd} the terminal`, () => this.control.filter((l) => l === cmd).length > seen, 5000);
  }

  /** Reads the terminal again. */
  resume(): void {
    (this.relay.stdin as Writable).write('resume\n');
  }
}

/**
 * Starts `charla server --host 127.0.0.1 --tcp-port 0 --udp-port 0 ...args` on a terminal; returns
 * it with its TCP port once the banner is on the terminal. Undefined when there is no Python 3
 * to run the relay with. The relay and the server are killed after the test.
 */
export async function spawnPtyServer(t: TestContext, args: string[]): Promise<{ pty: PtyServer; tcpPort: number; pid: number } | undefined> {
  if (PYTHON === undefined) return undefined;
  const argv = [CLI, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--irc-port', '0', '--http-port', '0', ...args];
  const relay = spawn(PYTHON, ['-c', PTY_RELAY, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
  const pty = new PtyServer(relay);
  const exited = once(relay, 'exit');
  const pid = await pty.pid();
  t.after(async () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    (relay.stdin as Writable).end();
    if (relay.exitCode === null) await within(exited, 5000, 'the pty relay to exit');
  });
  const banner = await pty.line(/^charla: TCP (?:escuchando en|listening on) /, 10_000);
  return { pty, tcpPort: Number(/:(\d+)$/.exec(banner)?.[1]), pid };
}
