import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { CLI } from './spawn-server.js';
import { within } from './within.js';

/** A `charla` child: stdin to write, stdout as lines, stderr as text, killed by pid after the test. */
export class CharlaProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #rest = '';
  #waiters: Array<() => void> = [];

  constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (this.#rest + chunk).split('\n');
      this.#rest = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake();
    });
    child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#wake();
    });
    child.stdin.on('error', () => {}); // it may exit before reading everything
    child.on('exit', () => this.#wake());
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  end(): void {
    this.child.stdin.end();
  }

  /** Resolves with the first stdout line (past or future) that matches. */
  async line(match: string | RegExp, ms = 5000): Promise<string> {
    const ok = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    const found = new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const line = this.lines.find(ok);
        if (line !== undefined) resolve(line);
        else if (this.child.exitCode !== null) reject(new Error(`charla exited (${this.child.exitCode}) first; stderr: ${this.stderr}`));
        else this.#waiters.push(check);
      };
      check();
    });
    return within(found, ms, `a stdout line matching ${String(match)} (so far: ${JSON.stringify(this.lines.slice(-5))}, stderr: ${JSON.stringify(this.stderr)})`);
  }

  /** The exit code, once it has exited. */
  exit(ms = 5000): Promise<number | null> {
    return within(this.exited, ms, `charla to exit (stdout: ${JSON.stringify(this.lines.slice(-5))}, stderr: ${JSON.stringify(this.stderr)})`);
  }
}

/**
 * Runs `charla ...args` (the compiled CLI, this Node) with pipes for stdin and stdout, without a
 * CHARLA_PASSWORD from the environment unless `env` gives one.
 */
export function spawnCharla(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): CharlaProcess {
  const base = { ...process.env };
  delete base['CHARLA_PASSWORD'];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...base, ...env } });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  return new CharlaProcess(child);
}
