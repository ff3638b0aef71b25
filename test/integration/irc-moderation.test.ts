import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server.js';
import { connectIrc } from '../helpers/irc-client.js';
import { joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';

/** Topics, operators, kicks, parts and replayed actions across the IRC port and the line protocol. */

async function ircServer(t: TestContext, options: Partial<ServerOptions> = {}) {
  // bench: no fakelag, so answers come at once (the limits have their own tests).
  const s = await startTestServer(t, { irc: true, ircPort: 0, bench: true, hub: { adminPassword: 'clave' }, ...options });
  return { ...s, ircPort: s.server.irc?.address.port ?? 0 };
}

test('IRC topic: a line operator sets it with /tema; IRC members get TOPIC, IRC joiners 332/333, LIST shows it; a non-operator gets 482', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const ana = await connectIrc(t, ircPort);
  await ana.register('ana');
  ana.send('JOIN #general');
  await ana.waitFor(/ 366 ana #general /);
  ana.send('TOPIC #general :me lo invento');
  assert.match(await ana.next(), /^:server\.charla 482 ana #general :/);

  const profe = await joinAs(t, tcpPort, 'profe');
  profe.write('/admin clave\n');
  await profe.waitFor(/operador/);
  profe.write('/tema examen el lunes\n');
  await profe.waitFor('*** profe ha cambiado el tema de la sala general: examen el lunes ***');
  assert.equal(await ana.waitFor(/ TOPIC /), ':profe!profe@tcp.charla TOPIC #general :examen el lunes');

  const bob = await connectIrc(t, ircPort);
  await bob.register('bob');
  bob.send('JOIN #general');
  assert.match(await bob.next(), /^:bob!bob@irc\.charla JOIN #general$/);
  assert.equal(await bob.next(), ':server.charla 332 bob #general :examen el lunes');
  assert.match(await bob.next(), /^:server\.charla 333 bob #general profe :\d{10}$/);
  assert.match(await bob.next(), / 353 bob = #general :/);
  bob.send('TOPIC #general');
  assert.equal(await bob.waitFor(/ 332 /), ':server.charla 332 bob #general :examen el lunes');
  bob.send('LIST');
  assert.equal(await bob.waitFor(/ 322 /), ':server.charla 322 bob #general 3 :examen el lunes');

  // A line user who comes later reads it after the welcome, and in /salas.
  const eva = await joinAs(t, tcpPort, 'eva');
  assert.equal(await eva.next(), '*** Tema de la sala general: examen el lunes ***');
  eva.write('/salas\n');
  assert.equal(await eva.waitFor(/^Salas:/), 'Salas: general (4) «examen el lunes»');
});
