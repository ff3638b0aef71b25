import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import type { ServerOptions } from '../../src/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { joinAs, type LineClient } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { connectWs, wsJoinAs } from '../helpers/ws-client.js';
import { within } from '../helpers/within.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

async function webServer(t: TestContext, options: Partial<ServerOptions> = {}) {
  const s = await startTestServer(t, { http: true, httpPort: 0, ...options, wsOptions: { webDir: join(tmpdir(), 'charla-no-such-web-dir'), ...options.wsOptions } });
  return { ...s, httpPort: s.server.http?.address.port ?? 0 };
}

/** Two TCP users who show, by talking, that the room is unaffected. */
async function stillChatting(a: LineClient, b: LineClient, what: string): Promise<void> {
  a.write(`${what}\n`);
  assert.equal(await b.waitFor(`a: ${what}`), `a: ${what}`);
}

/** A raw TCP socket to the HTTP port, everything it receives kept. Destroyed after the test. */
async function raw(t: TestContext, port: number): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => undefined);
  await within(once(socket, 'connect'), 3000, 'a raw connection');
  return { socket, received: () => got, closed };
}

test('ws hostile - an oversized frame is closed with 1009; binary frames with 1003; invalid UTF-8 with 1007; the room goes on', async (t) => {
  const { tcpPort, httpPort, server } = await webServer(t);
  const a = await joinAs(t, tcpPort, 'a');
  const b = await joinAs(t, tcpPort, 'b');
  const big = await wsJoinAs(t, httpPort, 'big');
  big.ws.send(JSON.stringify({ type: 'line', text: 'x'.repeat(3 * 4096) }));
  assert.equal(await big.closedByServer(), 1009);
  assert.equal(await b.waitFor(/big ha salido/), es('user_left_because', { name: 'big', reason: es('reason_kicked') }));
  const bin = await wsJoinAs(t, httpPort, 'bin');
  bin.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal(await bin.closedByServer(), 1003);
  const utf = await wsJoinAs(t, httpPort, 'utf');
  utf.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  assert.equal(await utf.closedByServer(), 1007);
  // A text within the byte limit but over it as a line: refused, the connection stays.
  const long = await wsJoinAs(t, httpPort, 'long');
  long.line('y'.repeat(4097));
  assert.equal((await long.waitFor('refusal')).key, 'line_too_long');
  await stillChatting(a, b, 'seguimos');
  assert.equal(server.http?.stats.peers, 1);
});

test('ws hostile - a flood: past the burst its frames wait and its socket is not read; everyone else keeps chatting', async (t) => {
  const { tcpPort, httpPort, server } = await webServer(t, { tcpOptions: { rateLimit: { ratePerSec: 1, burst: 5 } } });
  const a = await joinAs(t, tcpPort, 'a');
  const b = await joinAs(t, tcpPort, 'b');
  const flood = await wsJoinAs(t, httpPort, 'flood');
  await b.waitFor(es('user_joined', { name: 'flood' }));
  for (let i = 0; i < 2000; i++) flood.line(`flood ${i} ${'z'.repeat(100)}`);
  assert.equal((await flood.waitFor('refusal')).key, 'rate_slowed');
  const peer = [...(server.http?.peers ?? [])][0];
  assert.equal(peer?.ws.isPaused, true, 'reading from the flooder is paused');
  await stillChatting(a, b, 'aquí seguimos');
  // b heard the burst (5, the join took one) and at most a few paced ones, not 2000.
  const heard = b.lines.filter((l) => l.startsWith('flood: ')).length;
  assert.ok(heard >= 4 && heard <= 10, `b heard ${heard} flood lines`);
  const heardByA = a.lines.filter((l) => l.startsWith('flood: ')).length;
  assert.ok(heardByA <= 10, `a heard ${heardByA} flood lines`);
});

test('ws hostile - a reader that stops is closed as slow, with what is queued for it bounded', async (t) => {
  const maxQueuedBytes = 64 * 1024;
  const { tcpPort, httpPort, server } = await webServer(t, { bench: true, tcpOptions: { maxQueuedBytes } });
  const a = await joinAs(t, tcpPort, 'a');
  const b = await joinAs(t, tcpPort, 'b');
  const stuck = await wsJoinAs(t, httpPort, 'stuck');
  await b.waitFor(es('user_joined', { name: 'stuck' }));
  const peer = [...(server.http?.peers ?? [])][0];
  assert.ok(peer !== undefined);
  stuck.ws.pause(); // stops reading: the server's writes pile up in the kernel, then in its socket
  let maxQueued = 0;
  const line = 'q'.repeat(2000);
  for (let round = 0; round < 1000 && !peer.closed; round++) {
    for (let i = 0; i < 20; i++) a.write(`${line}\n`);
    a.write(`m${round}\n`);
    await b.waitFor(`a: m${round}`, 5000); // paced by a real reader: b
    maxQueued = Math.max(maxQueued, peer.queuedBytes);
  }
  assert.equal(peer.closed, true, 'the stalled reader was dropped');
  assert.ok(maxQueued <= maxQueuedBytes * 8 + 64 * 1024, `queued at most ${maxQueued} bytes`);
  await b.waitFor(es('user_left_because', { name: 'stuck', reason: es('reason_slow') }), 5000);
  await stillChatting(a, b, 'sin el lento');
});

test('ws hostile - a thousand upgrades left half-open cost nothing to the room and are closed by the headers timeout', async (t) => {
  const { tcpPort, httpPort } = await webServer(t, { wsOptions: { headersTimeoutMs: 1000 } });
  const a = await joinAs(t, tcpPort, 'a');
  const b = await joinAs(t, tcpPort, 'b');
  const halves: Promise<{ socket: net.Socket; closed: Promise<void> }>[] = [];
  for (let i = 0; i < 1000; i++) halves.push(raw(t, httpPort));
  const sockets = await within(Promise.all(halves), 10_000, 'a thousand connections');
  for (const { socket } of sockets) socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${httpPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`);
  const web = await wsJoinAs(t, httpPort, 'web'); // a real page still gets in meanwhile
  web.line('hola');
  assert.equal(await b.waitFor('web: hola'), 'web: hola');
  await stillChatting(a, b, 'mil medio abiertas');
  await within(Promise.all(sockets.map((s) => s.closed)), 10_000, 'the server to close the half-open upgrades');
  await stillChatting(a, b, 'y después');
});

test('ws hostile - slow headers get 408 and are closed; garbage gets 400; the port keeps serving', async (t) => {
  const { tcpPort, httpPort } = await webServer(t, { wsOptions: { headersTimeoutMs: 400 } });
  const a = await joinAs(t, tcpPort, 'a');
  const b = await joinAs(t, tcpPort, 'b');
  const slow = await raw(t, httpPort);
  slow.socket.write('GET / HTTP/1.1\r\n');
  let trickled = 0;
  const trickle = setInterval(() => {
    if (trickled++ < 100 && !slow.socket.destroyed) slow.socket.write(`X-${trickled}: a\r\n`);
  }, 50);
  t.after(() => clearInterval(trickle));
  await within(slow.closed, 5000, 'the slow request to be closed');
  clearInterval(trickle);
  assert.match(slow.received(), /^HTTP\/1\.1 408 /);
  const junk = await raw(t, httpPort);
  junk.socket.write(Buffer.from('\x00\x01\x02garbage\xff\r\n\r\n', 'latin1'));
  await within(junk.closed, 3000, 'the garbage to be closed');
  assert.match(junk.received(), /^HTTP\/1\.1 400 /);
  assert.match(junk.received(), /X-Content-Type-Options: nosniff/);
  const big = await raw(t, httpPort);
  big.socket.write(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  await within(big.closed, 3000, 'the huge head to be closed');
  assert.match(big.received(), /^HTTP\/1\.1 431 /);
  const web = await wsJoinAs(t, httpPort, 'web');
  web.line('todo bien');
  assert.equal(await b.waitFor('web: todo bien'), 'web: todo bien');
  await stillChatting(a, b, 'igual');
});

test('ws hostile - heartbeats: a tab that stops answering pings leaves as lost; one that answers stays; the registration timeout holds', async (t) => {
  const clock = new FakeClock();
  const pingIntervalMs = 25_000;
  const { tcpPort, httpPort } = await webServer(t, { timers: clock, wsOptions: { pingIntervalMs } });
  const a = await joinAs(t, tcpPort, 'a');
  const dead = await connectWs(t, httpPort, { autoPong: false });
  dead.send({ type: 'join', v: 1, name: 'dead' });
  await dead.waitFor('history');
  const alive = await wsJoinAs(t, httpPort, 'alive');
  const nameless = await connectWs(t, httpPort);
  await a.waitFor(es('user_joined', { name: 'alive' }));
  const pinged = once(alive.ws, 'ping');
  clock.advance(pingIntervalMs);
  await within(pinged, 3000, 'a ping');
  alive.line('/listar'); // after its pong: the server has read that too
  await alive.waitFor('users');
  clock.advance(pingIntervalMs);
  assert.equal(await a.waitFor(/dead ha salido/), es('user_left_because', { name: 'dead', reason: es('reason_connection_lost') }));
  await dead.closedByServer();
  assert.equal(alive.closed, false);
  clock.advance(60_000); // the registration timeout (60 s)
  assert.equal((await nameless.waitFor('refusal')).key, 'registration_timeout');
  await nameless.closedByServer();
});

test('ws hostile - the per-address cap and a full server are refused before the upgrade', async (t) => {
  const { httpPort, tcpPort } = await webServer(t, { exemptLoopback: false, hub: { maxConnectionsPerAddress: 2, maxUsers: 2 } });
  await wsJoinAs(t, httpPort, 'uno');
  await joinAs(t, tcpPort, 'dos');
  await assert.rejects(connectWs(t, httpPort), /429/);
});
