import assert from 'node:assert/strict';
import test from 'node:test';
import { ADMIN_RETRY_DELAY_MS } from '../../src/hub/hub.js';
import { text } from '../../src/hub/messages.js';
import type { ChatServer } from '../../src/server.js';
import type { StreamPeer } from '../../src/transport/stream-peer.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { connectLine, joinAs, type LineClient } from '../helpers/line-client.js';
import { assertNothingNew } from '../helpers/quiet.js';
import { sendAndWaitReceived, serverSocketOf, writeAndWaitRead } from '../helpers/server-side.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient, udpJoinAs } from '../helpers/udp-client.js';

/*
 * Every timeout of the server, driven by a fake clock handed to startServer as `timers`: real
 * sockets on loopback (so the whole path, transport to hub to the client's screen, is what is
 * tested), but no test waits for time to pass. Between two moves of the clock nothing can fire,
 * so "not yet" is checked right after a move, and "now" right after the next one.
 */

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

/** The server's own peer for `client`. */
async function serverPeerOf(server: ChatServer, client: LineClient): Promise<StreamPeer> {
  const socket = await serverSocketOf(server, client);
  const peer = [...(server.tcp?.peers ?? [])].find((p) => p.socket === socket);
  if (peer === undefined) throw new Error('no server peer for the client');
  return peer;
}

function lines(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i}\n`).join('');
}

test('timeouts - a TCP connection that gives no name is closed at registrationTimeoutMs, not before', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { registrationTimeoutMs: 60_000 } });
  const client = await connectLine(t, tcpPort);
  const peer = await serverPeerOf(server, client);
  clock.advance(59_999);
  assert.equal(peer.closed, false, 'still waiting for a name 1 ms before the timeout');
  clock.advance(1);
  assert.equal(peer.closeReason, 'timeout');
  assert.equal(await client.next(), es('registration_timeout', { seconds: 60 }));
  await client.closedByServer();
});

test('timeouts - a name given in time cancels the registration timeout', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { registrationTimeoutMs: 60_000 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const peer = await serverPeerOf(server, ana);
  clock.advance(120_000);
  assert.equal(peer.closed, false);
  assert.equal(await assertNothingNew(ana), 'Usuarios: ana');
});

test('timeouts - a TCP user silent for idleTimeoutMs is disconnected, and what it sends restarts the wait', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { idleTimeoutMs: 10_000 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const peer = await serverPeerOf(server, ana);
  clock.advance(9_000);
  ana.write('/listar\n'); // read by the server before its answer comes: the idle timer restarted
  assert.equal(await ana.next(), 'Usuarios: ana');
  clock.advance(9_000); // 18 s since she joined, 9 s since she spoke
  assert.equal(peer.closed, false, 'her input restarted the idle timer');
  clock.advance(1_000);
  assert.equal(peer.closeReason, 'timeout');
  assert.equal(await ana.next(), es('idle_timeout', { seconds: 10 }));
  await ana.closedByServer();
});

test('timeouts - bytes with no newline are taken as a message after the bareIdleMs pause', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { bareIdleMs: 40 } });
  const client = await connectLine(t, tcpPort);
  await writeAndWaitRead(server, client, 'ana'); // the seed's client: a bare name, no LF
  clock.advance(39);
  assert.equal(server.hub.findByName('ana'), undefined, 'not taken before the pause is over');
  clock.advance(1);
  assert.notEqual(server.hub.findByName('ana'), undefined, 'taken as her name once it is');
  assert.equal(await client.next(), es('welcome', { name: 'ana', users: 'ana' }));
});

test('timeouts - a TCP user over the rate has the held-back lines delivered one per token as the clock moves', async (t) => {
  const clock = new FakeClock();
  // A token every 10 s: in real time, nothing held back would arrive within the test's waits.
  const { tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { rateLimit: { ratePerSec: 0.1, burst: 3 }, floodKickMs: 60_000 } });
  const ana = await joinAs(t, tcpPort, 'ana'); // her name took one token of three
  const bob = await joinAs(t, tcpPort, 'bob');
  ana.write(lines('paso', 5));
  assert.equal(await bob.next(), 'ana: paso 0');
  assert.equal(await bob.next(), 'ana: paso 1');
  await ana.waitFor(es('rate_slowed'));
  clock.advance(9_999);
  assert.equal(await assertNothingNew(bob, 'no held-back line before the next token'), 'Usuarios: ana, bob');
  clock.advance(1);
  assert.equal(await bob.next(), 'ana: paso 2');
  clock.advance(10_000);
  assert.equal(await bob.next(), 'ana: paso 3');
  clock.advance(10_000);
  assert.equal(await bob.next(), 'ana: paso 4');
  assert.equal(await assertNothingNew(bob, 'nothing more, and no flood kick'), 'Usuarios: ana, bob');
});

test('timeouts - a user held back for floodKickMs is kicked on time, though the next token is far away', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort } = await startTestServer(t, { timers: clock, tcpOptions: { rateLimit: { ratePerSec: 0.01, burst: 3 }, floodKickMs: 20_000 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  const peer = await serverPeerOf(server, ana);
  ana.write(lines('lento', 5)); // two go through; the next token is 100 s away
  assert.equal(await bob.next(), 'ana: lento 0');
  assert.equal(await bob.next(), 'ana: lento 1');
  await ana.waitFor(es('rate_slowed'));
  clock.advance(20_000);
  assert.equal(peer.closed, false, 'held back exactly floodKickMs: not a flood yet');
  clock.advance(1);
  assert.equal(peer.closeReason, 'flood');
  assert.equal(await bob.next(), es('user_left_because', { name: 'ana', reason: es('reason_flood') }));
  assert.equal(await ana.waitFor(/desconectado/), es('flood_kicked'));
  await ana.closedByServer();
});

test('timeouts - a UDP user silent for silenceMs is removed, and what it sends restarts the wait', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort, udpPort } = await startTestServer(t, { timers: clock, udpOptions: { silenceMs: 60_000, sweepIntervalMs: 1_000 } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const carla = await udpJoinAs(t, udpPort, 'carla');
  assert.equal(await bob.next(), '*** carla se ha unido al chat ***');
  clock.advance(30_000);
  carla.send('sigo');
  assert.equal(await bob.next(), 'carla: sigo');
  clock.advance(31_000); // 61 s since she joined, 31 s since she spoke
  assert.equal(server.udp?.peers.size, 1, 'her datagram restarted the wait');
  clock.advance(30_000);
  assert.equal(server.udp?.peers.size, 0, 'removed by the first sweep past 60 s of silence');
  assert.equal(await carla.next(), es('idle_timeout', { seconds: 60 }));
  assert.equal(await bob.next(), es('user_left_because', { name: 'carla', reason: es('reason_timeout') }));
  assert.equal(server.udp?.stats.peers, 0);
});

test('timeouts - a UDP source that gave the password but no name is forgotten after registrationTimeoutMs', async (t) => {
  const clock = new FakeClock();
  const { server, udpPort, logged } = await startTestServer(t, {
    timers: clock,
    hub: { password: 'secreto' },
    udpOptions: { registrationTimeoutMs: 60_000, sweepIntervalMs: 1_000 },
  });
  const client = await udpClient(t, udpPort);
  await sendAndWaitReceived(server, client, '/pass secreto');
  assert.equal(server.udp?.peers.size, 1, 'a session, waiting for a name');
  clock.advance(60_000);
  assert.equal(server.udp?.peers.size, 1, 'not forgotten at exactly the timeout');
  clock.advance(1_000);
  assert.equal(server.udp?.peers.size, 0);
  await logged(/cerrada antes de dar nombre \(sin actividad\)/);
  client.send('ana'); // a stranger again: the password comes first
  assert.equal(await client.next(), es('password_required'));
});

test('timeouts - a wrong operator key is answered after the delay, on the same clock', async (t) => {
  const clock = new FakeClock();
  const { tcpPort, logged } = await startTestServer(t, { timers: clock, hub: { adminPassword: 'clave' } });
  const ana = await joinAs(t, tcpPort, 'ana');
  ana.write('/admin mala\n');
  await logged('clave de operador incorrecta de ana');
  clock.advance(ADMIN_RETRY_DELAY_MS - 1);
  assert.equal(await assertNothingNew(ana, 'no answer before the delay'), 'Usuarios: ana');
  clock.advance(1);
  // Within less than the delay in real time: it is the clock that was moved that answered.
  assert.equal(await ana.next(ADMIN_RETRY_DELAY_MS / 2), es('admin_wrong'));
});

test('timeouts - every transport of a server runs on the one clock it was given, and each reports its peers', async (t) => {
  const clock = new FakeClock();
  const { server, tcpPort, udpPort } = await startTestServer(t, { timers: clock });
  assert.equal(server.timers, clock);
  assert.deepEqual(
    server.transports.map((tr) => [tr.kind, tr.address.port]),
    [
      ['tcp', tcpPort],
      ['udp', udpPort],
    ],
  );
  assert.equal(server.transports[0], server.tcp);
  assert.equal(server.transports[1], server.udp);
  await joinAs(t, tcpPort, 'ana');
  await udpJoinAs(t, udpPort, 'bob');
  assert.deepEqual(server.tcp?.stats, { peers: 1, handshakes: 0 });
  assert.deepEqual(server.udp?.stats, { peers: 1, withheldBytes: 0, refusedSources: 0, validations: 0, arqRetransmissions: 0 });
  assert.ok(clock.pending >= 1, 'the UDP sweep is set on it');
});
