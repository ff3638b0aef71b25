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

test('IRC OPER: the admin password gives 381 and operator status every transport sees; a wrong one 464, none configured 491', async (t) => {
  // The wrong-key delay runs on the next turn here instead of after 2 s.
  const { ircPort, tcpPort } = await ircServer(t, { hub: { adminPassword: 'clave', schedule: (_ms, fn) => void setImmediate(fn) } });
  const bea = await joinAs(t, tcpPort, 'bea');
  const ana = await connectIrc(t, ircPort);
  await ana.register('ana');
  ana.send('JOIN #general');
  await ana.waitFor(/ 366 ana #general /);
  ana.send('OPER ana');
  assert.match(await ana.next(), /^:server\.charla 461 ana OPER :/);
  ana.send('OPER ana mala');
  assert.match(await ana.next(), /^:server\.charla 464 ana :/);
  ana.send('MODE ana');
  assert.equal(await ana.next(), ':server.charla 221 ana :+i');
  ana.send('OPER ana clave');
  assert.match(await ana.next(), /^:server\.charla 381 ana :/);
  ana.send('MODE ana');
  assert.equal(await ana.next(), ':server.charla 221 ana :+io');
  ana.send('NAMES #general');
  assert.equal(await ana.next(), ':server.charla 353 ana = #general :bea @ana');
  assert.match(await ana.next(), / 366 ana #general :/);
  bea.write('/listar\n');
  assert.equal(await bea.waitFor(/^Usuarios:/), 'Usuarios: bea, @ana');
  // As an operator, ana may set the topic from IRC; the line user hears it.
  ana.send('TOPIC #general :hoy, repaso');
  assert.equal(await ana.next(), ':ana!ana@irc.charla TOPIC #general :hoy, repaso');
  await bea.waitFor('*** ana ha cambiado el tema de la sala general: hoy, repaso ***');
  ana.send('TOPIC #general :');
  assert.equal(await ana.next(), ':ana!ana@irc.charla TOPIC #general :');
  await bea.waitFor('*** ana ha quitado el tema de la sala general. ***');

  const { ircPort: noOperPort } = await ircServer(t, { hub: { adminPassword: undefined } });
  const c = await connectIrc(t, noOperPort);
  await c.register('carla');
  c.send('OPER carla clave');
  assert.match(await c.next(), /^:server\.charla 491 carla :/);
});

test('IRC KICK: an operator removes a user as /expulsar does; 403, 482 and 441 otherwise', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const eva = await joinAs(t, tcpPort, 'eva');
  eva.write('/sala otra\n');
  await eva.waitFor(/sala otra/);
  const ana = await connectIrc(t, ircPort);
  await ana.register('ana');
  ana.send('JOIN #general');
  await ana.waitFor(/ 366 ana #general /);
  const bob = await connectIrc(t, ircPort);
  await bob.register('bob');
  bob.send('JOIN #general');
  await bob.waitFor(/ 366 bob #general /);

  bob.send('KICK #general bea :fuera');
  assert.match(await bob.next(), /^:server\.charla 482 bob #general :/);
  ana.send('OPER ana clave');
  await ana.waitFor(/ 381 ana /);
  ana.send('KICK #general');
  assert.match(await ana.next(), /^:server\.charla 461 ana KICK :/);
  ana.send('KICK #nada bea');
  assert.match(await ana.next(), /^:server\.charla 403 ana #nada :/);
  ana.send('KICK #general nadie');
  assert.match(await ana.next(), /^:server\.charla 441 ana nadie #general :/);
  ana.send('KICK #general eva'); // there is an eva, in another room
  assert.match(await ana.next(), /^:server\.charla 441 ana eva #general :/);

  ana.send('KICK #general bea :por spam');
  assert.equal(await bea.waitFor(/^Error:/), 'Error: ana te ha expulsado: por spam');
  await bea.closedByServer();
  assert.equal(await bob.waitFor(/ QUIT /), ':bea!bea@tcp.charla QUIT :expulsado/a por un operador (ana): por spam');
  assert.match(await ana.waitFor(/ NOTICE ana /), /bea ha sido expulsado/);

  // An IRC user kicked: their client reads ERROR, and line users the removal.
  eva.write('/sala general\n');
  await eva.waitFor(/sala general/);
  ana.send('KICK #general bob');
  assert.match(await bob.waitFor(/^ERROR /), /^ERROR :.*ana te ha expulsado/);
  await bob.closedByServer();
  await eva.waitFor('*** bob ha sido expulsado/a por ana ***');
});

test("IRC PART: an IRC user's part reads as a leave for the line users of that room only; they stay connected", async (t) => {
  const { ircPort, tcpPort } = await ircServer(t);
  const bea = await joinAs(t, tcpPort, 'bea');
  const eva = await joinAs(t, tcpPort, 'eva');
  eva.write('/sala otra\n');
  await eva.waitFor(/sala otra/);
  const ana = await connectIrc(t, ircPort);
  await ana.register('ana');
  ana.send('JOIN #general,#otra');
  await ana.waitFor(/ 366 ana #otra /);
  await bea.waitFor('*** ana se ha unido al chat ***');
  ana.send('PART #general :hasta luego');
  assert.equal(await ana.waitFor(/ PART /), ':ana!ana@irc.charla PART #general :hasta luego');
  await bea.waitFor('*** ana ha salido del chat ***');
  ana.send('PRIVMSG #otra :sigo aquí');
  await eva.waitFor('ana: sigo aquí');
  assert.ok(!eva.lines.some((l) => l.includes('ana ha salido')), 'the other room did not hear the part');
  bea.write('/listar\n');
  assert.equal(await bea.waitFor(/^Usuarios:/), 'Usuarios: bea');
});

test('IRC /me: an action is kept in history; a line user replays it as "* ana saluda", an IRC user as an ACTION', async (t) => {
  const { ircPort, tcpPort } = await ircServer(t, { hub: { replayOnJoin: 5 } });
  const ana = await connectIrc(t, ircPort);
  await ana.register('ana');
  ana.send('JOIN #general');
  await ana.waitFor(/ 366 ana #general /);
  const bea = await joinAs(t, tcpPort, 'bea');
  ana.send('PRIVMSG #general :\x01ACTION saluda a todos\x01');
  await bea.waitFor('* ana saluda a todos');
  // A line user who comes later: the replay marks it as an action.
  const eva = await joinAs(t, tcpPort, 'eva');
  await eva.waitFor(/Últimos 1 mensajes/);
  assert.match(await eva.next(), /^\[\d\d:\d\d\] \* ana saluda a todos$/);
  eva.write('/historial\n');
  await eva.waitFor(/Últimos 1 mensajes/);
  assert.match(await eva.next(), /^\[\d\d:\d\d\] \* ana saluda a todos$/);
  // IRC users who come later: with server-time the PRIVMSG it was, without it a NOTICE.
  const tagged = await connectIrc(t, ircPort);
  tagged.send('CAP REQ :server-time');
  tagged.send('CAP END');
  await tagged.register('dani');
  tagged.send('JOIN #general');
  await tagged.waitFor(/ 366 dani #general /);
  assert.match(await tagged.next(), /^@time=\S+ :ana!ana@irc\.charla PRIVMSG #general :\x01ACTION saluda a todos\x01$/);
  const plain = await connectIrc(t, ircPort);
  await plain.register('fede');
  plain.send('JOIN #general');
  await plain.waitFor(/ 366 fede #general /);
  await plain.waitFor(/NOTICE #general :\*\*\*/);
  assert.match(await plain.next(), /^:server\.charla NOTICE #general :\[\d\d:\d\d\] \* ana saluda a todos$/);
});
