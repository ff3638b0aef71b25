import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { within } from './within.js';

/** True when `redis-server` can be run (tests that need it skip with a message otherwise). */
export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const NO_REDIS = 'redis-server is not installed (sudo bash scripts/install-test-deps.sh)';

/** A `redis-server` of a test's own, on a free loopback port, with no persistence. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** The running process (undefined while stopped). */
  child: ChildProcess | undefined;
  /** Kills it (SIGKILL, by PID) and waits for it to exit: an outage, and with no persistence its data is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
}

/** A free loopback TCP port: bound to port 0, read back, closed (redis-server has no --port 0). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs redis-server on `port`; resolves once it accepts connections, rejects if it exits first (the port was taken). */
async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(() => {
    throw new Error(`redis-server exited: ${output}`);
  });
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.end('PING\r\n');
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('redis-server never accepted a connection');
  })();
  await within(Promise.race([ready, exited]), 10_000, `redis-server on port ${port}`);
  return child;
}

/** Starts a redis-server for this test (retrying another port if the chosen one was taken meanwhile); stopped by PID after it. */
export async function startRedis(t: TestContext): Promise<TestRedis> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    child = await launch(port).catch(() => undefined);
  }
  if (child === undefined) throw new Error('could not start redis-server on a free port');
  const redis: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    child,
    async stop() {
      const c = redis.child;
      redis.child = undefined;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const gone = once(c, 'exit');
      process.kill(c.pid as number, 'SIGKILL');
      await within(gone, 5000, 'redis-server to exit');
    },
    async start() {
      redis.child = await launch(port);
    },
  };
  t.after(() => redis.stop());
  return redis;
}
