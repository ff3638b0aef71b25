/**
 * A charla server of the generator's own, in a child process: an in-process server would share
 * the generator's event loop and CPU, which is not a fair measure. The child is started with
 * `server --host 127.0.0.1 --tcp-port 0 --no-udp --bench --quiet`, its port read from the line
 * it prints, and it is stopped by its pid (SIGTERM, then SIGKILL past a bound).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CharlaError } from '../util/errors.js';

/**
 * The Node flags of the `charla` command, read from its shebang (`#!/usr/bin/env -S node FLAGS`),
 * so a server started as `node main.js` runs as the installed `charla` does.
 */
export function cliNodeFlags(main: string = CLI_MAIN): string[] {
  const first = readFileSync(main, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first);
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}

/** The compiled CLI next to this module (dist/src/cli/main.js). */
export const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * The port in a line such as `charla: TCP escuchando en 127.0.0.1:5000` or `... listening on
 * [::1]:5000` (either language; `IRC` for the IRC port's line); undefined for any other line.
 */
export function parseListeningLine(line: string, proto: 'TCP' | 'IRC' = 'TCP'): number | undefined {
  const m = new RegExp(`\\b${proto}\\b.*?(?:\\[[0-9a-fA-F:.]+\\]|\\d{1,3}(?:\\.\\d{1,3}){3}):(\\d{1,5})\\s*$`).exec(line);
  return m === null ? undefined : Number(m[1]);
}


export interface SpawnedServer {
  readonly pid: number;
  readonly port: number;
  /** The arguments it was started with (for the report). */
  readonly args: readonly string[];
  /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs: string[];
  /** Extra `charla server` flags. */
  serverArgs: string[];
  /** Bound on the wait for the listening line. */
  startTimeoutMs: number;
  /** Which port the load goes to: the line protocol's (TCP) or the IRC port. */
  proto: 'line' | 'irc';
}

const SPAWN_DEFAULTS: SpawnOptions = { nodeArgs: [], serverArgs: [], startTimeoutMs: 15_000, proto: 'line' };

/**
 * Starts `charla server` as a child and resolves once it listens. Passes `--bench` (no rate
 * limit, no user caps); a server too old to know that flag is started again without it.
 */
export async function spawnCharlaServer(options: Partial<SpawnOptions> = {}): Promise<SpawnedServer> {
  const opts = { ...SPAWN_DEFAULTS, ...options };
  // The IRC run keeps the TCP port too (the server warms its stream hot path up through it).
  const ports = [...(opts.proto === 'irc' ? ['--irc-port', '0'] : ['--no-irc']), '--no-http'];
  const base = ['server', '--host', '127.0.0.1', '--tcp-port', '0', '--no-udp', ...ports, '--quiet', ...opts.serverArgs];
  try {
    return await startOnce(opts, [...base, '--bench']);
  } catch (err) {
    if (err instanceof StartFailure && /--bench/.test(err.stderr)) return startOnce(opts, base);
    throw err instanceof StartFailure ? new CharlaError('ERR_UNAVAILABLE', err.message) : err;
  }
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

async function startOnce(opts: SpawnOptions, args: string[]): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...cliNodeFlags(), ...opts.nodeArgs, CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  // 'error' too: a child that could not be started never emits 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      stderr += String(err);
      resolve();
    });
  });
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  try {
    const port = await readPort(child, opts.startTimeoutMs, exited, () => stderr, opts.proto === 'irc' ? 'IRC' : 'TCP');
    child.stdout?.resume(); // keep draining: a full pipe would block the server
    return {
      pid: child.pid as number,
      port,
      args,
      async stop(graceMs = 5000) {
        await stopChild(child, exited, graceMs);
        process.removeListener('exit', killOnExit);
      },
    };
  } catch (err) {
    await stopChild(child, exited, 1000);
    process.removeListener('exit', killOnExit);
    throw err;
  }
}

function readPort(child: ChildProcess, timeoutMs: number, exited: Promise<unknown>, stderr: () => string, proto: 'TCP' | 'IRC'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new StartFailure(`charla server printed no listening line within ${timeoutMs} ms: ${stderr().trim()}`, stderr())), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
    };
    const onData = (s: string): void => {
      out += s;
      let nl: number;
      while ((nl = out.indexOf('\n')) !== -1) {
        const port = parseListeningLine(out.slice(0, nl), proto);
        out = out.slice(nl + 1);
        if (port !== undefined) {
          done();
          resolve(port);
          return;
        }
      }
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    void exited.then(() => {
      done();
      reject(new StartFailure(`charla server exited before listening (code ${child.exitCode ?? child.signalCode}): ${stderr().trim()}`, stderr()));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const how = await Promise.race([exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  if (how === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}
