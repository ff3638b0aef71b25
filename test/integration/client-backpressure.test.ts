import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { type CharlaProcess, spawnCharla } from '../helpers/charla-process.js';
import { firstMessage } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

/**
 * `charla client` in pipe mode whose stdout is not read (the test pauses it): the client must
 * stop reading the socket, as `nc` does, instead of buffering what the server sends. The servers
 * here are fakes made by the test, so that nothing but the client decides when to stop reading.
 */

const WELCOME = text('es', 'welcome', { name: 'x', users: 'x' });
/** One chat line of 1 KiB, and 64 of them: what the fake server writes, again and again. */
const LINE = `ana: ${'a'.repeat(1024 - 'ana: '.length - 1)}`;
const LINES_PER_CHUNK = 64;
const CHUNK = Buffer.from(`${LINE}\n`.repeat(LINES_PER_CHUNK));
const MiB = 1024 * 1024;

/** The child's resident memory, from /proc/PID/status. */
function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** The first line a socket receives. */
async function firstLine(socket: net.Socket, ms: number): Promise<string> {
  let got = '';
  const line = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('utf8');
      const end = got.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve(got.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before a line')));
  });
  return within(line, ms, 'the first line from the client');
}

/** True when 'drain' comes within `ms`; false when it does not (the reader stopped reading). */
async function drainWithin(socket: net.Socket, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onDrain: (() => void) | undefined;
  try {
    return await new Promise<boolean>((resolve, reject) => {
      onDrain = () => resolve(true);
      socket.once('drain', onDrain);
      socket.once('close', () => reject(new Error('the client closed the connection')));
      timer = setTimeout(() => resolve(false), ms);
    });
  } finally {
    clearTimeout(timer);
    if (onDrain !== undefined) socket.off('drain', onDrain);
  }
}

/**
 * Writes CHUNKs to `socket` as fast as it takes them, for at most `maxBytes` or `ms`, and stops
 * early once a write has backed up and no 'drain' came for `stallMs`: the client stopped
 * reading. (Nothing announces that something will never happen; a quiet `stallMs` after a full
 * buffer is the evidence, and a client that reads would drain its buffer in microseconds.)
 */
async function flood(socket: net.Socket, maxBytes: number, ms: number, stallMs: number): Promise<{ written: number; stalled: boolean }> {
  const deadline = Date.now() + ms;
  let written = 0;
  while (written < maxBytes && Date.now() < deadline) {
    written += CHUNK.length;
    if (!socket.write(CHUNK) && !(await drainWithin(socket, stallMs))) return { written, stalled: true };
  }
  return { written, stalled: false };
}

/** A TCP server on 127.0.0.1, port 0, closed (its connections destroyed) after the test. */
async function fakeTcpServer(t: TestContext): Promise<{ port: number; accepted: Promise<net.Socket> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const accepted = once(server, 'connection').then(([socket]) => socket as net.Socket);
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

/** A pipe-mode client whose stdout nobody reads (yet). */
function slowReaderClient(t: TestContext, args: string[]): CharlaProcess {
  const client = spawnCharla(t, ['client', '--name', 'x', ...args]);
  client.child.stdout.pause(); // before any data: what the child writes stays in the pipe
  return client;
}

test('client-backpressure - over TCP a stdout nobody reads stops the client reading; memory stays bounded; reading resumes with it', async (t) => {
  const { port, accepted } = await fakeTcpServer(t);
  const client = slowReaderClient(t, ['--port', String(port)]);
  const socket = await within(accepted, 5000, 'the client to connect');
  assert.equal(await firstLine(socket, 5000), 'x');
  socket.write(`${WELCOME}\n`);

  const total = 200 * MiB;
  const { written, stalled } = await flood(socket, total, 10_000, 1000);
  const taken = written - socket.writableLength; // what reached the kernel, on its way to the client
  const rss = rssBytes(client.child.pid as number);
  t.diagnostic(`stalled: ${stalled}; taken ${(taken / MiB).toFixed(1)} MiB of ${written / MiB} written; client RSS ${Math.round(rss / MiB)} MiB`);
  // The client holds at most its 1 MiB for stdout; the rest of what it took sits in the kernel's
  // socket and pipe buffers (a few MiB on loopback).
  assert.ok(stalled, `the client kept reading: ${written / MiB} MiB taken, client RSS ${Math.round(rss / MiB)} MiB`);
  assert.ok(socket.writableLength > 0, 'the last write is still waiting');
  assert.ok(taken < 64 * MiB, `${taken / MiB} MiB taken of ${total / MiB}`);
  assert.ok(rss < 150 * MiB, `client RSS ${Math.round(rss / MiB)} MiB`);

  // Reading stdout again: the client drains, reads the socket again, and nothing was lost.
  client.child.stdout.resume();
  socket.write('ana: fin\n');
  await client.line('ana: fin', 10_000);
  assert.equal(client.lines[0], WELCOME);
  assert.equal(client.lines.filter((line) => line === LINE).length, (written / CHUNK.length) * LINES_PER_CHUNK);
  assert.equal(client.lines.length, 1 + (written / CHUNK.length) * LINES_PER_CHUNK + 1);

  socket.end();
  assert.equal(await client.exit(), 1); // the server closed first
  assert.equal(client.stderr, `${text('es', 'client_server_closed')}\n`);
});

test('client-backpressure - over UDP what arrives while stdout is full is dropped, and counted on stderr once it drains', async (t) => {
  const server = dgram.createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const hello = firstMessage(server);
  const client = slowReaderClient(t, ['--udp', '--port', String(server.address().port)]);
  const [name, from] = await within(hello, 5000, 'the name datagram');
  assert.equal(name.toString(), 'x');
  const send = (message: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => server.send(message, from.port, from.address, (err) => (err ? reject(err) : resolve())));
  await send(WELCOME);

  // 16 MiB of lines, far more than the client may hold for stdout (1 MiB) and the pipe.
  const datagram = Buffer.from(LINE);
  const sent = 16 * 1024;
  for (let i = 0; i < sent; i += 32) {
    await Promise.all(Array.from({ length: 32 }, () => send(datagram)));
  }

  let stderr = '';
  const noted = new Promise<number>((resolve) => {
    client.child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /Se descartaron (\d+) mensajes/.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
  });
  client.child.stdout.resume();
  const dropped = await within(noted, 5000, `the note of what was dropped (stderr: ${JSON.stringify(client.stderr)})`);
  assert.ok(stderr.startsWith(`${text('es', 'client_dropped_while_paused', { count: dropped })}\n`), stderr);

  // Reading again: a later line comes through.
  await send('ana: fin');
  await client.line('ana: fin', 5000);
  const shown = client.lines.filter((line) => line === LINE).length;
  t.diagnostic(`sent ${sent}, shown ${shown}, dropped ${dropped}`);
  assert.ok(dropped > 0 && shown > 0, `shown ${shown}, dropped ${dropped}`);
  assert.ok(shown + dropped <= sent, `shown ${shown} + dropped ${dropped} > sent ${sent}`);
});
