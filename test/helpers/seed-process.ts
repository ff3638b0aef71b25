import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/** The seed's Python programs (test/fixtures/seed), kept verbatim. */
export const SEED_DIR = fileURLToPath(new URL('../../../test/fixtures/seed/', import.meta.url));

/**
 * The Python 3 interpreter to run the seed with (its real path, so a version-manager shim is not
 * paid for on every start), or undefined when there is none.
 */
export const PYTHON: string | undefined = (() => {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.version_info[0]); print(sys.executable)'], { encoding: 'utf8' });
    const [major, executable] = probe.status === 0 ? probe.stdout.trim().split('\n') : [];
    if (major === '3') return executable !== undefined && executable !== '' ? executable : candidate;
  }
  return undefined;
})();

/**
 * One of the seed's Python programs, run with its stdin on a pipe and its stdout collected.
 * The child is killed by its pid after the test if it has not exited by then.
 */
export class SeedProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the program printed so far (stdout). */
  stdout = '';
  stderr = '';
  exited = false;
  #waiters: Array<() => void> = [];

  constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#wake();
    });
    child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    child.stdin.on('error', () => {}); // the program may exit before reading everything
    child.on('exit', () => {
      this.exited = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Writes one line to the program's stdin (what a person would type, then Enter). */
  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Resolves when the program has printed `expected` (re-checked on every output chunk). */
  async printed(expected: string, ms = 10_000): Promise<void> {
    const wait = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.stdout.includes(expected)) resolve();
        else if (this.exited) reject(new Error(`the program exited before printing ${JSON.stringify(expected)}; stderr: ${this.stderr}`));
        else this.#waiters.push(check);
      };
      check();
    });
    await within(wait, ms, `the program to print ${JSON.stringify(expected)} (stdout so far: ${JSON.stringify(this.stdout.slice(-300))})`);
  }

  /** Resolves with the exit code once the program has exited. */
  async exit(ms = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const [code] = (await within(once(this.child, 'exit'), ms, 'the program to exit')) as [number | null];
    return code;
  }
}

/** Runs `python3 test/fixtures/seed/<script> ...args` unbuffered, with stdin on a pipe. */
export function spawnSeed(t: TestContext, script: string, args: string[]): SeedProcess {
  if (PYTHON === undefined) throw new Error('python3 is not installed');
  const child = spawn(PYTHON, [`${SEED_DIR}${script}`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  return new SeedProcess(child);
}
