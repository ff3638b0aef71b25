import assert from 'node:assert/strict';
import test from 'node:test';
import { AMPLIFICATION_FACTOR } from '../../src/transport/udp.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient } from '../helpers/udp-client.js';

// Loopback counts as a validated address by default (only this machine can send from it):
// `exemptLoopback: false` makes these clients on 127.0.0.1 stand for users on a LAN.
const LAN = { exemptLoopback: false } as const;

test('udp validation - an unvalidated address gets at most 3x what it sent; once it echoes a token it is an ordinary user', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, LAN);
  const watcher = await joinAs(t, tcpPort, 'watcher');
  const udp = await udpClient(t, udpPort);
  udp.send('ana'); // 3 bytes: the welcome (about 100) does not fit 9
  assert.equal(await watcher.next(), '*** ana se ha unido al chat ***');
  // A token request (15 bytes) makes room for its answer (23), which must be the very next
  // datagram: nothing was sent before it.
  const echo = await udp.token();
  assert.equal(udp.messages.length, 1, `only the token: ${JSON.stringify(udp.messages)}`);
  const peer = [...(server.udp?.peers.values() ?? [])][0];
  assert.ok(peer !== undefined && !peer.validated);
  assert.ok(peer.repliesOut <= AMPLIFICATION_FACTOR * peer.bytesIn, `${peer.repliesOut} bytes sent for ${peer.bytesIn} received`);

  udp.send(`${echo}\n/listar`);
  assert.equal(await udp.next(), 'Usuarios: watcher, ana');
  assert.equal(peer.validated, true);
  assert.equal(server.udp?.stats.validations, 1);
  watcher.write('hola ana\n');
  assert.equal(await udp.next(), 'watcher: hola ana');
});

test('udp validation - the token can come with the name: the welcome is then sent in full', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, LAN);
  const watcher = await joinAs(t, tcpPort, 'watcher');
  const udp = await udpClient(t, udpPort);
  const echo = await udp.token();
  udp.send(`${echo}\nbea`);
  assert.equal(await udp.next(), '*** Bienvenido/a a charla, bea. Conectados: watcher, bea. Escribe /ayuda para ver los comandos. ***');
  assert.equal(await watcher.next(), '*** bea se ha unido al chat ***');
  // A token is good only for the address it was sent to.
  const other = await udpClient(t, udpPort);
  other.send(`${echo}\ncarla`);
  assert.equal(await watcher.next(), '*** carla se ha unido al chat ***');
  const validated = Object.fromEntries([...(server.udp?.peers.values() ?? [])].map((p) => [server.hub.session(p)?.name, p.validated]));
  assert.deepEqual(validated, { bea: true, carla: false });
});

test('udp validation - the room reaches an unvalidated user at a bounded byte rate, not as a fire hose', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, { ...LAN, bench: true });
  const lurker = await udpClient(t, udpPort);
  lurker.send('lurker');
  const sender = await joinAs(t, tcpPort, 'sender');
  const reader = await udpClient(t, udpPort);
  reader.send(`${await reader.token()}\nreader`);
  await reader.waitFor(/^\*\*\* Bienvenido/);
  const line = 'x'.repeat(1000);
  const started = performance.now();
  const count = 100;
  // In batches that a UDP socket's receive buffer holds, so that loopback loses nothing: the
  // validated reader gets every line; the lurker, who joined first, was sent its share first.
  for (let batch = 0; batch < count; batch += 10) {
    for (let i = batch; i < batch + 10; i++) sender.write(`${i} ${line}\n`);
    await reader.until(`message ${batch + 9}`, () => reader.messages.filter((m) => m.startsWith('sender: ')).length === batch + 10, 5000);
  }
  const seconds = (performance.now() - started) / 1000;
  const lurkerBytes = lurker.messages.reduce((n, m) => n + Buffer.byteLength(m), 0);
  const { ratePerSec, burst } = { ratePerSec: 4096, burst: 16_384 };
  assert.ok(lurkerBytes <= burst + ratePerSec * seconds + 1100, `${lurkerBytes} bytes in ${seconds.toFixed(2)} s`);
  assert.ok(lurkerBytes > 0, 'some of the room does reach it');
  assert.ok((server.udp?.stats.withheldBytes ?? 0) > 0);
});

test('udp validation - unvalidated users give way when the server is full; they never lock out a proven user', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, { ...LAN, hub: { maxUsers: 3 } });
  const watcher = await joinAs(t, tcpPort, 'watcher');
  const ghosts = [];
  for (const name of ['fantasma1', 'fantasma2']) {
    const ghost = await udpClient(t, udpPort);
    ghost.send(name);
    assert.equal(await watcher.next(), `*** ${name} se ha unido al chat ***`);
    ghosts.push(ghost);
  }
  // Full. One more unvalidated source gets no room...
  const late = await udpClient(t, udpPort);
  late.send('tarde');
  // ...but a TCP user (and a validated UDP user) does, in place of the oldest unvalidated one.
  const ana = await joinAs(t, tcpPort, 'ana');
  assert.equal(await watcher.next(), '*** fantasma1 ha salido del chat (sin validar, dejó sitio a otro usuario) ***');
  assert.equal(await watcher.next(), '*** ana se ha unido al chat ***');
  const bea = await udpClient(t, udpPort);
  bea.send(`${await bea.token()}\nbea`);
  assert.match(await bea.waitFor(/^\*\*\* Bienvenido/), /bea/);
  assert.equal(await watcher.next(), '*** fantasma2 ha salido del chat (sin validar, dejó sitio a otro usuario) ***');
  assert.deepEqual(server.hub.names(), ['watcher', 'ana', 'bea']);
  // Now only proven users are left, and the cap holds for everyone.
  const carla = await udpClient(t, udpPort);
  carla.send(`${await carla.token()}\ncarla`);
  assert.match(await carla.waitFor(/^Error: /), /lleno/);
  void ana;
});

test('udp validation - unvalidated users do not hold an address cap against a proven connection from it', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t, { ...LAN, hub: { maxConnectionsPerAddress: 3 } });
  const watcher = await joinAs(t, tcpPort, 'watcher');
  for (const name of ['uno', 'dos']) {
    const ghost = await udpClient(t, udpPort);
    ghost.send(name);
    assert.equal(await watcher.next(), `*** ${name} se ha unido al chat ***`);
  }
  // The address is at its cap; the oldest unvalidated user from it makes room for ana.
  const ana = await connectLine(t, tcpPort);
  ana.write('ana\n');
  assert.equal(await ana.next(), '*** Bienvenido/a a charla, ana. Conectados: watcher, dos, ana. Escribe /ayuda para ver los comandos. ***');
  assert.equal(await watcher.next(), '*** uno ha salido del chat (sin validar, dejó sitio a otro usuario) ***');
  assert.deepEqual(server.hub.names(), ['watcher', 'dos', 'ana']);
});
