import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/** The compiled CLI, run with this Node. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A `charla server` child process and the ports it printed. */
export interface SpawnedServer {
  child: ChildProcess;
  tcpPort: number;
  udpPort: number;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code once the child has exited. */
  exited: Promise<number | null>;
}

/**
 * Spawns `charla server --host 127.0.0.1 --tcp-port 0 --udp-port 0 ...args` (optionally through
 * `sh -c` with a shell prefix such as "ulimit -n 64;"), reads the bound ports from its stdout and
 * kills it by PID after the test if it is still running.
 */
export async function spawnServer(t: TestContext, args: string[] = [], shellPrefix?: string): Promise<SpawnedServer> {
  const argv = [CLI, 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--irc-port', '0', '--http-port', '0', ...args];
  const child =
    shellPrefix === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `${shellPrefix} exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const ports = new Promise<{ tcp: number; udp: number }>((resolve, reject) => {
    let tcp: number | undefined;
    let udp: number | undefined;
    child.stdout?.on('data', () => {
      for (const line of stdout) {
        tcp ??= port(line, 'TCP');
        udp ??= port(line, 'UDP');
      }
      if (tcp !== undefined && udp !== undefined) resolve({ tcp, udp });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr.join('\n')}`)));
  });
  const { tcp, udp } = await within(ports, 10_000, 'the server to print its ports');
  return { child, tcpPort: tcp, udpPort: udp, stdout, stderr, exited };
}

function port(line: string, proto: string): number | undefined {
  const m = new RegExp(`^charla: ${proto} (?:escuchando en|listening on) .*:(\\d+)$`).exec(line);
  return m ? Number(m[1]) : undefined;
}

function collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts);
  });
}
