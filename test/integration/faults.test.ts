import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectLine, joinAs, type LineClient } from '../helpers/line-client.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { startTestServer } from '../helpers/start-server.js';
import { within } from '../helpers/within.js';

test('faults - SIGTERM delivers every message accepted before it, then the goodbye, and exits 0', async (t) => {
  const srv = await spawnServer(t, ['--bench', '--quiet']);
  const reader = await joinAs(t, srv.tcpPort, 'lector');
  const sender = await joinAs(t, srv.tcpPort, 'emisor');
  await reader.waitFor('*** emisor se ha unido al chat ***');
  reader.socket.pause(); // output for the reader piles up in the server
  const n = 2000;
  let batch = '';
  for (let i = 0; i < n; i++) batch += `mensaje ${i} ${'x'.repeat(200)}\n`;
  sender.write(`${batch}/listar\n`);
  await sender.waitFor(/^Usuarios: /, 10_000); // the marker's answer: all n were accepted
  srv.child.kill('SIGTERM');
  reader.socket.resume();
  await reader.closedByServer(10_000);
  const got = reader.lines.filter((l) => l.startsWith('emisor: mensaje ')).length;
  assert.equal(got, n, 'every accepted message was delivered before the close');
  assert.equal(reader.lines.at(-1), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  assert.equal(await within(srv.exited, 10_000, 'the server to exit'), 0);
});

test('faults - an exception while serving one user costs that user its connection, not the process', async (t) => {
  const { server, tcpPort } = await startTestServer(t, {
    tcpOptions: { onPeerError: () => {} },
  });
  const input = server.hub.input.bind(server.hub);
  server.hub.input = (peer, text) => {
    if (text === 'boom') throw new Error('a bug in a command handler');
    input(peer, text);
  };
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await joinAs(t, tcpPort, 'ana');
  ana.write('boom\n');
  assert.equal(await bob.waitFor(/ana ha salido/), '*** ana ha salido del chat (error del servidor) ***');
  await ana.closedByServer();
  const carla = await joinAs(t, tcpPort, 'carla');
  carla.write('sigo vivo\n');
  assert.equal(await bob.waitFor(/^carla: /), 'carla: sigo vivo');
});

test('faults - out of file descriptors, the server keeps serving its users and recovers', async (t) => {
  const srv = await spawnServer(t, ['--quiet'], 'ulimit -n 64;');
  const users: LineClient[] = [];
  let refused = false;
  for (let i = 0; i < 80 && !refused; i++) {
    const c = await connectLine(t, srv.tcpPort);
    c.write(`u${i}\n`);
    const first = await within(
      Promise.race([c.next(5000), c.closedByServer(5000).then(() => 'closed')]),
      6000,
      `connection ${i}`,
    ).catch(() => 'closed');
    if (first.startsWith('***')) users.push(c);
    else refused = true;
  }
  assert.ok(refused, 'the descriptor limit was never reached');
  assert.ok(users.length >= 2, `only ${users.length} users fit under ulimit -n 64`);
  // Existing users still chat.
  const [a, b] = users as [LineClient, LineClient];
  a.write('todavía funciona\n');
  await b.waitFor(`${'u0'}: todavía funciona`);
  // Free some descriptors: new users get in again.
  for (const c of users.splice(-4)) c.socket.destroy();
  await a.waitFor(/ha salido/);
  let back = false;
  for (let i = 0; i < 10 && !back; i++) {
    const c = await connectLine(t, srv.tcpPort);
    c.write(`vuelta${i}\n`);
    back = (await c.next(5000).catch(() => '')).startsWith('***');
  }
  assert.ok(back, 'no new user got in after descriptors were freed');
  assert.equal(srv.child.exitCode, null, 'the server is still running');
});
