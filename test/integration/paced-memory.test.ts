import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers/within.js';

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));

/**
 * A charla server (default limits, TCP only) in a child process started with --expose-gc, so its
 * heap can be measured after a full collection: on IPC 'heap' it collects and answers
 * `{ heap: heapUsed }`.
 */
async function heapServer(t: TestContext): Promise<{ port: number; heap: () => Promise<number> }> {
  const script = `
    const { startServer } = await import(${JSON.stringify(SERVER)});
    const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udp: false });
    process.on('message', (m) => {
      if (m !== 'heap') return;
      globalThis.gc(); globalThis.gc();
      process.send({ heap: process.memoryUsage().heapUsed });
    });
    process.on('disconnect', () => process.exit(0));
    process.send({ port: server.tcp.address.port });`;
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.after(() => child.kill());
  const next = async (what: string): Promise<Record<string, number>> => {
    const [message] = (await within(once(child, 'message'), 10_000, what)) as [Record<string, number>];
    return message;
  };
  const { port } = await next('the server child to listen');
  return {
    port: port as number,
    heap: async () => {
      child.send('heap');
      return (await next("the server child's heap size")).heap as number;
    },
  };
}

/** A raw client that resolves `seen(text)` once `text` has arrived (anywhere in what it got). */
function rawClient(t: TestContext, port: number): { socket: net.Socket; seen: (text: string) => Promise<void> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8');
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const w of waiters.splice(0)) w();
  });
  const seen = (text: string): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (received.includes(text)) resolve();
        else waiters.push(check);
      };
      check();
    });
  return { socket, seen };
}

const USERS = 200;
/** 64 KB of short lines in one write: blank ones, so the room relays nothing and only input is measured. */
const BURST = Buffer.from('  \n'.repeat(21_845));
const SLOWED = 'Error: estás enviando demasiado rápido';

test('paced-memory - 200 users each bursting 64 KB of short lines cost the server little heap: the held-back input stays bytes', async (t) => {
  const server = await heapServer(t);
  const clients: Array<ReturnType<typeof rawClient>> = [];
  for (let i = 0; i < USERS; i++) clients.push(rawClient(t, server.port));
  await Promise.all(
    clients.map(async (c, i) => {
      await within(once(c.socket, 'connect'), 5000, `client ${i} to connect`);
      c.socket.write(`u${i}\n`);
      await within(c.seen('Bienvenido/a'), 10_000, `u${i}'s welcome`);
    }),
  );
  const before = await server.heap();
  for (const c of clients) c.socket.write(BURST);
  // Each burst is over the rate: the server reads it, takes the first lines and warns once.
  await within(Promise.all(clients.map((c) => c.seen(SLOWED))), 15_000, 'every user to be told they are slowed down');
  const after = await server.heap();
  const perUser = (after - before) / USERS;
  t.diagnostic(`heap growth per user: ${(perUser / 1024).toFixed(1)} KB`);
  // Decoding each burst into strings costs the heap about 1 MB a user; held as bytes, a few KB.
  assert.ok(perUser < 100 * 1024, `heap grew ${(perUser / 1024).toFixed(0)} KB per user holding a 64 KB burst`);
});
