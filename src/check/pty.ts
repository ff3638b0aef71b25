/**
 * A client under test on a pseudo-terminal. Node has no pty, so a small Python 3 relay (its
 * `pty` module) opens one, starts the command on it (stdin, stdout and stderr: the terminal,
 * 200 columns, the terminal's usual cooked mode with echo, as a real window), relays what the
 * terminal shows to us and what we type to it. Its fd 3 reports "pid N" at the start and
 * "exit CODE" when the command ends (after what the command printed has been relayed). Our
 * side closing the relay's stdin kills the command's process group.
 *
 * python3 is a requirement of `charla check --client`; {@link findPython} says whether it is there.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { AnsiStripper } from './escape.js';
import { Inbox, sleep } from './probe.js';
import { Screen } from './screen.js';

const PTY_RELAY = String.raw`
import fcntl, os, pty, select, signal, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 200, 0, 0))
def own_terminal():
    try:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    except OSError:
        pass
proc = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=own_terminal)
os.close(slave)
ctl = os.fdopen(3, 'w', buffering=1)
ctl.write('pid %d\n' % proc.pid)
out = sys.stdout.buffer
master_open, stdin_open = True, True
def read_master(wait):
    global master_open
    if not master_open:
        return False
    ready, _, _ = select.select([master], [], [], wait)
    if not ready:
        return False
    try:
        data = os.read(master, 65536)
    except OSError:
        data = b''
    if not data:
        master_open = False
        return False
    out.write(data)
    out.flush()
    return True
def finish(code):
    for _ in range(1000):
        if not read_master(0.02):
            break
    ctl.write('exit %d\n' % code)
    sys.exit(0)
while True:
    fds = ([master] if master_open else []) + ([0] if stdin_open else [])
    ready, _, _ = select.select(fds, [], [], 0.05)
    if master in ready:
        read_master(0)
    if 0 in ready:
        chunk = os.read(0, 4096)
        if not chunk:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            finish(proc.wait())
        try:
            os.write(master, chunk)
        except OSError:
            pass
    code = proc.poll()
    if code is not None:
        finish(code)
`;

let python: string | null | undefined;

/** The Python 3 that can run the relay (with its `pty` module), or undefined when there is none. */
export function findPython(): string | undefined {
  if (python !== undefined) return python ?? undefined;
  python = null;
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys, pty, termios; print(sys.version_info[0])'], { encoding: 'utf8', timeout: 5000 });
    if (probe.status === 0 && probe.stdout.trim() === '3') {
      python = candidate;
      break;
    }
  }
  return python ?? undefined;
}

/**
 * What the client shows on its terminal: as a stream of text (colours stripped; an Inbox, so
 * the waits are bounded and event-driven) and as a screen (`screen`: rows after carriage
 * returns, line erases and cursor moves, so text that was overwritten is gone).
 */
export class PtyClient extends Inbox {
  readonly relay: ChildProcess;
  readonly screen = new Screen();
  readonly #decoder = new StringDecoder('utf8');
  readonly #ansi = new AnsiStripper();
  /** The client's pid (from the relay), once known. */
  pid: number | undefined;
  /** The client's exit code, once it has exited. */
  exitCode: number | undefined;
  #relayGone = false;

  constructor(python: string, argv: readonly string[], signal: AbortSignal) {
    super('client', signal);
    this.relay = spawn(python, ['-c', PTY_RELAY, ...argv], {
      stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', TERM: process.env['TERM'] ?? 'xterm-256color' },
    });
    (this.relay.stdout as Readable).on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      const text = this.#decoder.write(chunk);
      this.screen.write(text);
      this.received(this.#ansi.push(text));
    });
    let rest = '';
    const control = this.relay.stdio[3] as Readable;
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('pid ')) this.pid = Number(line.slice(4));
        else if (line.startsWith('exit ')) this.exitCode = Number(line.slice(5));
      }
      if (this.exitCode !== undefined) this.#gone();
    });
    (this.relay.stdin as Writable).on('error', () => {}); // the relay is gone; the waits say so
    this.relay.on('error', () => this.#gone());
    this.relay.on('exit', () => this.#gone());
  }

  #gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = 'server';
    this.wake();
  }

  /** Types on the terminal (as a keyboard does: Enter is "\r"). */
  type(keys: string): void {
    if (this.closed) return;
    (this.relay.stdin as Writable).write(keys);
  }

  /** Ends the client (its process group) and the relay; resolves when the relay is gone (at most ~3 s). */
  async stop(): Promise<void> {
    if (this.#relayGone) return;
    this.#relayGone = true;
    const relayExited = new Promise<void>((resolve) => {
      if (this.relay.exitCode !== null || this.relay.signalCode !== null) resolve();
      else this.relay.once('exit', () => resolve());
    });
    (this.relay.stdin as Writable).end();
    const timers = new AbortController(); // so no timer outlives the stop
    const ended = await Promise.race([relayExited.then(() => true), sleep(2000, timers.signal).then(() => false)]);
    if (!ended) {
      if (this.pid !== undefined && this.exitCode === undefined) {
        try {
          process.kill(-this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      this.relay.kill('SIGKILL');
      await Promise.race([relayExited, sleep(1000, timers.signal)]);
    }
    timers.abort();
  }

  destroy(): void {
    void this.stop();
  }
}
