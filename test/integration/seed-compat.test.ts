import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { assertNothingNew } from '../helpers/quiet.js';
import { PYTHON, spawnSeed } from '../helpers/seed-process.js';
import { startTestServer } from '../helpers/start-server.js';

const skip = PYTHON === undefined ? 'python3 is not installed' : false;
/** Bound for waits that include a Python process starting or reading its stdin. */
const PY_MS = 10_000;

// The seed's TCP client sends its name and each message with a bare send() and no newline, so
// each line is typed into it only after another client has seen the previous one arrive: two
// sends faster than the server's bare-message pause could share one TCP segment.

test("seed - the seed's Python TCP client chats with netcat-style LF and CRLF clients", { skip }, async (t) => {
  const { tcpPort } = await startTestServer(t);
  const lf = await joinAs(t, tcpPort, 'netcat');
  const crlf = await connectLine(t, tcpPort);
  crlf.write('telnet\r\n');
  assert.match(await crlf.next(), /^\*\*\* /);
  assert.equal(await lf.next(), '*** telnet se ha unido al chat ***');

  const py = spawnSeed(t, 'cliente_chat.py', ['127.0.0.1', String(tcpPort)]);
  await py.printed('Tu nombre: ');
  py.type('python');
  assert.equal(await lf.next(PY_MS), '*** python se ha unido al chat ***');
  assert.equal(await crlf.next(PY_MS), '*** python se ha unido al chat ***');
  await py.printed(text('es', 'welcome', { name: 'python', users: 'netcat, telnet, python' }));

  py.type('hola desde el cliente del curso');
  assert.equal(await lf.next(PY_MS), 'python: hola desde el cliente del curso');
  assert.equal(await crlf.next(PY_MS), 'python: hola desde el cliente del curso');
  py.type('¿me leen? ñandú');
  assert.equal(await lf.next(PY_MS), 'python: ¿me leen? ñandú');
  assert.equal(await crlf.next(PY_MS), 'python: ¿me leen? ñandú');

  lf.write('hola python, soy netcat\n');
  await py.printed('netcat: hola python, soy netcat');
  assert.equal(await crlf.next(), 'netcat: hola python, soy netcat');
  crlf.write('y yo telnet\r\n');
  await py.printed('telnet: y yo telnet');
  assert.equal(await lf.next(), 'telnet: y yo telnet');

  py.type('/listar');
  await py.printed('Usuarios: netcat, telnet, python');
  await assertNothingNew(lf, "nothing of python's /listar");

  py.type('/quitar');
  assert.equal(await lf.next(PY_MS), '*** python ha salido del chat ***');
  assert.equal(await crlf.next(PY_MS), '*** python ha salido del chat ***');
  assert.equal(await py.exit(), 0);
  assert.equal(await assertNothingNew(crlf), 'Usuarios: netcat, telnet');
});

test("seed - the seed's Python UDP client chats with a TCP user", { skip }, async (t) => {
  const { tcpPort, udpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'ana');

  const py = spawnSeed(t, 'cliente_udp.py', ['127.0.0.1', String(udpPort)]);
  await py.printed('Tu nombre: ');
  py.type('pyudp');
  assert.equal(await ana.next(PY_MS), '*** pyudp se ha unido al chat ***');
  await py.printed(text('es', 'welcome', { name: 'pyudp', users: 'ana, pyudp' }));

  py.type('hola desde UDP');
  assert.equal(await ana.next(PY_MS), 'pyudp: hola desde UDP');
  ana.write('hola pyudp\n');
  await py.printed('ana: hola pyudp');

  py.type('/listar');
  await py.printed('Usuarios: ana, pyudp');

  py.type('/quitar');
  assert.equal(await ana.next(PY_MS), '*** pyudp ha salido del chat ***');
  assert.equal(await py.exit(), 0);
});
