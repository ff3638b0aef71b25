#!/usr/bin/env node
// The V8 heap one idle registered TCP user costs the server, without sockets or the kernel: the
// real server (startServer) is handed N fake sockets (src/bench/hot-path.ts FakeSocket), each
// registers a name, and the heap is read after forced collections before and after. Unlike
// workload c's RSS per user (which the allocator and the GC's timing make swing by ±40%), this
// is the same figure run after run, so a change of a hundred bytes per user shows.
//
//   npx tsc -p . && node --expose-gc bench/heap-per-user.mjs [CHARLA_DIR] [--users N]
//
// CHARLA_DIR is a built charla checkout (default: this one), so two builds can be compared.
// The figure includes the fake socket itself (printed apart: subtract it for the server's share).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { users: { type: 'string', default: '3000' } }, allowPositionals: true });
if (typeof globalThis.gc !== 'function') {
  process.stderr.write('heap-per-user: run with node --expose-gc\n');
  process.exit(2);
}
const dir = resolve(positionals[0] ?? fileURLToPath(new URL('..', import.meta.url)));
const N = Math.max(100, Math.min(100_000, Number(values.users) || 3000));
const { startServer } = await import(`${dir}/dist/src/server.js`);
const { FakeSocket } = await import(`${dir}/dist/src/bench/hot-path.js`);
const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udp: false, irc: false, http: false, bench: true, tcpOptions: { registrationTimeoutMs: 0, keepAliveMs: 0 } });
const listener = server.tcp.server;
const turn = () => new Promise((r) => setImmediate(r));
const settle = async () => {
  for (let i = 0; i < 50; i++) await turn();
  await new Promise((r) => setTimeout(r, 700)); // the notice window's last write
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await turn();
  }
};
await settle();
const before = process.memoryUsage().heapUsed;
const sockets = [];
for (let i = 0; i < N; i++) {
  const s = new FakeSocket(10000 + i);
  sockets.push(s);
  listener.emit('connection', s);
  s.receive(Buffer.from(`u${String(i).padStart(5, '0')}\n`));
  if (i % 50 === 0) await turn();
}
await settle();
const after = process.memoryUsage().heapUsed;
const probe = [];
globalThis.gc();
const p0 = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i++) probe.push(new FakeSocket(i));
globalThis.gc();
const p1 = process.memoryUsage().heapUsed;
const perUser = (after - before) / N;
const socket = (p1 - p0) / N;
console.log(JSON.stringify({ dir, users: N, heap_per_user_bytes: Math.round(perUser), fake_socket_bytes: Math.round(socket), server_bytes_per_user: Math.round(perUser - socket), registered: server.hub.connectionCount }));
process.exit(0);
