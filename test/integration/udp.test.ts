import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { joinAs } from '../helpers/line-client.js';
import { assertNothingNew, assertNothingNewUdp } from '../helpers/quiet.js';
import { sendAndWaitReceived } from '../helpers/server-side.js';
import { startTestServer } from '../helpers/start-server.js';
import { udpClient, udpJoinAs } from '../helpers/udp-client.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

test('udp - the first datagram is the name and the user is welcomed with who is online', async (t) => {
  const { udpPort } = await startTestServer(t);
  await udpJoinAs(t, udpPort, 'ana');
  const bob = await udpClient(t, udpPort);
  bob.send('bob');
  assert.equal(await bob.next(), es('welcome', { name: 'bob', users: 'ana, bob' }));
});

test('udp - each datagram is one message; a trailing LF or CRLF is stripped', async (t) => {
  const { udpPort } = await startTestServer(t);
  const ana = await udpJoinAs(t, udpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  bob.send('hola a todos');
  assert.equal(await ana.next(), 'bob: hola a todos');
  bob.send('con netcat\n');
  assert.equal(await ana.next(), 'bob: con netcat');
  bob.send('con CRLF\r\n');
  assert.equal(await ana.next(), 'bob: con CRLF');
  bob.send('sin');
  bob.send('pegar');
  assert.equal(await ana.next(), 'bob: sin', 'two datagrams are two messages, never glued');
  assert.equal(await ana.next(), 'bob: pegar');
  await assertNothingNewUdp(bob, 'no echo');
});

test('udp - a bad or taken name gets an Error and the next datagram is a new try', async (t) => {
  // Replies to sources that are not users yet are rate-limited per IP (an anti-amplification
  // guard), with a burst that lets a person's few retries through: the defaults.
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const other = await udpClient(t, udpPort);
  other.send('ana maria');
  assert.equal(await other.next(), es('name_invalid', { name: 'ana maria' }));
  other.send('ANA\n');
  assert.equal(await other.next(), es('name_taken', { name: 'ANA' }));
  other.send('servidor');
  assert.match(await other.next(), /^Error: /);
  other.send('bea');
  assert.match(await other.next(), /^\*\*\* .*bea/);
  assert.equal(await ana.next(), '*** bea se ha unido al chat ***');
  assert.equal(await assertNothingNewUdp(other), 'Usuarios: ana, bea');
});

test('udp - /listar answers only the asker; /quitar says goodbye and the others hear the leave notice', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  bob.send('/listar');
  assert.equal(await bob.next(), 'Usuarios: ana, bob');
  bob.send('/list');
  assert.equal(await bob.next(), 'Usuarios: ana, bob');
  await assertNothingNew(ana, "nothing of bob's /listar");
  bob.send('/quitar');
  assert.equal(await bob.next(), es('goodbye', { name: 'bob' }));
  assert.equal(await ana.next(), '*** bob ha salido del chat ***');
  assert.equal(await assertNothingNew(ana), 'Usuarios: ana');
  // Gone for good: the next datagram from that address is a name again (as in the seed).
  bob.send('roberto');
  assert.match(await bob.next(), /^\*\*\* .*roberto/);
  assert.equal(await ana.next(), '*** roberto se ha unido al chat ***');
});

test('udp - TCP and UDP users are in one room: messages and notices cross both ways', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  const carl = await joinAs(t, tcpPort, 'carl');
  assert.equal(await bob.next(), '*** carl se ha unido al chat ***');
  assert.equal(await ana.next(), '*** carl se ha unido al chat ***');
  bob.send('hola desde UDP');
  assert.equal(await ana.next(), 'bob: hola desde UDP');
  assert.equal(await carl.next(), 'bob: hola desde UDP');
  ana.write('hola desde TCP\n');
  assert.equal(await bob.next(), 'ana: hola desde TCP');
  assert.equal(await carl.next(), 'ana: hola desde TCP');
  carl.write('/quitar\n');
  assert.equal(await bob.next(), '*** carl ha salido del chat ***');
});

test('udp - private messages go between TCP and UDP users', async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  const carl = await udpJoinAs(t, udpPort, 'carl');
  await ana.waitFor('*** carl se ha unido al chat ***');
  await bob.waitFor('*** carl se ha unido al chat ***');
  ana.write('/msg BOB hola por TCP\n');
  assert.equal(await bob.next(), es('private_from', { name: 'ana', text: 'hola por TCP' }));
  assert.equal(await ana.next(), es('private_to', { name: 'bob', text: 'hola por TCP' }));
  bob.send('/msg ana hola por UDP');
  assert.equal(await ana.next(), es('private_from', { name: 'bob', text: 'hola por UDP' }));
  assert.equal(await bob.next(), es('private_to', { name: 'ana', text: 'hola por UDP' }));
  await assertNothingNewUdp(carl, 'nothing of private messages');
});

test('udp - a user silent longer than silenceMs is removed with a leave notice', async (t) => {
  let now = 0;
  const { tcpPort, udpPort } = await startTestServer(t, { now: () => now, udpOptions: { silenceMs: 1000, sweepIntervalMs: 5 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  await udpJoinAs(t, udpPort, 'bob');
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  now = 1001;
  assert.equal(await ana.next(), es('user_left_because', { name: 'bob', reason: es('reason_timeout') }));
  assert.equal(await assertNothingNew(ana), 'Usuarios: ana');
});

test('udp - an empty datagram is a keep-alive: it keeps a user in the room and says nothing', async (t) => {
  let now = 0;
  const { server, tcpPort, udpPort } = await startTestServer(t, { now: () => now, udpOptions: { silenceMs: 1000, sweepIntervalMs: 5 } });
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  await udpJoinAs(t, udpPort, 'dave'); // silent: the sweep that removes him has looked at bob too
  assert.equal(await ana.next(), '*** bob se ha unido al chat ***');
  assert.equal(await ana.next(), '*** dave se ha unido al chat ***');
  now = 900;
  await sendAndWaitReceived(server, bob, new Uint8Array(0));
  now = 1500; // 1500 ms since dave's last datagram, 600 since bob's keep-alive
  assert.equal(await ana.next(), es('user_left_because', { name: 'dave', reason: es('reason_timeout') }));
  assert.equal(await assertNothingNew(ana, 'no leave notice for bob'), 'Usuarios: ana, bob');
  bob.send('sigo aquí');
  assert.equal(await ana.next(), 'bob: sigo aquí');
});

test('udp - server text in English with lang en; Spanish commands are accepted', async (t) => {
  const { udpPort } = await startTestServer(t, { lang: 'en' });
  const ana = await udpJoinAs(t, udpPort, 'ana');
  ana.send('/listar');
  assert.equal(await ana.next(), 'Users: ana');
  ana.send('/quitar');
  assert.equal(await ana.next(), '*** Goodbye, ana! ***');
});

test('udp - shutdown tells UDP users too', async (t) => {
  const { server, tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');
  const bob = await udpJoinAs(t, udpPort, 'bob');
  await ana.next();
  await server.close();
  assert.equal(await bob.next(), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  assert.equal(await ana.next(), '*** El servidor se está cerrando. ¡Hasta pronto! ***');
  await ana.closedByServer();
});
