import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient } from '../helpers/udp-client.js';

test('limits - megabytes with no newline never grow the server buffer; the line is refused and the user goes on', async (t) => {
  const { server, tcpPort } = await startTestServer(t, { bench: true, tcpOptions: { maxLineBytes: 1024, bareIdleMs: 0 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await joinAs(t, tcpPort, 'bob');
  let maxPending = 0;
  // Sample every connection's input buffer right after each chunk the server reads.
  for (const peer of server.tcp?.peers ?? []) {
    peer.socket.on('data', () => void (maxPending = Math.max(maxPending, peer.decoder.pendingBytes)));
  }
  const chunk = 'z'.repeat(64 * 1024);
  for (let i = 0; i < 64; i++) ana.write(chunk); // 4 MiB in all, no newline
  ana.write('\nhola\n');
  await ana.waitFor('Error: mensaje demasiado largo (máximo 1024 bytes); se descartó.');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: hola');
  assert.ok(maxPending <= 1025, `the decoder held ${maxPending} bytes`);
});

test('limits - an over-long UDP datagram is refused with an error and not relayed', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t, { udpOptions: { maxLineBytes: 100 } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await udpClient(t, udpPort);
  ana.send('ana');
  await ana.next();
  ana.send('y'.repeat(101));
  assert.equal(await ana.next(), 'Error: mensaje demasiado largo (máximo 100 bytes); se descartó.');
  ana.send('corto');
  assert.equal(await bob.waitFor(/^ana: /), 'ana: corto');
});

test('limits - a name over the maximum length is refused and the connection stays for another try', async (t) => {
  const { tcpPort } = await startTestServer(t, { hub: { maxNameLength: 8 } });
  const c = await connectLine(t, tcpPort);
  c.write('abcdefghi\n');
  assert.equal(await c.next(), 'Error: el nombre es demasiado largo (máximo 8 caracteres). Escribe otro:');
  c.write('abcdefgh\n');
  assert.match(await c.next(), /^\*\*\* Bienvenido\/a a charla, abcdefgh\./);
});

test('limits - past the user cap a newcomer is told the server is full and closed', async (t) => {
  const { tcpPort } = await startTestServer(t, { hub: { maxUsers: 2 } });
  await joinAs(t, tcpPort, 'ana');
  await joinAs(t, tcpPort, 'bob');
  const third = await connectLine(t, tcpPort);
  assert.equal(await third.next(), 'Error: el servidor está lleno (2 usuarios). Prueba más tarde.');
  await third.closedByServer();
});

test('limits - connections per address are capped, unless the address is allowed (loopback is by default)', async (t) => {
  const capped = await startTestServer(t, { exemptLoopback: false, hub: { maxConnectionsPerAddress: 2 } });
  await connectLine(t, capped.tcpPort);
  await connectLine(t, capped.tcpPort);
  const third = await connectLine(t, capped.tcpPort);
  assert.equal(await third.next(), 'Error: demasiadas conexiones desde tu dirección (2).');
  await third.closedByServer();

  const allowed = await startTestServer(t, { exemptLoopback: false, allow: ['127.0.0.0/8'], hub: { maxConnectionsPerAddress: 2 } });
  const loopbackDefault = await startTestServer(t, { hub: { maxConnectionsPerAddress: 2 } });
  for (const port of [allowed.tcpPort, loopbackDefault.tcpPort]) {
    for (const name of ['uno', 'dos', 'tres']) await joinAs(t, port, name);
  }
});

test('limits - a TCP connection that never sends a name is closed after the registration timeout', async (t) => {
  const { tcpPort, logged } = await startTestServer(t, { tcpOptions: { registrationTimeoutMs: 150 } });
  const c = await connectLine(t, tcpPort);
  assert.equal(await c.next(), 'Error: no enviaste tu nombre a tiempo (0 s). Conexión cerrada.');
  await c.closedByServer();
  await logged('cerrada antes de dar nombre (sin actividad)');
});

test('limits - with an idle timeout a silent user is disconnected and the room is told why', async (t) => {
  const { tcpPort } = await startTestServer(t, { tcpOptions: { idleTimeoutMs: 300 } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const ana = await joinAs(t, tcpPort, 'ana');
  // bob keeps talking, ana says nothing.
  const chatter = setInterval(() => bob.write('sigo aquí\n'), 50);
  t.after(() => clearInterval(chatter));
  await bob.waitFor('*** ana ha salido del chat (sin actividad) ***', 3000);
  clearInterval(chatter);
  assert.ok(ana.lines.includes('Error: desconectado por inactividad (0 s).'));
  await ana.closedByServer();
});

test('limits - a UDP user dropped for silence is told so, and the room hears why', async (t) => {
  let fakeNow = 1_000_000;
  const { tcpPort, udpPort } = await startTestServer(t, { now: () => fakeNow, udpOptions: { silenceMs: 60_000, sweepIntervalMs: 10 } });
  const bob = await joinAs(t, tcpPort, 'bob');
  const carla = await udpClient(t, udpPort);
  carla.send('carla');
  await carla.next();
  await bob.waitFor('*** carla se ha unido al chat ***');
  fakeNow += 61_000; // a minute of silence, on the server's clock
  assert.equal(await carla.next(), 'Error: desconectado por inactividad (60 s).');
  assert.equal(await bob.waitFor(/carla ha salido/), '*** carla ha salido del chat (sin actividad) ***');
});
