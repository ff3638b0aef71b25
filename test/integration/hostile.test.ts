import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient, udpJoinAs } from '../helpers/udp-client.js';
import { within } from '../helpers/within.js';

test('hostile - escape sequences and control characters never reach another user', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await joinAs(t, tcpPort, 'ana');
  ana.write('\x1b[2J\x1b[H\x1b[31mhola\x1b[0m\x07 \x1b]0;titulo falso\x07mundo\rbob: falso\n');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: hola mundobob: falso');
  const udp = await udpJoinAs(t, udpPort, 'carla');
  udp.send('\x9b31m\u202eolleh\x00');
  assert.equal(await bob.waitFor(/^carla: /), 'carla: olleh');
  // A name with escapes is cleaned before it is checked: no invisible twin of "bob".
  const eve = await connectLine(t, tcpPort);
  eve.write('b\x1b[0mob\n');
  assert.equal(await eve.next(), 'Error: el nombre «bob» ya está en uso. Escribe otro:');
});

test('hostile - names that fake the server are refused over TCP, and the same connection can try again', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const eve = await connectLine(t, tcpPort);
  // "Error.: reconecta a 10.0.0.66" would read like a server line.
  for (const fake of ['Error.', 'ÉRROR-', 'Usuarios’', 'ｓｅｒｖｉｄｏｒ...']) {
    eve.write(`${fake}\n`);
    assert.equal(await eve.next(), `Error: el nombre «${fake}» está reservado. Escribe otro:`, fake);
  }
  eve.write(`e${'\u0301\u0302\u0303'.repeat(8)}\n`);
  assert.match(await eve.next(), /^Error: el nombre lleva demasiados acentos o marcas sobre una misma letra/);
  eve.write('eve\n');
  assert.match(await eve.next(), /^\*\*\* Bienvenido\/a a charla, eve\. /);
  eve.write('/listar\n');
  assert.equal(await eve.next(), 'Usuarios: bob, eve');
  assert.equal(await bob.next(), '*** eve se ha unido al chat ***', 'the room heard of eve only once she had a name');
});

test('hostile - a browser on the chat port gets a short HTTP answer and never becomes a user', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const socket = net.connect({ host: '127.0.0.1', port: tcpPort });
  t.after(() => socket.destroy());
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await within(once(socket, 'end'), 3000, 'the server to answer and close the HTTP connection');
  const answer = Buffer.concat(chunks).toString('utf8');
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(answer, /servidor de chat charla/);
  ana.write('/listar\n');
  assert.equal(await ana.next(), 'Usuarios: ana', 'no join notice came first, and no user "GET"');
});

test('hostile - a UDP stranger cannot run commands, gets at most one short reply, and leaves no state', async (t) => {
  const { server, udpPort, tcpPort } = await startTestServer(t, { udpOptions: { strangerReplyLimit: { ratePerSec: 0.001, burst: 1 } } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const stranger = await udpClient(t, udpPort);
  for (let i = 0; i < 20; i++) stranger.send('/listar');
  const reply = await stranger.next();
  assert.match(reply, /^Error: el nombre solo puede tener letras/);
  assert.ok(Buffer.byteLength(reply) < 200);
  // A marker from a real user: by the time it is answered every stranger datagram was handled.
  const carla = await udpJoinAs(t, udpPort, 'carla');
  carla.send('/listar');
  assert.equal(await carla.next(), 'Usuarios: bob, carla');
  assert.equal(stranger.messages.length, 1, 'one reply to twenty datagrams');
  assert.equal(server.udp?.peers.size, 1, 'only carla has state');
  assert.ok(!bob.lines.some((l) => l.includes('listar')), 'nothing of it reached the room');
});

test('hostile - a reset connection removes exactly that user, with a leave notice saying so', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await joinAs(t, tcpPort, 'ana');
  const carla = await joinAs(t, tcpPort, 'carla');
  ana.socket.resetAndDestroy();
  assert.equal(await bob.waitFor(/ana ha salido/), '*** ana ha salido del chat (conexión perdida) ***');
  assert.equal(await carla.waitFor(/ana ha salido/), '*** ana ha salido del chat (conexión perdida) ***');
  carla.socket.destroy(); // an abrupt close (FIN without /quitar)
  assert.equal(await bob.waitFor(/carla ha salido/), '*** carla ha salido del chat (conexión cerrada) ***');
  bob.write('/listar\n');
  assert.equal(await bob.waitFor(/^Usuarios/), 'Usuarios: bob');
  assert.equal(bob.lines.filter((l) => l.includes('ha salido')).length, 2, 'one notice per departure');
});

test('hostile - accepted TCP sockets have keep-alive on', async (t) => {
  const ss = await promisify(execFile)('ss', ['-V']).then(
    () => true,
    () => false,
  );
  if (!ss) {
    t.skip('ss (iproute2) is not installed');
    return;
  }
  const { tcpPort } = await startTestServer(t);
  await joinAs(t, tcpPort, 'ana');
  const { stdout } = await promisify(execFile)('ss', ['-tnoH', 'state', 'established', `( sport = :${tcpPort} )`]);
  assert.match(stdout, /timer:\(keepalive,/, `no keep-alive timer on the server's socket:\n${stdout}`);
});
